"""The core's typed config. Plugins declare their own models, validated the same way.

Key names are camelCase, as in Backstage's `app-config.yaml`, so existing files read naturally.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_FUNC = re.compile(r"^(?:rgb|rgba|hsl|hsla)\(\s*[0-9.,%\s/deg-]+\)$")
_NAMED = re.compile(r"^[a-zA-Z]{3,30}$")
_FONT = re.compile(r"^[A-Za-z0-9 ,'\"_-]{1,200}$")


def _css_color(value: str) -> str:
    # Colours are written into a <style> block, so only shapes that cannot break out of a declaration pass.
    if _HEX.match(value) or _FUNC.match(value) or _NAMED.match(value):
        return value
    raise ValueError("a CSS colour such as '#1f6f4a', 'rgb(31 111 74)' or 'teal'")


def _font_family(value: str) -> str:
    if _FONT.match(value):
        return value
    raise ValueError("a CSS font-family list of names, commas and quotes")


CssColor = Annotated[str, AfterValidator(_css_color)]
FontFamily = Annotated[str, AfterValidator(_font_family)]


def secret(**kwargs: Any) -> Any:
    """A config field whose value is masked when config is printed (`greenroom config check`)."""
    return Field(json_schema_extra={"visibility": "secret"}, **kwargs)


class StrictModel(BaseModel):
    """Base for config models: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ThemeConfig(StrictModel):
    mode: Literal["system", "light", "dark"] = "system"
    primaryColor: CssColor = "#1b6e4b"
    primaryColorDark: CssColor = "#7fd6a8"
    navigationColor: CssColor = "#12342a"
    navigationTextColor: CssColor = "#e6f2ec"
    fontFamily: FontFamily = "Roboto, 'Helvetica Neue', Arial, sans-serif"


class BrandingConfig(StrictModel):
    logo: str | None = Field(None, description="A file path (relative to the config file) or an https URL.")
    favicon: str | None = None
    theme: ThemeConfig = ThemeConfig()


class AppConfig(StrictModel):
    title: str = Field("Greenroom", min_length=1, max_length=80)
    baseUrl: str = "http://127.0.0.1:7007"
    branding: BrandingConfig = BrandingConfig()


class OrganizationConfig(StrictModel):
    name: str = Field("My Company", min_length=1, max_length=120)


class ListenConfig(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(7007, ge=0, le=65535)


class DatabaseConfig(StrictModel):
    url: str = Field("sqlite:///greenroom.db", description="An SQLAlchemy URL: sqlite:///file or postgresql://…")
    poolSize: int = Field(10, ge=1, le=200)


class ReadingAllow(StrictModel):
    host: str = Field(min_length=1)
    paths: list[str] = []


class ReadingConfig(StrictModel):
    allow: list[ReadingAllow] = []
    maxBytes: int = Field(10 * 1024 * 1024, ge=1)
    timeoutSeconds: float = Field(30.0, gt=0)


class LoggingConfig(StrictModel):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "text"] = "json"


class BackendConfig(StrictModel):
    baseUrl: str = "http://127.0.0.1:7007"
    listen: ListenConfig = ListenConfig()
    database: DatabaseConfig = DatabaseConfig()
    reading: ReadingConfig = ReadingConfig()
    logging: LoggingConfig = LoggingConfig()
    shutdownTimeoutSeconds: float = Field(10.0, ge=0)
    workers: int = Field(1, ge=1, le=64, description="Processes serving requests; more use more cores (and memory).")
    sessionSecret: str | None = secret(default=None)


class PluginsConfig(StrictModel):
    enable: list[str] = Field([], description="Installed plugins to switch on (built-in ones are on already).")
    disable: list[str] = Field([], description="Plugins to switch off, built-in ones included.")


class CoreConfig(StrictModel):
    """The keys the core reads; every other top-level key belongs to the plugin with that id."""

    app: AppConfig = AppConfig()
    organization: OrganizationConfig = OrganizationConfig()
    backend: BackendConfig = BackendConfig()
    plugins: PluginsConfig = PluginsConfig()
    integrations: dict[str, list[dict[str, Any]]] = {}

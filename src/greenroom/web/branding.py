"""The integrator's branding: colours and fonts as CSS custom properties, logo and favicon files."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response

from greenroom.config.errors import ConfigError
from greenroom.config.loader import LoadedConfig
from greenroom.config.models import CoreConfig

IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".webp": "image/webp", ".ico": "image/x-icon", ".gif": "image/gif"}
MAX_IMAGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class BrandAssets:
    """Where the logo and favicon come from: a local file served by the portal, or an https URL."""

    logo_file: Path | None
    logo_url: str | None
    favicon_file: Path | None
    favicon_url: str | None


def _asset(value: str | None, key: str, loaded: LoadedConfig) -> tuple[Path | None, str | None]:
    if value is None:
        return None, None
    if value.startswith("https://") or value.startswith("http://"):
        return None, value
    origin = loaded.origin_of(key)
    base = Path(origin).parent if not origin.startswith("$") and origin != "<defaults>" else Path.cwd()
    path = (base / value).resolve()
    if not path.is_file():
        raise ConfigError(f"no such file: {path}", file=origin, key=key)
    if path.suffix.lower() not in IMAGE_TYPES:
        raise ConfigError(f"expected an image ({', '.join(IMAGE_TYPES)}), got {path.name}", file=origin, key=key)
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise ConfigError(f"image is larger than {MAX_IMAGE_BYTES} bytes", file=origin, key=key)
    return path, None


def brand_assets(config: CoreConfig, loaded: LoadedConfig) -> BrandAssets:
    """Resolve logo and favicon paths relative to the config file that named them."""
    logo = _asset(config.app.branding.logo, "app.branding.logo", loaded)
    favicon = _asset(config.app.branding.favicon, "app.branding.favicon", loaded)
    return BrandAssets(logo[0], logo[1], favicon[0], favicon[1])


def branding_css(config: CoreConfig) -> str:
    """CSS custom properties from config; values were validated so they cannot break out of a declaration."""
    theme = config.app.branding.theme
    return (
        ":root {\n"
        f"  --gr-brand-primary: {theme.primaryColor};\n"
        f"  --gr-brand-primary-dark: {theme.primaryColorDark};\n"
        f"  --gr-brand-nav: {theme.navigationColor};\n"
        f"  --gr-brand-nav-text: {theme.navigationTextColor};\n"
        f"  --gr-brand-font: {theme.fontFamily};\n"
        "}\n"
    )


def router(config: CoreConfig, assets: BrandAssets) -> APIRouter:
    """`/branding.css`, `/branding/logo` and `/branding/favicon`."""
    api = APIRouter(include_in_schema=False)
    css = branding_css(config)
    etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:16] + '"'

    @api.get("/branding.css")
    async def stylesheet() -> Response:
        return Response(css, media_type="text/css", headers={"ETag": etag, "Cache-Control": "no-cache"})

    def serve(path: Path | None) -> Response:
        if path is None:
            raise HTTPException(404, "no such image is configured")
        media = IMAGE_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "image/png"
        # An SVG may hold script; this policy keeps it inert even when opened directly.
        return FileResponse(path, media_type=media, headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "Cache-Control": "public, max-age=3600"})

    @api.get("/branding/logo")
    async def logo() -> Response:
        return serve(assets.logo_file)

    @api.get("/branding/favicon")
    async def favicon() -> Response:
        return serve(assets.favicon_file)

    return api

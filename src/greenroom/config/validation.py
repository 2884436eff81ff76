"""Validating the merged config against the core's model and each enabled plugin's model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url

from greenroom.config.errors import ConfigError
from greenroom.config.loader import LoadedConfig
from greenroom.config.models import CoreConfig

MASK = "******"


class ConfigValidationError(ConfigError):
    """Every problem found in one pass, so a user fixes them all at once."""

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __str__(self) -> str:
        return "invalid config:\n" + "\n".join(f"  - {p}" for p in self.problems)


def _loc_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        path = f"{path}[{part}]" if isinstance(part, int) else (f"{path}.{part}" if path else str(part))
    return path


def _problems(err: ValidationError, prefix: str, loaded: LoadedConfig, owner: str) -> list[ConfigError]:
    found = []
    for item in err.errors(include_url=False):
        path = _loc_path(prefix, item["loc"])
        if item["type"] == "extra_forbidden":
            message = f"unknown key (not part of {owner} config)"
        elif item["type"] == "missing":
            message = "is required"
        else:
            got = item.get("input")
            shown = MASK if _secret_name(path.rpartition(".")[2]) else repr(got)
            message = f"{item['msg'].removeprefix('Value error, ')}, got {shown}"
        found.append(ConfigError(message, file=loaded.origin_of(path), key=path))
    return found


def validate_core(loaded: LoadedConfig) -> CoreConfig:
    """Validate the core's keys (plugin sections are left to `validate_plugins`)."""
    core_keys = set(CoreConfig.model_fields)
    try:
        return CoreConfig.model_validate({k: v for k, v in loaded.data.items() if k in core_keys})
    except ValidationError as err:
        raise ConfigValidationError(_problems(err, "", loaded, "the core")) from err


def validate_plugins(
    loaded: LoadedConfig,
    models: Mapping[str, type[BaseModel] | None],
    installed: set[str],
) -> dict[str, BaseModel | None]:
    """Validate each enabled plugin's section; reject top-level keys nobody owns."""
    problems: list[ConfigError] = []
    result: dict[str, BaseModel | None] = {}
    core_keys = set(CoreConfig.model_fields)
    for key in loaded.data:
        if key in core_keys or key in models or key in installed:
            continue
        known = ", ".join(sorted(core_keys | set(models)))
        problems.append(ConfigError(
            f"unknown top-level key: no core setting and no installed plugin has this id (known: {known})",
            file=loaded.origin_of(key), key=key,
        ))
    for plugin_id, model in models.items():
        if plugin_id in core_keys:
            # The core owns that section (the built-in `plugins` plugin lists what the `plugins:` key enables).
            if model is not None:
                problems.append(ConfigError(f"plugin {plugin_id!r} cannot take config: its id is a core key"))
            result[plugin_id] = None
            continue
        section = loaded.data.get(plugin_id, {})
        if model is None:
            if section:
                problems.append(ConfigError(
                    f"plugin {plugin_id!r} takes no config", file=loaded.origin_of(plugin_id), key=plugin_id
                ))
            result[plugin_id] = None
            continue
        if not isinstance(section, dict):
            problems.append(ConfigError(
                "expected a mapping", file=loaded.origin_of(plugin_id), key=plugin_id
            ))
            continue
        try:
            result[plugin_id] = model.model_validate(section)
        except ValidationError as err:
            problems.extend(_problems(err, plugin_id, loaded, f"plugin {plugin_id!r}"))
    if problems:
        raise ConfigValidationError(problems)
    return result


def _is_secret(model: BaseModel, name: str) -> bool:
    field = type(model).model_fields.get(name)
    extra = field.json_schema_extra if field else None
    return isinstance(extra, dict) and extra.get("visibility") == "secret"


_SECRET_WORDS = ("secret", "token", "password", "privatekey", "apikey", "credential")


def _secret_name(key: str) -> bool:
    # Free-form sections (integrations) have no typed fields to mark, so their keys are judged by name.
    lowered = key.lower().replace("_", "").replace("-", "")
    return any(word in lowered for word in _SECRET_WORDS)


def _masked_value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _masked_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_value(key, v) for v in value]
    if value is not None and _secret_name(key):
        return MASK
    return value


def masked(model: BaseModel) -> dict[str, Any]:
    """A plain dict of a config model with secret values replaced, safe to print or log."""
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if _is_secret(model, name) and value is not None:
            out[name] = MASK
        elif isinstance(value, BaseModel):
            out[name] = masked(value)
        elif isinstance(value, list):
            out[name] = [masked(v) if isinstance(v, BaseModel) else _masked_value(name, v) for v in value]
        elif isinstance(value, dict):
            out[name] = {k: masked(v) if isinstance(v, BaseModel) else _masked_value(k, v) for k, v in value.items()}
        elif name == "url" and isinstance(value, str) and "://" in value:
            out[name] = make_url(value).render_as_string(hide_password=True)
        else:
            out[name] = value
    return out

"""Reading `app-config.yaml` files: layering, transforms and environment overrides.

The rules follow Backstage's config loader so that existing config files carry over: files are merged in
order (objects key by key, arrays and scalars replaced whole, an explicit null unsets a key), `${VAR}`
substitution inside strings, the `$env`, `$file` and `$include` forms, then `GREENROOM_CONFIG_<path>`
environment variables.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from greenroom.config.errors import ConfigError

DEFAULT_FILES = ("app-config.yaml", "app-config.local.yaml")
ENV_PREFIX = "GREENROOM_CONFIG_"
_ENV_KEY_PART = re.compile(r"^[a-zA-Z][a-zA-Z0-9]*(?:[-:][a-zA-Z0-9]+)*$")
_SUBST = re.compile(r"\$(\$?)\{([^}]*)\}")
_MAX_INCLUDE_DEPTH = 10
_MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass
class LoadedConfig:
    """The merged config tree, and for every key path the file (or variable) that set it."""

    data: dict[str, Any]
    origins: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def origin_of(self, path: str) -> str:
        """The source that set `path` (or its nearest parent), for error messages."""
        probe = path
        while probe:
            if probe in self.origins:
                return self.origins[probe]
            probe = probe.rpartition(".")[0]
        return self.files[-1] if self.files else "<defaults>"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys: a silently dropped key is a config bug waiting."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml_file(path: Path) -> Any:
    """Parse one YAML file, turning every failure into a ConfigError that names the file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", file=str(path)) from exc
    if size > _MAX_FILE_BYTES:
        raise ConfigError(f"config file is larger than {_MAX_FILE_BYTES} bytes", file=str(path))
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid YAML{line}: {problem}", file=str(path)) from exc


def _substitute(value: str, env: Mapping[str, str], where: str, file: str) -> str | None:
    """Expand `${VAR}` and `${VAR:-fallback}`; `$${X}` is a literal `${X}`.

    A variable that is missing (and has no fallback) makes the whole value undefined, as in Backstage,
    and that is reported as an error so nobody runs with an empty secret by accident.
    """
    missing: list[str] = []

    def repl(match: re.Match[str]) -> str:
        if match.group(1):
            return "${" + match.group(2) + "}"
        name, _, fallback = match.group(2).partition(":-")
        name = name.strip()
        if name in env:
            return env[name]
        if ":-" in match.group(2):
            return fallback
        missing.append(name)
        return ""

    result = _SUBST.sub(repl, value)
    if missing:
        raise ConfigError(f"environment variable {missing[0]} is not set", file=file, key=where)
    return result


class _Transformer:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def transform(self, node: Any, base: Path, file: str, where: str, depth: int = 0) -> Any:
        if isinstance(node, dict):
            special = [k for k in node if isinstance(k, str) and k in ("$env", "$file", "$include")]
            if special:
                if len(node) != 1:
                    raise ConfigError(f"{special[0]} must be the only key in its object", file=file, key=where)
                return self._include(special[0], node[special[0]], base, file, where, depth)
            out: dict[str, Any] = {}
            for key, value in node.items():
                if not isinstance(key, str):
                    raise ConfigError(f"keys must be strings, got {key!r}", file=file, key=where)
                out[key] = self.transform(value, base, file, _join(where, key), depth)
            return out
        if isinstance(node, list):
            return [self.transform(v, base, file, f"{where}[{i}]", depth) for i, v in enumerate(node)]
        if isinstance(node, str):
            return _substitute(node, self.env, where, file)
        return node

    def _include(self, form: str, arg: Any, base: Path, file: str, where: str, depth: int) -> Any:
        if not isinstance(arg, str) or not arg:
            raise ConfigError(f"{form} needs a non-empty string", file=file, key=where)
        if form == "$env":
            if arg not in self.env:
                raise ConfigError(f"environment variable {arg} is not set", file=file, key=where)
            return self.env[arg]
        if depth >= _MAX_INCLUDE_DEPTH:
            raise ConfigError("includes are nested too deeply (a cycle?)", file=file, key=where)
        target, _, fragment = arg.partition("#")
        path = (base / target).resolve()
        if form == "$file":
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"$file {target}: {exc.strerror}", file=file, key=where) from exc
        if path.suffix not in (".yaml", ".yml", ".json"):
            raise ConfigError("$include needs a .yaml, .yml or .json file", file=file, key=where)
        if not path.is_file():
            raise ConfigError(f"$include {target}: no such file", file=file, key=where)
        included = read_yaml_file(path)
        for part in filter(None, fragment.split(".")):
            if not isinstance(included, dict) or part not in included:
                raise ConfigError(f"$include {arg}: no key {part!r}", file=file, key=where)
            included = included[part]
        return self.transform(included, path.parent, str(path), where, depth + 1)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def merge(target: dict[str, Any], source: Mapping[str, Any], origins: dict[str, str], origin: str,
          prefix: str = "") -> None:
    """Merge `source` into `target` the Backstage way, recording where each key came from."""
    for key, value in source.items():
        path = _join(prefix, key)
        if value is None:
            target.pop(key, None)
            origins[path] = origin
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value, origins, origin, path)
        else:
            target[key] = _plain_copy(value)
            _record(origins, path, value, origin)


def _plain_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain_copy(v) for v in value]
    return value


def _record(origins: dict[str, str], path: str, value: Any, origin: str) -> None:
    origins[path] = origin
    if isinstance(value, dict):
        for key, child in value.items():
            _record(origins, _join(path, key), child, origin)


def _env_overrides(env: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """`GREENROOM_CONFIG_app_title='"Portal"'` becomes {"app": {"title": "Portal"}}."""
    found = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX):].split("_")
        if not all(_ENV_KEY_PART.match(p) for p in parts):
            raise ConfigError(f"invalid config key path in environment variable {name}", file=f"${name}")
        raw = env[name]
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        tree: dict[str, Any] = {parts[-1]: value}
        for part in reversed(parts[:-1]):
            tree = {part: tree}
        found.append((name, tree))
    return found


def default_config_files(cwd: Path) -> list[Path]:
    """The files read when no `--config` is given: those of DEFAULT_FILES that exist."""
    return [cwd / name for name in DEFAULT_FILES if (cwd / name).is_file()]


def load_config(files: list[Path], env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read, transform and merge config files, then apply environment overrides."""
    env = os.environ if env is None else env
    loaded = LoadedConfig(data={})
    transformer = _Transformer(env)
    for path in files:
        if not path.is_file():
            raise ConfigError("config file does not exist", file=str(path))
        raw = read_yaml_file(path)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError("the top level of a config file must be a mapping", file=str(path))
        tree = transformer.transform(raw, path.parent, str(path), "")
        merge(loaded.data, tree, loaded.origins, str(path))
        loaded.files.append(str(path))
    for name, tree in _env_overrides(env):
        merge(loaded.data, tree, loaded.origins, f"${name}")
    return loaded

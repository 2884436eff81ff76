"""Screening a site's mkdocs.yml before MkDocs sees it, and writing the config the build really uses.

MkDocs configs can run code: `hooks`, `!!python/name` tags, `INHERIT`, plugins and Markdown extensions that
shell out (PlantUML) or read files (`pymdownx.b64`), theme folders with templates. The file is therefore read
with YAML's safe loader (any tag is an error), checked against allow-lists, and written back as a new file
that names only known plugins and extensions. Errors name the file and the key.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

import yaml

from greenroom.plugins.techdocs.refs import SourceError

ALLOWED_PLUGINS = frozenset({"techdocs-core", "search"})
_MARKDOWN_BUILTINS = frozenset({"abbr", "admonition", "attr_list", "def_list", "fenced_code", "footnotes",
                                "md_in_html", "tables", "toc", "codehilite", "meta", "nl2br", "sane_lists",
                                "smarty", "wikilinks", "legacy_attrs", "legacy_em", "extra"})
_PYMDOWNX = frozenset({"arithmatex", "betterem", "blocks.admonition", "blocks.details", "blocks.html",
                       "blocks.tab", "caret", "critic", "details", "emoji", "escapeall", "extra", "highlight",
                       "inlinehilite", "keys", "magiclink", "mark", "progressbar", "saneheaders", "smartsymbols",
                       "superfences", "tabbed", "tasklist", "tilde"})
# Keys MkDocs would honour but that make no sense for a portal build; dropped rather than refused.
_IGNORED_KEYS = frozenset({"site_dir", "dev_addr", "watch", "remote_branch", "remote_name", "extra_javascript",
                           "extra_templates", "strict", "site_url", "use_directory_urls", "hooks_priority"})
_KEYS = frozenset({"site_name", "site_description", "site_author", "repo_url", "repo_name", "edit_uri",
                   "edit_uri_template", "copyright", "nav", "docs_dir", "theme", "markdown_extensions", "plugins",
                   "extra", "extra_css", "validation", "not_in_nav", "exclude_docs", "draft_docs"})
_FORBIDDEN = {"hooks": "runs Python files", "INHERIT": "reads another config file"}
_FENCE_FORMAT = "__greenroom_fence_code_format__"


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that names the tag instead of failing with a constructor error."""


def _refuse_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    raise SourceError(f"line {node.start_mark.line + 1}: the tag {node.tag} is not allowed "
                      "(it could run code or read the environment)")


_StrictLoader.add_multi_constructor("!", _refuse_tag)
_StrictLoader.add_multi_constructor("tag:yaml.org,2002:python/", _refuse_tag)


def _name_of(item: Any, what: str, name: str) -> tuple[str, Any]:
    if isinstance(item, str):
        return item, {}
    if isinstance(item, Mapping) and len(item) == 1:
        key, value = next(iter(item.items()))
        return str(key), value if value is not None else {}
    raise SourceError(f"{name}: {what} entries must be a name or a mapping of one name to its options")


def _plain(value: Any, where: str) -> Any:
    """Options may hold only plain data (the safe loader already refused tags)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, where) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise SourceError(f"{where}: unsupported value")


def _extensions(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        ext, options = _name_of(item, "markdown_extensions", name)
        short = ext.removeprefix("markdown.extensions.")
        allowed = short in _MARKDOWN_BUILTINS or (ext.startswith("pymdownx.") and ext[9:] in _PYMDOWNX)
        if not allowed:
            raise SourceError(f"{name}: markdown_extensions: {ext!r} is not allowed")
        if not isinstance(options, Mapping):
            raise SourceError(f"{name}: markdown_extensions: options of {ext!r} must be a mapping")
        out.append({ext: _plain(options, f"markdown_extensions.{ext}")} if options else ext)
    return out


def _plugins(value: Any, name: str, omit_core: bool) -> list[Any]:
    items = value if isinstance(value, list) else [] if value is None else None
    if items is None:
        raise SourceError(f"{name}: plugins must be a list")
    out: list[Any] = []
    for item in items:
        plugin, options = _name_of(item, "plugins", name)
        if plugin not in ALLOWED_PLUGINS:
            raise SourceError(f"{name}: plugins: {plugin!r} is not allowed (allowed: "
                              f"{', '.join(sorted(ALLOWED_PLUGINS))})")
        if not isinstance(options, Mapping):
            raise SourceError(f"{name}: plugins: options of {plugin!r} must be a mapping")
        out.append({plugin: _plain(options, f"plugins.{plugin}")} if options else plugin)
    if not omit_core and not any(_name_of(p, "plugins", name)[0] == "techdocs-core" for p in out):
        out.append("techdocs-core")
    return out


def _theme(value: Any, name: str) -> Any:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        raise SourceError(f"{name}: theme must be a name or a mapping")
    for key in ("custom_dir", "static_templates"):
        if key in value:
            raise SourceError(f"{name}: theme.{key} is not allowed (it loads templates from the docs folder)")
    return _plain(value, "theme")


def _relative_dir(value: Any, name: str) -> str:
    text = str(value)
    normal = posixpath.normpath(text)
    if text.startswith("/") or normal == ".." or normal.startswith("../") or "\\" in text:
        raise SourceError(f"{name}: docs_dir {text!r} must be a folder inside the docs folder")
    return normal


def screen(data: bytes, name: str, omit_core: bool = False) -> dict[str, Any]:
    """The checked config as plain data; SourceError naming `name` and the key when it is refused."""
    try:
        config = yaml.load(data, Loader=_StrictLoader)  # a SafeLoader subclass
    except SourceError as exc:
        raise SourceError(f"{name}: {exc}") from None
    except yaml.YAMLError as exc:
        raise SourceError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(config, Mapping):
        raise SourceError(f"{name}: expected a mapping of settings")
    for key, why in _FORBIDDEN.items():
        if key in config:
            raise SourceError(f"{name}: {key} is not allowed ({why})")
    unknown = [str(k) for k in config if k not in _KEYS and k not in _IGNORED_KEYS]
    if unknown:
        raise SourceError(f"{name}: unknown setting {unknown[0]!r}")
    if not isinstance(config.get("site_name"), str) or not config["site_name"].strip():
        raise SourceError(f"{name}: site_name is required")
    out: dict[str, Any] = {k: _plain(v, str(k)) for k, v in config.items()
                           if k in _KEYS and k not in ("markdown_extensions", "plugins", "theme")}
    out["docs_dir"] = _relative_dir(config.get("docs_dir", "docs"), name)
    out["markdown_extensions"] = _extensions(config.get("markdown_extensions"), name)
    out["plugins"] = _plugins(config.get("plugins"), name, omit_core)
    if config.get("theme") is not None:
        out["theme"] = _theme(config.get("theme"), name)
    return out


def build_config(screened: dict[str, Any], site_dir: str, repo_url: str | None = None,
                 edit_uri: str | None = None) -> str:
    """The YAML the build runs with: screened settings plus the output folder and Mermaid fences."""
    config = dict(screened)
    config["site_dir"] = site_dir
    config["use_directory_urls"] = True
    if repo_url and "repo_url" not in config:
        config["repo_url"] = repo_url
        if edit_uri is not None and "edit_uri" not in config:
            config["edit_uri"] = edit_uri
    extensions: list[Any] = []
    fence_options: dict[str, Any] = {}
    for item in config.get("markdown_extensions", []):
        if (item if isinstance(item, str) else next(iter(item))) == "pymdownx.superfences":
            fence_options = dict(item["pymdownx.superfences"]) if isinstance(item, dict) else {}
        else:
            extensions.append(item)
    # Custom fences need Python functions, which a docs folder may not name; Mermaid's is the one provided.
    fence_options["custom_fences"] = [{"name": "mermaid", "class": "mermaid", "format": _FENCE_FORMAT}]
    extensions.append({"pymdownx.superfences": fence_options})
    config["markdown_extensions"] = extensions
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    # The one tag the build needs is written by us, never taken from the docs folder.
    return text.replace(_FENCE_FORMAT, "!!python/name:pymdownx.superfences.fence_code_format")

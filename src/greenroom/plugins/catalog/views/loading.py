"""Reading what the views show: stored entities, and API definitions parsed as hostile input.

Definitions come from whoever may write catalog files, so parsing is bounded in size, nesting and node count
(YAML aliases can expand a small file into a huge tree), and every failure becomes a `DefinitionError` that
the views show in place instead of a 500.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Mapping
from typing import Any

import orjson
import yaml

from greenroom.plugins.catalog.api.entities import normalize_ref
from greenroom.plugins.catalog.service import CatalogService

MAX_DEFINITION_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 100

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DefinitionError(ValueError):
    """A definition that cannot be shown as structured data; the message is safe to show to the viewer."""


def entity_ref(entity: Mapping[str, Any]) -> str:
    """The stored (lower-cased) ref of an entity, as in catalog_final_entities and catalog_relations."""
    meta = entity.get("metadata") or {}
    return f"{entity.get('kind', '')}:{meta.get('namespace') or 'default'}/{meta.get('name', '')}".lower()


def entity_url(ref: str) -> str:
    """The entity page of a stored ref (`kind:namespace/name` -> /catalog/namespace/kind/name)."""
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    return f"/catalog/{namespace}/{kind}/{name}"


def load_entities(service: CatalogService, refs: list[str]) -> dict[str, dict[str, Any]]:
    """The stored entities among `refs` (stored form), by ref; missing ones are simply absent."""
    return service.entities_by_ref(refs)


async def load_entity(service: CatalogService, ref: str) -> dict[str, Any] | None:
    """One stored entity by any valid ref form, or None; the query runs off the event loop."""
    stored = normalize_ref(ref)
    if stored is None:
        return None
    found = await asyncio.to_thread(load_entities, service, [stored])
    return found.get(stored)


def definition_text(entity: Mapping[str, Any]) -> str:
    """`spec.definition` as text; a definition written as a YAML mapping is dumped back to YAML."""
    spec = entity.get("spec") or {}
    value = spec.get("definition") if isinstance(spec, Mapping) else None
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return yaml.safe_dump(json_safe(value), sort_keys=False, allow_unicode=True)
    except (DefinitionError, yaml.YAMLError):
        return str(value)


def spec_type(entity: Mapping[str, Any]) -> str:
    """`spec.type` lower-cased (`openapi`, `asyncapi`, `graphql`, `grpc`...), or "" when absent."""
    spec = entity.get("spec") or {}
    value = spec.get("type") if isinstance(spec, Mapping) else None
    return value.strip().lower() if isinstance(value, str) else ""


def parse_document(text: str) -> Any:
    """Parse a JSON or YAML document into plain JSON-safe data, or raise DefinitionError."""
    if len(text.encode("utf-8", "replace")) > MAX_DEFINITION_BYTES:
        raise DefinitionError(f"the definition is larger than {MAX_DEFINITION_BYTES // (1024 * 1024)} MiB")
    if not text.strip():
        raise DefinitionError("the definition is empty")
    try:
        if text.lstrip().startswith(("{", "[")):
            try:
                return json_safe(orjson.loads(text))
            except orjson.JSONDecodeError:
                pass  # YAML flow style also starts with a brace; let the YAML parser decide.
        # CSafeLoader builds only plain types, so tags such as !!python/object are refused here.
        return json_safe(yaml.load(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise DefinitionError(f"the definition is not valid YAML or JSON{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise DefinitionError(f"the definition is not valid YAML or JSON: {exc}") from None
    except RecursionError:
        raise DefinitionError("the definition is nested too deeply") from None


def json_safe(value: Any) -> Any:
    """A copy of parsed data with string keys and JSON types only, bounded in depth and total nodes."""
    budget = [MAX_NODES]

    def walk(item: Any, depth: int) -> Any:
        budget[0] -= 1
        # Shared (aliased) or cyclic YAML nodes are copied on every visit, so the budget ends alias bombs.
        if budget[0] < 0:
            raise DefinitionError(f"the definition has more than {MAX_NODES} values (or recursive anchors)")
        if depth > MAX_DEPTH:
            raise DefinitionError(f"the definition is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, Mapping):
            return {str(k): walk(v, depth + 1) for k, v in item.items()}
        if isinstance(item, list | tuple | set):
            return [walk(v, depth + 1) for v in item]
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 2**63:
            return str(item)  # orjson refuses integers beyond 64 bits
        if item is None or isinstance(item, str | bool | int | float):
            return item
        if isinstance(item, datetime.date | datetime.datetime):
            return item.isoformat()
        if isinstance(item, bytes):
            return item.decode("utf-8", "replace")
        return str(item)

    return walk(value, 0)

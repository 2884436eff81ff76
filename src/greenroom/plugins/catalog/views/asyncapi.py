"""AsyncAPI 2.x and 3.x documents turned into plain rows for server-side tables.

No AsyncAPI web component is vendored: the published ones need a bundler or fetch parsers at run time, while
channels, operations and message payloads read well as tables. Only local `#/...` references are followed
(never URLs), with guards against cycles, and every list is bounded so a hostile document stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from greenroom.plugins.catalog.views.loading import DefinitionError

MAX_ROWS = 400
MAX_SCHEMA_DEPTH = 8
MAX_ITEMS = 300


@dataclass
class SchemaRow:
    """One property of a payload or header schema; `path` is dotted, `[]` marks array items."""

    path: str
    type: str
    required: bool = False
    description: str = ""
    constraints: str = ""


@dataclass
class Message:
    key: str
    name: str = ""
    title: str = ""
    summary: str = ""
    content_type: str = ""
    payload: list[SchemaRow] = field(default_factory=list)
    headers: list[SchemaRow] = field(default_factory=list)


@dataclass
class Operation:
    key: str
    action: str
    channel: str
    summary: str = ""
    messages: list[Message] = field(default_factory=list)


@dataclass
class Channel:
    key: str
    address: str
    description: str = ""
    parameters: list[tuple[str, str]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


@dataclass
class AsyncApiDoc:
    """What the AsyncAPI template shows, in the document's own order."""

    version: str
    title: str
    api_version: str
    description: str
    servers: list[tuple[str, str, str]] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    truncated: bool = False


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class _Reader:
    """Resolves local references within one document and counts rows against the bounds."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.rows = 0
        self.truncated = False

    def resolve(self, value: Any, hops: int = 0) -> tuple[Any, str]:
        """`value` with a local `$ref` followed (chains too); also the last ref's name, or ""."""
        ref = value.get("$ref") if isinstance(value, Mapping) else None
        if not isinstance(ref, str):
            return value, ""
        if not ref.startswith("#/") or hops > 20:
            return {"x-unresolved": ref}, ref.rsplit("/", 1)[-1]
        node: Any = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {"x-unresolved": ref}, ref.rsplit("/", 1)[-1]
        resolved, name = self.resolve(node, hops + 1)
        return resolved, name or ref.rsplit("/", 1)[-1]

    def schema_rows(self, schema: Any) -> list[SchemaRow]:
        rows: list[SchemaRow] = []
        self._flatten(schema, "", False, 0, frozenset(), rows)
        return rows

    def _flatten(self, schema: Any, path: str, required: bool, depth: int, chain: frozenset[str],
                 rows: list[SchemaRow]) -> None:
        if self.rows >= MAX_ROWS:
            self.truncated = True
            return
        ref = schema.get("$ref") if isinstance(schema, Mapping) else None
        if isinstance(ref, str) and ref in chain:
            rows.append(SchemaRow(path or "(root)", f"recursive {ref}", required))
            self.rows += 1
            return
        resolved, _ = self.resolve(schema)
        node = _map(resolved)
        chain = chain | {ref} if isinstance(ref, str) else chain
        if path or not node.get("properties"):
            rows.append(SchemaRow(path or "(root)", _type_of(node), required, _text(node.get("description")),
                                  _constraints(node)))
            self.rows += 1
        if depth >= MAX_SCHEMA_DEPTH:
            return
        needed = {r for r in node.get("required", []) if isinstance(r, str)} if isinstance(
            node.get("required"), list) else set()
        for name, sub in list(_map(node.get("properties")).items())[:MAX_ITEMS]:
            self._flatten(sub, f"{path}.{name}" if path else name, name in needed, depth + 1, chain, rows)
        if isinstance(node.get("items"), Mapping):
            self._flatten(node["items"], f"{path}[]", False, depth + 1, chain, rows)
        for combo in ("allOf", "oneOf", "anyOf"):
            options = node.get(combo)
            if isinstance(options, list):
                for i, option in enumerate(options[:20]):
                    label = path if combo == "allOf" else f"{path or '(root)'} ({combo} {i + 1})"
                    self._flatten(option, label, required, depth + 1, chain, rows)

    def message(self, key: str, value: Any) -> Message:
        node, name = self.resolve(value)
        msg = _map(node)
        return Message(key=key or name, name=_text(msg.get("name")) or name, title=_text(msg.get("title")),
                       summary=_text(msg.get("summary") or msg.get("description")),
                       content_type=_text(msg.get("contentType") or self.doc.get("defaultContentType")),
                       payload=self.schema_rows(msg["payload"]) if "payload" in msg else [],
                       headers=self.schema_rows(msg["headers"]) if "headers" in msg else [])

    def messages(self, value: Any) -> list[Message]:
        """A v2 `message` (maybe `oneOf`), or a v3 list or mapping of messages."""
        node, _ = self.resolve(value)
        if isinstance(node, Mapping) and isinstance(node.get("oneOf"), list):
            return [self.message("", m) for m in node["oneOf"][:MAX_ITEMS]]
        if isinstance(node, list):
            return [self.message("", m) for m in node[:MAX_ITEMS]]
        if isinstance(node, Mapping) and ("payload" in node or "name" in node or "x-unresolved" in node):
            return [self.message("", node)]
        return [self.message(str(k), m) for k, m in list(_map(node).items())[:MAX_ITEMS]]


def _type_of(node: Mapping[str, Any]) -> str:
    if "x-unresolved" in node:
        return f"external {node['x-unresolved']}"
    kind = node.get("type")
    text = " | ".join(str(t) for t in kind) if isinstance(kind, list) else _text(kind)
    if not text:
        text = "object" if "properties" in node else next((c for c in ("allOf", "oneOf", "anyOf") if c in node), "any")
    if text == "array" and isinstance(node.get("items"), Mapping):
        text = f"array of {_type_of(node['items']) if 'type' in node['items'] else 'items'}"
    return f"{text} ({node['format']})" if isinstance(node.get("format"), str) else text


def _constraints(node: Mapping[str, Any]) -> str:
    parts = []
    if isinstance(node.get("enum"), list):
        parts.append("one of: " + ", ".join(_text(v) for v in node["enum"][:30]))
    for key in ("const", "default", "pattern", "minimum", "maximum", "minLength", "maxLength", "example"):
        if key in node and not isinstance(node[key], Mapping | list):
            parts.append(f"{key}: {_text(node[key])}")
    return "; ".join(parts)


def read_asyncapi(doc: Any) -> AsyncApiDoc:
    """The rows of an AsyncAPI document; raises DefinitionError when `doc` is not one."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("asyncapi"), str | int | float):
        raise DefinitionError("the definition is not an AsyncAPI document (no `asyncapi` version field)")
    version = str(doc["asyncapi"])
    info = _map(doc.get("info"))
    reader = _Reader(doc)
    out = AsyncApiDoc(version=version, title=_text(info.get("title")), api_version=_text(info.get("version")),
                      description=_text(info.get("description")))
    for name, server in list(_map(doc.get("servers")).items())[:MAX_ITEMS]:
        srv = _map(reader.resolve(server)[0])
        url = _text(srv.get("url") or srv.get("host")) + _text(srv.get("pathname"))
        out.servers.append((str(name), url, _text(srv.get("protocol"))))
    v3 = version.startswith("3")
    for key, item in list(_map(doc.get("channels")).items())[:MAX_ITEMS]:
        channel = _map(reader.resolve(item)[0])
        params = [(str(p), _text(_map(reader.resolve(v)[0]).get("description")))
                  for p, v in list(_map(channel.get("parameters")).items())[:MAX_ITEMS]]
        address = _text(channel.get("address")) if v3 else str(key)
        out.channels.append(Channel(key=str(key), address=address, description=_text(channel.get("description")),
                                    parameters=params,
                                    messages=reader.messages(channel.get("messages")) if v3 else []))
        if not v3:
            for action in ("publish", "subscribe"):
                if isinstance(channel.get(action), Mapping):
                    op = channel[action]
                    out.operations.append(Operation(
                        key=_text(op.get("operationId")) or f"{action} {key}", action=action, channel=str(key),
                        summary=_text(op.get("summary") or op.get("description")),
                        messages=reader.messages(op.get("message")) if "message" in op else []))
    for key, item in list(_map(doc.get("operations")).items())[:MAX_ITEMS] if v3 else []:
        op = _map(reader.resolve(item)[0])
        _, channel_name = reader.resolve(op.get("channel"))
        msgs = reader.messages(op["messages"]) if isinstance(op.get("messages"), list) else []
        out.operations.append(Operation(key=str(key), action=_text(op.get("action")), channel=channel_name,
                                        summary=_text(op.get("summary") or op.get("description")), messages=msgs))
    out.truncated = reader.truncated
    return out

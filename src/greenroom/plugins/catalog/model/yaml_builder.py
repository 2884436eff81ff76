"""Builds one YAML document from parser events, with resource limits.

Kept separate from ``yaml_loader`` so the event state machine stays readable.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from .issues import join_path
from .yaml_scalars import ScalarError, js_key, resolve_plain, resolve_scalar


class YamlDocumentError(ValueError):
    """A problem that makes one document (or the whole input) unusable."""


@dataclass(slots=True)
class _Anchor:
    value: Any
    nodes: int
    height: int
    # The ``yaml`` package's "alias count" of the anchored node (see _add).
    weight: int
    done: bool = True
    uses: int = 0


@dataclass(slots=True)
class _Frame:
    container: dict[str, Any] | list[Any]
    path: str
    anchor: str | None
    start_nodes: int
    line: int | None
    key: str = ""
    has_key: bool = False
    height: int = 0
    weight: int = 0


class DocumentBuilder:
    """Feed it the events between DocumentStart and DocumentEnd; read ``root``.

    Aliases are expanded into copies (so later mutation of one place cannot
    leak into another) and each expansion counts against ``max_nodes``.
    Merge keys (``<<``) are ordinary keys, as in YAML 1.2 and Backstage.
    """

    def __init__(self, max_depth: int, max_nodes: int, max_alias_count: int) -> None:
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_alias_count = max_alias_count
        self.root: Any = None
        self.root_line: int | None = None
        self.positions: dict[str, int] = {}
        self.error: str | None = None
        self.error_line: int | None = None
        self._stack: list[_Frame] = []
        self._anchors: dict[str, _Anchor] = {}
        self._nodes = 0

    def feed(self, event: yaml.Event) -> None:
        """Consume one event; after the first error the rest are ignored."""
        if self.error is not None:
            return
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        try:
            self._handle(event, line)
        except YamlDocumentError as exc:
            self.error, self.error_line = str(exc), line
            # Drop partial data now: it may be large and must never be used.
            self._stack.clear()
            self._anchors.clear()
            self.root = None

    def _count(self, nodes: int) -> None:
        self._nodes += nodes
        if self._nodes > self.max_nodes:
            raise YamlDocumentError(
                f"Document has more than {self.max_nodes} nodes with aliases expanded "
                "(possible alias expansion attack)"
            )

    def _check_depth(self, depth: int) -> None:
        if depth > self.max_depth:
            raise YamlDocumentError(f"Document nesting is deeper than the limit of {self.max_depth}")

    def _handle(self, event: yaml.Event, line: int | None) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self._count(1)
            try:
                value = resolve_scalar(event.value, event.tag, event.style in (None, ""))
            except ScalarError as exc:
                raise YamlDocumentError(str(exc)) from None
            if event.anchor:
                self._anchors[event.anchor] = _Anchor(value, 1, 0, 1)
            self._add(value, line, height=0, weight=1, scalar=True, recorded=False)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            path = self._start_path(line)
            self._check_depth(len(self._stack) + 1)
            self._count(1)
            if event.anchor:
                self._anchors[event.anchor] = _Anchor(None, 0, 0, 0, done=False)
            container: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
            self._stack.append(_Frame(container, path, event.anchor, self._nodes - 1, line))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            frame = self._stack.pop()
            height = frame.height + 1
            if frame.anchor:
                nodes = self._nodes - frame.start_nodes
                self._anchors[frame.anchor] = _Anchor(frame.container, nodes, height, frame.weight)
            self._add(frame.container, frame.line, height, frame.weight, scalar=False, recorded=True)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(str(event.anchor), line)

    def _alias(self, name: str, line: int | None) -> None:
        anchor = self._anchors.get(name)
        if anchor is None:
            raise YamlDocumentError(f"Aliased anchor not found: {name}")
        if not anchor.done:
            raise YamlDocumentError(f"Alias *{name} refers to its own enclosing node (recursive alias)")
        anchor.uses += 1
        # The ``yaml`` package's rule: uses of an anchor times the alias count
        # nested inside it; this stops "billion laughs" after a few levels.
        if self.max_alias_count >= 0 and anchor.uses * anchor.weight > self.max_alias_count:
            raise YamlDocumentError("Excessive alias count indicates a resource exhaustion attack")
        self._check_depth(len(self._stack) + anchor.height)
        self._count(anchor.nodes)
        is_scalar = not isinstance(anchor.value, dict | list)
        value = anchor.value if is_scalar else copy.deepcopy(anchor.value)
        self._add(value, line, anchor.height, anchor.uses * anchor.weight, scalar=is_scalar, recorded=False)

    def _start_path(self, line: int | None) -> str:
        if not self._stack:
            return ""
        frame = self._stack[-1]
        if isinstance(frame.container, list):
            path = join_path(frame.path, len(frame.container))
        elif not frame.has_key:
            raise YamlDocumentError("Mapping keys must be scalars; complex keys are not supported")
        else:
            path = join_path(frame.path, frame.key)
        if line is not None:
            self.positions.setdefault(path, line)
        return path

    def _add(
        self, value: Any, line: int | None, height: int, weight: int, *, scalar: bool, recorded: bool
    ) -> None:
        if not self._stack:
            self.root, self.root_line = value, line
            return
        frame = self._stack[-1]
        frame.height = max(frame.height, height)
        frame.weight = max(frame.weight, weight)
        if isinstance(frame.container, list):
            if not recorded and line is not None:
                self.positions.setdefault(join_path(frame.path, len(frame.container)), line)
            frame.container.append(value)
        elif not frame.has_key:
            if not scalar:
                raise YamlDocumentError("Mapping keys must be scalars; complex keys are not supported")
            key = js_key(value)
            if key in frame.container:
                raise YamlDocumentError(f'Map keys must be unique; "{key}" is repeated')
            frame.key, frame.has_key = key, True
            if line is not None:
                self.positions.setdefault(join_path(frame.path, key), line)
        else:
            frame.container[frame.key] = value
            frame.has_key = False


@dataclass(slots=True)
class BuiltDocument:
    """A document built without problems by ``build_document``."""

    root: Any
    root_line: int | None
    positions: dict[str, int]


_ScalarEvent = yaml.ScalarEvent
_MappingStartEvent = yaml.MappingStartEvent
_SequenceStartEvent = yaml.SequenceStartEvent
_MappingEndEvent = yaml.MappingEndEvent
_SequenceEndEvent = yaml.SequenceEndEvent
_DocumentEndEvent = yaml.DocumentEndEvent
_StreamEndEvent = yaml.StreamEndEvent


def build_document(
    get_event: Callable[[], yaml.Event | None], max_depth: int, max_nodes: int, max_alias_count: int
) -> BuiltDocument | DocumentBuilder | None:
    """Build the document whose ``DocumentStartEvent`` was just read, up to its end.

    This is the fast path of ``DocumentBuilder``, with the same result. It
    handles plain documents (no anchors, aliases or scalar tags) in one tight
    loop. On anything else (an alias, a tag, a duplicate key, a complex key,
    nesting or size over the limits) it hands the document's events so far,
    and the rest of them, to a ``DocumentBuilder``, which does the exact checks
    and error reporting; that builder is returned. None means the stream ended
    without the document's end.
    """
    events: list[yaml.Event] = []
    record = events.append
    positions: dict[str, int] = {}
    remember = positions.setdefault
    resolve = resolve_plain
    stack: list[tuple[Any, str, bool, str | None]] = []
    push, pop = stack.append, stack.pop
    # The open container (None at the root), its path, whether it is a mapping,
    # and the key waiting for its value.
    container: Any = None
    path = ""
    is_map = False
    key: str | None = None
    root: Any = None
    root_line: int | None = None
    while True:
        event = get_event()
        cls = event.__class__
        if cls is _ScalarEvent:
            record(event)  # type: ignore[arg-type]
            if event.anchor is not None or event.tag is not None:  # type: ignore[union-attr]
                break
            value: Any = event.value  # type: ignore[union-attr]
            if not event.style:  # type: ignore[union-attr]
                value = resolve(value)
            if is_map:
                if key is None:
                    name = value if value.__class__ is str else js_key(value)
                    if name in container:
                        break
                    key = name
                    remember(f"{path}.{name}" if path else name, event.start_mark.line + 1)  # type: ignore[union-attr]
                else:
                    container[key] = value
                    key = None
            elif container is not None:
                remember(f"{path}[{len(container)}]", event.start_mark.line + 1)  # type: ignore[union-attr]
                container.append(value)
            else:
                root, root_line = value, event.start_mark.line + 1  # type: ignore[union-attr]
        elif cls is _MappingStartEvent or cls is _SequenceStartEvent:
            record(event)  # type: ignore[arg-type]
            if event.anchor is not None or len(stack) >= max_depth:  # type: ignore[union-attr]
                break
            if is_map:
                if key is None:
                    break  # a complex key
                sub = f"{path}.{key}" if path else key  # its line is the key's, recorded already
            elif container is not None:
                sub = f"{path}[{len(container)}]"
                remember(sub, event.start_mark.line + 1)  # type: ignore[union-attr]
            else:
                sub = ""
                root_line = event.start_mark.line + 1  # type: ignore[union-attr]
            push((container, path, is_map, key))
            is_map = cls is _MappingStartEvent
            container = {} if is_map else []
            path, key = sub, None
        elif cls is _MappingEndEvent or cls is _SequenceEndEvent:
            record(event)  # type: ignore[arg-type]
            value = container
            container, path, is_map, key = pop()
            if is_map:
                container[key] = value
                key = None
            elif container is not None:
                container.append(value)
            else:
                root = value
        elif cls is _DocumentEndEvent:
            if len(events) <= max_nodes:
                return BuiltDocument(root, root_line, positions)
            # Possibly too many nodes: let the exact builder count and report.
            return _replay(events, None, max_depth, max_nodes, max_alias_count)
        elif event is None or cls is _StreamEndEvent:
            return None
        else:
            record(event)
            break
    return _replay(events, get_event, max_depth, max_nodes, max_alias_count)


def _replay(
    events: list[yaml.Event],
    more: Callable[[], yaml.Event | None] | None,
    max_depth: int,
    max_nodes: int,
    max_alias_count: int,
) -> DocumentBuilder | None:
    """Feed a ``DocumentBuilder`` the events so far, then (if ``more``) the rest of the document."""
    builder = DocumentBuilder(max_depth, max_nodes, max_alias_count)
    for past in events:
        builder.feed(past)
    if more is None:
        return builder
    while True:
        event = more()
        cls = event.__class__
        if cls is _DocumentEndEvent:
            return builder
        if event is None or cls is _StreamEndEvent:
            return None
        builder.feed(event)

"""Safe multi-document YAML loading for catalog files.

Documents are built from PyYAML parser events (libyaml when available), never
through a constructor, so no tag can run code. The builder is iterative and
enforces limits on input size, nesting depth, node count (aliases expanded)
and alias use, rejects duplicate keys, and records the line of every field.
Problems inside one document do not stop the others, like Backstage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .yaml_builder import BuiltDocument, DocumentBuilder, YamlDocumentError, build_document
from .yaml_fast import fast_documents

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = [
    "YamlDocument",
    "YamlIssue",
    "YamlLimits",
    "YamlLoadError",
    "YamlLoadResult",
    "load_mappings_fast",
    "load_single_yaml_document",
    "load_yaml_documents",
]


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """Resource limits; the defaults fit any real catalog file.

    ``max_alias_count`` uses the ``yaml`` package's rule (uses of an anchor
    times the aliases nested in it), so files Backstage accepts pass.
    """

    max_bytes: int = 5 * 1024 * 1024
    max_depth: int = 100
    max_nodes: int = 1_000_000
    max_alias_count: int = 100


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """One parsed document: its data, 1-based start line, index, and field lines."""

    data: Any
    line: int
    index: int
    positions: dict[str, int] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class YamlIssue:
    """A problem with the file (``index`` None) or with one document."""

    message: str
    line: int | None
    index: int | None
    source: str | None = None

    def __str__(self) -> str:
        where = self.source or "<yaml>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class YamlLoadResult:
    """Documents that loaded, and issues for the ones (or the file) that did not."""

    documents: list[YamlDocument]
    errors: list[YamlIssue]


class YamlLoadError(ValueError):
    """Raised by ``load_single_yaml_document``."""

    def __init__(self, issue: YamlIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


def _decode(content: str | bytes, limits: YamlLimits) -> str:
    if isinstance(content, bytes):
        if len(content) > limits.max_bytes:
            raise YamlDocumentError(
                f"YAML input is {len(content)} bytes, above the limit of {limits.max_bytes}"
            )
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlDocumentError(f"YAML input is not valid UTF-8: {exc}") from None
    else:
        # A str can only grow when encoded, so the cheap length check goes first.
        if (
            len(content) > limits.max_bytes
            or len(content.encode("utf-8", "surrogatepass")) > limits.max_bytes
        ):
            raise YamlDocumentError(f"YAML input is larger than the limit of {limits.max_bytes} bytes")
        text = content
    return text.removeprefix("\ufeff")


def load_yaml_documents(
    content: str | bytes,
    *,
    source: str | None = None,
    limits: YamlLimits | None = None,
    require_mapping: bool = True,
    skip_empty: bool = True,
) -> YamlLoadResult:
    """Parse every document of a YAML stream.

    Empty (null) documents, e.g. from a ``---`` at the end of a file, are
    skipped unless ``skip_empty`` is false. With
    ``require_mapping`` a document whose root is not a mapping is an error
    (``Expected object at root``). A syntax error ends the stream: documents
    before it are kept.
    """
    limits = limits or YamlLimits()
    documents: list[YamlDocument] = []
    errors: list[YamlIssue] = []
    try:
        text = _decode(content, limits)
    except YamlDocumentError as exc:
        return YamlLoadResult([], [YamlIssue(str(exc), None, None, source)])
    index = -1
    parser = _Loader(text)
    get_event = parser.get_event
    try:
        while True:
            event = get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                index += 1
                built = build_document(get_event, limits.max_depth, limits.max_nodes, limits.max_alias_count)
                if built is None:
                    break
                _finish(built, index, require_mapping, skip_empty, source, documents, errors)
            elif event is None or isinstance(event, yaml.StreamEndEvent):
                break
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"YAML syntax error: {exc.problem or exc.context or exc}"
        errors.append(YamlIssue(message, mark.line + 1 if mark else None, max(index, 0), source))
    except yaml.YAMLError as exc:
        errors.append(YamlIssue(f"YAML error: {exc}", None, max(index, 0), source))
    finally:
        parser.dispose()
    return YamlLoadResult(documents, errors)


def load_mappings_fast(content: str | bytes, *, limits: YamlLimits | None = None) -> list[dict[str, Any]] | None:
    """The documents of a stream, when it is a plain one of mappings that a native parser reads faster; None
    means ``load_yaml_documents`` must read it (see ``yaml_fast``). Gives no lines, so for reading, not for
    reporting."""
    limits = limits or YamlLimits()
    try:
        text = _decode(content, limits)
    except YamlDocumentError:
        return None
    # Without aliases a node takes at least a character: only a longer text could pass the node limit.
    if len(text) >= limits.max_nodes:
        return None
    return fast_documents(text, limits.max_depth)


def _finish(
    builder: BuiltDocument | DocumentBuilder,
    index: int,
    require_mapping: bool,
    skip_empty: bool,
    source: str | None,
    documents: list[YamlDocument],
    errors: list[YamlIssue],
) -> None:
    if isinstance(builder, DocumentBuilder) and builder.error is not None:
        errors.append(YamlIssue(builder.error, builder.error_line, index, source))
        return
    data = builder.root
    if data is None and skip_empty:
        return
    if require_mapping and not isinstance(data, dict):
        kind = "array" if isinstance(data, list) else type(data).__name__
        errors.append(YamlIssue(f"Expected object at root, got {kind}", builder.root_line, index, source))
        return
    documents.append(YamlDocument(data, builder.root_line or 1, index, builder.positions))


def load_single_yaml_document(
    content: str | bytes, *, source: str | None = None, limits: YamlLimits | None = None
) -> Any:
    """Data of a stream that must hold exactly one document (``$yaml`` placeholders).

    Any mapping, list or scalar is allowed; raises ``YamlLoadError`` otherwise.
    """
    result = load_yaml_documents(
        content, source=source, limits=limits, require_mapping=False, skip_empty=False
    )
    if result.errors:
        raise YamlLoadError(result.errors[0])
    if len(result.documents) != 1:
        message = f"expected to find exactly one document of data, found {len(result.documents)}"
        raise YamlLoadError(YamlIssue(message, None, None, source))
    return result.documents[0].data

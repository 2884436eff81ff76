"""The shapes processing works with, and the interfaces plugins implement to extend it.

A *processor* reads locations and adds to entities as they pass through processing; an *entity provider*
pushes entities from a source of its own (an org directory, a cloud account). Both follow Backstage's
`CatalogProcessor` and `EntityProvider` so their logic carries over.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import orjson

Entity = dict[str, Any]

ANNOTATION_LOCATION = "backstage.io/managed-by-location"
ANNOTATION_ORIGIN_LOCATION = "backstage.io/managed-by-origin-location"
ANNOTATION_ORPHAN = "backstage.io/orphan"
PROCESSING_ERROR_TYPE = "backstage.io/catalog-processing"


@dataclass(frozen=True)
class LocationSpec:
    """Where entities come from: `type` (file, url, …) and `target`; `presence` says if it may be missing."""

    type: str
    target: str
    presence: str = "required"

    @property
    def key(self) -> str:
        """`type:target`, the form stored in managed-by-location annotations."""
        return f"{self.type}:{self.target}"


@dataclass(frozen=True)
class ProcessingError:
    """An error attached to an entity: Backstage's error name and a message naming field and source."""

    name: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "message": self.message}


@dataclass(frozen=True)
class Result:
    """A processed entity in the form it is stored: what `ProcessOutcome.stored` gives."""

    ok: bool
    processed: bytes | None  # the processed entity, serialized; None when processing failed
    relations: list[tuple[str, str, str]]
    errors: str | None  # the errors as JSON, None when there are none
    digest: str  # a hash of the whole outcome, to tell a changed result from the same one


@dataclass(frozen=True)
class Prepared:
    """An entity finished where it was read (see `Emitter.prepare`): stamped, serialized, maybe processed.

    `result` is present when the entity was processed there too, which spares it a turn of the processing
    loop; it is absent for entities that must be processed in the loop (locations, placeholders)."""

    ref: str
    blob: bytes  # the unprocessed entity with its location annotations, serialized
    result: Result | None
    digest: str = ""  # the SHA-1 of `blob` in hex, as stored to tell a changed entity (computed when empty)

    def blob_digest(self) -> str:
        return self.digest or hashlib.sha1(self.blob).hexdigest()


@dataclass
class Emitted:
    """An entity found while reading a location, with the key of the file or URL it came from."""

    entity: Entity
    location: LocationSpec


class EntitySink(Protocol):
    """Where a reader may hand prepared entities instead of emitting them (see `Emitter.prepare`)."""

    def add(self, location: LocationSpec, prepared: Prepared) -> None:
        """Take one prepared entity read from `location`."""

    def add_unchanged(self, location: LocationSpec, ref: str, digest: str) -> None:
        """Take an entity that `location` gave, as `Prepared` with this `digest`, on an earlier read and that the
        reader did not read again because the source has not changed since. The sink checks that the stored
        entity is still that one; if not, it names the source in `stale()`."""

    def flush(self) -> None:
        """Store whatever has been taken and not stored yet."""

    def stale(self) -> list[LocationSpec]:
        """The sources given to `add_unchanged` (up to the last flush) whose stored entities are not the ones
        they gave, or are gone: the reader must read them again. Each is named once."""


@dataclass
class Emitter:
    """Collects what processors emit for one entity."""

    entities: list[Emitted] = field(default_factory=list)
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[ProcessingError] = field(default_factory=list)
    # A source that could not be read: its entities keep their last good version and get this error.
    source_errors: dict[str, ProcessingError] = field(default_factory=dict)
    refresh_keys: list[str] = field(default_factory=list)
    # Both set by the orchestrator while a location's targets are read for the processing loop. A reader may
    # call `prepare` on each entity it parses, wherever it parses it (the file reader does so in its helper
    # processes), and hand the `Prepared` it returns to `sink` instead of emitting the entity; a
    # `ProcessingError` means the entity is refused (a catalog rule) and becomes that source's error; None
    # means "emit the entity as it is".
    prepare: Callable[[LocationSpec, Entity], Prepared | ProcessingError | None] | None = None
    sink: EntitySink | None = None
    origin: LocationSpec | None = None  # with `prepare`: the location whose read stamps the entities as origin

    def entity(self, location: LocationSpec, entity: Entity) -> None:
        self.entities.append(Emitted(entity, location))

    def relation(self, source_ref: str, type_: str, target_ref: str) -> None:
        self.relations.append((source_ref, type_, target_ref))

    def error(self, name: str, message: str) -> None:
        self.errors.append(ProcessingError(name, message))

    def source_error(self, location: LocationSpec, name: str, message: str) -> None:
        """Report a source (file, URL) that failed without failing the whole location."""
        self.source_errors.setdefault(location.key, ProcessingError(name, message))


@runtime_checkable
class CatalogProcessor(Protocol):
    """Extends processing. Implement only the methods you need; each may be left out.

    Set `parallel_safe = True` on a processor whose methods depend on nothing but the entity and its location:
    then entities read from files may be processed where they are parsed, in helper processes."""

    name: str


class LocationReader(Protocol):
    """A processor method: read `location` and emit its entities; return False when not your type."""

    def __call__(self, location: LocationSpec, optional: bool, emit: Emitter, parent: Mapping[str, Any]) -> bool:
        ...


@dataclass(frozen=True)
class ProcessOutcome:
    """What processing made of one entity."""

    ok: bool
    entity: Entity | None
    relations: list[tuple[str, str, str]]
    children: list[Emitted]
    errors: list[ProcessingError]
    source_errors: dict[str, ProcessingError]

    def stored(self) -> Result:
        """The outcome as the processing engine stores it, with a hash of all of it (children included) to
        skip writing an unchanged one."""
        errors = [e.as_dict() for e in self.errors]
        processed = orjson.dumps(self.entity) if self.ok else None
        digest = hashlib.sha1(orjson.dumps([self.ok, sorted(set(self.relations)), errors]))
        digest.update(processed or b"null")
        # Children one by one (JSON delimits itself, so the sequence is unambiguous): serialized in one piece, the
        # children of a 50,000-entity location were a single string of 150 MB.
        for child in self.children:
            digest.update(orjson.dumps([child.location.key, child.entity], option=orjson.OPT_SORT_KEYS))
        errors_json = orjson.dumps(errors).decode() if errors else None
        if not self.ok:
            return Result(False, None, [], errors_json or "[]", digest.hexdigest())
        return Result(True, processed, self.relations, errors_json, digest.hexdigest())

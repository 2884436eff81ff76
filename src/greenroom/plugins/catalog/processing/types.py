"""The shapes processing works with, and the interfaces plugins implement to extend it.

A *processor* reads locations and adds to entities as they pass through processing; an *entity provider*
pushes entities from a source of its own (an org directory, a cloud account). Both follow Backstage's
`CatalogProcessor` and `EntityProvider` so their logic carries over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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


@dataclass
class Emitted:
    """An entity found while reading a location, with the key of the file or URL it came from."""

    entity: Entity
    location: LocationSpec


@dataclass
class Emitter:
    """Collects what processors emit for one entity."""

    entities: list[Emitted] = field(default_factory=list)
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[ProcessingError] = field(default_factory=list)
    # A source that could not be read: its entities keep their last good version and get this error.
    source_errors: dict[str, ProcessingError] = field(default_factory=dict)
    refresh_keys: list[str] = field(default_factory=list)

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
    """Extends processing. Implement only the methods you need; each may be left out."""

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

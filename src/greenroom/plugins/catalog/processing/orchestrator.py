"""Processing one entity: validate, resolve placeholders, run processors, read locations, emit relations.

The steps and their order follow Backstage's orchestrator, so an entity that Backstage accepts is accepted here
with the same relations, and one it rejects gets an error naming the field and the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from greenroom.plugins.catalog.ingest.rules import RuleSet
from greenroom.plugins.catalog.model import (
    KindRegistry,
    compute_relations,
    default_registry,
    parse_location_ref,
    resolve_placeholders,
    stringify_entity_ref,
    validate_entity,
)
from greenroom.plugins.catalog.model.refs import InvalidLocationRefError
from greenroom.plugins.catalog.processing.types import (
    ANNOTATION_LOCATION,
    ANNOTATION_ORIGIN_LOCATION,
    Emitter,
    Entity,
    EntitySink,
    LocationSpec,
    Prepared,
    ProcessingError,
    ProcessOutcome,
)

PlaceholderReader = Callable[[str, str, LocationSpec], Any]


def location_entity(spec: LocationSpec, origin: LocationSpec | None = None) -> dict[str, Any]:
    """The Location entity that stands for a registered or configured location (Backstage's naming)."""
    digest = hashlib.sha1(spec.key.encode("utf-8")).hexdigest()
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {
            "name": f"generated-{digest}",
            "namespace": "default",
            "annotations": {ANNOTATION_LOCATION: spec.key, ANNOTATION_ORIGIN_LOCATION: (origin or spec).key},
        },
        "spec": {"type": spec.type, "target": spec.target, "presence": spec.presence},
    }


def location_of(entity: Mapping[str, Any], annotation: str = ANNOTATION_LOCATION) -> LocationSpec | None:
    """The location an entity's annotation names, or None when absent or malformed."""
    value = ((entity.get("metadata") or {}).get("annotations") or {}).get(annotation)
    if not isinstance(value, str):
        return None
    try:
        ref = parse_location_ref(value)
    except InvalidLocationRefError:
        return None
    return LocationSpec(ref.type, ref.target)


class Orchestrator:
    """Runs the processing steps; processors and location readers come from plugins."""

    def __init__(self, rules: RuleSet, readers: Sequence[Any], processors: Sequence[Any] = (),
                 registry: KindRegistry | None = None, placeholder_reader: PlaceholderReader | None = None,
                 resolve_target: Callable[[LocationSpec, str, str | None], LocationSpec] | None = None) -> None:
        self.rules = rules
        self.readers = list(readers)
        self.processors = list(processors)
        self.registry = registry or default_registry()
        self.placeholder_reader = placeholder_reader
        self.resolve_target = resolve_target

    def process(self, unprocessed: dict[str, Any], sink: EntitySink | None = None) -> ProcessOutcome:
        """Process one entity. Never raises for bad input: problems become errors on the outcome.

        With a `sink`, readers that can finish the entities they read as they read them and hand them there
        (see `Emitter.prepare`): the processing loop wants that, a preview of a location does not."""
        emit = Emitter()
        try:
            entity = self._run(unprocessed, emit, sink)
        except Exception as exc:  # a processor bug must not stop the loop; it is reported on the entity
            emit.error("Error", f"processing failed: {type(exc).__name__}: {exc}")
            entity = None
        ok = entity is not None and not emit.errors
        return ProcessOutcome(ok=ok, entity=entity, relations=emit.relations, children=emit.entities,
                              errors=[*emit.errors, *emit.source_errors.values()],
                              source_errors=emit.source_errors)

    def _run(self, unprocessed: dict[str, Any], emit: Emitter, sink: EntitySink | None = None
             ) -> dict[str, Any] | None:
        # Callers hand over a freshly decoded entity, so it is ours to change without copying.
        entity: dict[str, Any] = dict(unprocessed)
        own = location_of(entity)
        source = own.target if own else None
        if own is None or location_of(entity, ANNOTATION_ORIGIN_LOCATION) is None:
            emit.error("InputError", f"entity {_describe(entity)} lacks the {ANNOTATION_LOCATION} and "
                                     f"{ANNOTATION_ORIGIN_LOCATION} annotations")
            return None
        entity.setdefault("metadata", {}).setdefault("namespace", "default")
        if self.placeholder_reader is not None and _may_hold_placeholders(entity):
            reader = self.placeholder_reader
            resolved, problems = resolve_placeholders(entity, lambda kind, value, base: reader(kind, value, own),
                                                      own.target)
            for problem in problems:
                emit.error("InputError", f"{_describe(entity)}: {problem}")
            if problems:
                return None
            entity = dict(resolved)
        _sort_ref_lists(entity)
        for processor in self.processors:
            pre = getattr(processor, "pre_process", None)
            if pre is not None:
                entity = pre(entity, own, emit)
        issues = validate_entity(entity, registry=self.registry, source=source)
        if issues:
            for issue in issues:
                emit.error("InputError", issue.message)
            return None
        ref = stringify_entity_ref(entity)
        if entity.get("kind") == "Location":
            self._read_targets(entity, own, emit, sink)
        for processor in self.processors:
            post = getattr(processor, "post_process", None)
            if post is not None:
                entity = post(entity, own, emit)
        # Each ref stands in two relations (and the entity's own in all): stringified once each.
        texts: dict[int, str] = {}
        for relation in compute_relations(entity):
            start, end = relation.source, relation.target
            start_text = texts.get(id(start)) or texts.setdefault(id(start), str(start))
            end_text = texts.get(id(end)) or texts.setdefault(id(end), str(end))
            emit.relation(start_text, relation.type, end_text)
        self._check_rules(ref, entity, emit)
        return entity

    def _read_targets(self, entity: Mapping[str, Any], own: LocationSpec, emit: Emitter,
                      sink: EntitySink | None = None) -> None:
        spec = entity.get("spec") or {}
        targets = [t for t in [spec.get("target"), *(spec.get("targets") or [])] if isinstance(t, str) and t]
        presence = spec.get("presence") or "required"
        origin = location_of(entity, ANNOTATION_ORIGIN_LOCATION) or own
        if sink is not None:
            emit.prepare, emit.sink, emit.origin = ChildPreparer(self, origin), sink, origin
        for target in targets:
            location = (self.resolve_target(own, target, spec.get("type"))
                        if self.resolve_target else LocationSpec(spec.get("type") or own.type, target))
            location = LocationSpec(location.type, location.target, presence)
            before = len(emit.entities)
            handled = any(reader(location, presence == "optional", emit, entity) for reader in self.readers)
            if not handled:
                emit.error("InputError", f"no reader can read locations of type {location.type!r} "
                                         f"({location.key}) in {_describe(entity)}")
            for emitted in emit.entities[before:]:
                stamp(emitted.entity, emitted.location, origin)
        emit.prepare = emit.sink = emit.origin = None
        if sink is not None:
            sink.flush()

    def _check_rules(self, ref: str, entity: Mapping[str, Any], emit: Emitter) -> None:
        allowed = []
        for emitted in emit.entities:
            problem = self.refusal(emitted.entity, emitted.location)
            if problem is not None:
                emit.source_error(emitted.location, problem.name, problem.message)
            else:
                allowed.append(emitted)
        emit.entities[:] = allowed

    def refusal(self, entity: Mapping[str, Any], location: LocationSpec) -> ProcessingError | None:
        """The error for an entity that `catalog.rules` do not allow from its origin, or None."""
        origin = location_of(entity, ANNOTATION_ORIGIN_LOCATION)
        if origin is None or self.rules.is_allowed(entity, origin):
            return None
        return ProcessingError("NotAllowedError", f"entity {_describe(entity)} is not of an allowed kind for that "
                                                  f"location ({entity.get('kind')!r} from {origin.key}); "
                                                  "see catalog.rules")

    def pure(self, entity: Mapping[str, Any], outcome: ProcessOutcome) -> bool:
        """True when processing `entity` again gives `outcome` again: every processor is parallel-safe and the
        entity reads nothing from elsewhere (not a location, no placeholders, no emitted entities)."""
        return (self.eager() and entity.get("kind") != "Location" and not outcome.children
                and not _may_hold_placeholders(entity))

    def eager(self) -> bool:
        """True when read entities may be processed where they are read: every processor says it is safe.

        A processor declares `parallel_safe = True` when it keeps no state and touches nothing but the entity,
        so that running it in a helper process, or before the loop would, changes nothing."""
        return all(getattr(p, "parallel_safe", False) for p in self.processors)


def stamp(entity: Entity, location: LocationSpec, origin: LocationSpec) -> None:
    """Record where a read entity came from, in the annotations Backstage uses."""
    annotations = entity.setdefault("metadata", {}).setdefault("annotations", {})
    if isinstance(annotations, dict):
        annotations[ANNOTATION_LOCATION] = location.key
        annotations[ANNOTATION_ORIGIN_LOCATION] = origin.key


class ChildPreparer:
    """Finishes an entity read from a location the way the loop would: stamped, checked against the rules,
    serialized and, unless it must wait for the loop, processed (see `Emitter.prepare`).

    Plain data in, plain data out: the file reader calls it in forked helpers, so it must not touch a lock,
    a connection or a log handler."""

    def __init__(self, orchestrator: Orchestrator, origin: LocationSpec) -> None:
        self.orchestrator = orchestrator
        self.origin = origin
        self.eager = orchestrator.eager()

    def __call__(self, location: LocationSpec, entity: Entity) -> Prepared | ProcessingError | None:
        stamp(entity, location, self.origin)
        problem = self.orchestrator.refusal(entity, location)
        if problem is not None:
            return problem
        try:
            ref = stringify_entity_ref(entity)
        except Exception:  # a malformed entity takes the loop's path, which reports it
            return None
        blob = orjson.dumps(entity)
        digest = hashlib.sha1(blob).hexdigest()
        if not self.eager or entity.get("kind") == "Location" or _blob_may_hold_placeholders(blob):
            return Prepared(ref, blob, None, digest)
        # What the loop would process: the stored bytes decoded, not the parser's objects.
        outcome = self.orchestrator.process(orjson.loads(blob))
        if outcome.children:  # a processor emitted entities: the loop writes those
            return Prepared(ref, blob, None, digest)
        return Prepared(ref, blob, outcome.stored(), digest)


_SORTED_SPEC_LISTS = ("providesApis", "consumesApis", "dependsOn", "dependencyOf", "memberOf", "children", "members")


def _sort_ref_lists(entity: dict[str, Any]) -> None:
    # Backstage sorts these before anything else sees them, so stored entities and etags match its output.
    spec = entity.get("spec")
    if not isinstance(spec, dict):
        return
    for key in _SORTED_SPEC_LISTS:
        value = spec.get(key)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            spec[key] = sorted(value)


def _may_hold_placeholders(entity: Mapping[str, Any]) -> bool:
    # Serializing is far cheaper than walking the tree, and almost no entity holds a placeholder.
    return _blob_may_hold_placeholders(orjson.dumps(entity))


def _blob_may_hold_placeholders(blob: bytes) -> bool:
    return b'"$text"' in blob or b'"$json"' in blob or b'"$yaml"' in blob


def _describe(entity: Mapping[str, Any]) -> str:
    metadata = entity.get("metadata") if isinstance(entity.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    kind, name = entity.get("kind", "?"), metadata.get("name", "?")
    namespace = metadata.get("namespace") or "default"
    return f"{kind}:{namespace}/{name}"

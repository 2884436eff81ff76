"""`catalog.rules`: which kinds (and spec types) may come from which locations."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from greenroom.plugins.catalog.config import ConfigLocation, KindRule, Rule
from greenroom.plugins.catalog.processing.types import LocationSpec


@dataclass(frozen=True)
class _Allow:
    kind: str
    spec_type: str | None

    def matches(self, entity: Mapping[str, Any]) -> bool:
        if str(entity.get("kind", "")).lower() != self.kind:
            return False
        if self.spec_type is None:
            return True
        spec = entity.get("spec") if isinstance(entity.get("spec"), Mapping) else {}
        assert isinstance(spec, Mapping)
        return str(spec.get("type", "")).lower() == self.spec_type


def _allows(items: Sequence[str | KindRule]) -> list[_Allow]:
    return [_Allow(i.lower(), None) if isinstance(i, str) else
            _Allow(i.kind.lower(), i.spec_type.lower() if i.spec_type else None) for i in items]


class RuleSet:
    """Decides whether an entity whose origin is `origin` may enter the catalog."""

    def __init__(self, rules: Sequence[Rule], config_locations: Sequence[ConfigLocation] = (),
                 resolve: Any = None) -> None:
        self._global: list[tuple[list[_Allow], list[tuple[str, str | None, str | None]] | None]] = []
        for rule in rules:
            where = None if rule.locations is None else [
                (loc.type, loc.exact, loc.pattern) for loc in rule.locations]
            self._global.append((_allows(rule.allow), where))
        self._per_location: dict[str, list[_Allow]] = {}
        for loc in config_locations:
            if loc.rules is not None:
                target = resolve(loc) if resolve else LocationSpec(loc.type, loc.target)
                self._per_location[target.key] = [a for r in loc.rules for a in _allows(r.allow)]

    def is_allowed(self, entity: Mapping[str, Any], origin: LocationSpec) -> bool:
        """True when a rule for `origin` (its own rules first, else the global ones) allows the entity."""
        own = self._per_location.get(origin.key)
        if own is not None:
            return any(a.matches(entity) for a in own)
        for allows, where in self._global:
            if where is not None and not any(_location_matches(origin, w) for w in where):
                continue
            if any(a.matches(entity) for a in allows):
                return True
        return False


def _location_matches(origin: LocationSpec, where: tuple[str, str | None, str | None]) -> bool:
    type_, exact, pattern = where
    if origin.type != type_:
        return False
    if exact is not None:
        return origin.target == exact
    if pattern is not None:
        return fnmatch.fnmatch(origin.target.lower(), pattern.lower())
    return True

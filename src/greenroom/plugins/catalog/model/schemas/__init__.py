"""JSON Schemas of the entity envelope and the built-in kinds, and their loader.

The files follow the layout of Backstage's ``catalog-model/src/schema``: each
kind schema is ``allOf: [{$ref: Entity}, {<kind-specific part>}]``. Schemas
reference each other by ``$id`` (``Entity``, ``EntityMeta``, ``common``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, cast

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

__all__ = [
    "BUILTIN_KIND_SCHEMAS",
    "base_registry",
    "base_schema_store",
    "base_schema_validator",
    "kind_schema_validator",
    "load_kind_schema",
    "load_schema",
    "schema_validator",
]

# (kind, schema file stem) of the built-in kinds shipped here.
BUILTIN_KIND_SCHEMAS: tuple[tuple[str, str], ...] = (
    ("Component", "Component.v1alpha1"),
    ("API", "API.v1alpha1"),
    ("Resource", "Resource.v1alpha1"),
    ("System", "System.v1alpha1"),
    ("Domain", "Domain.v1alpha1"),
    ("Group", "Group.v1alpha1"),
    ("User", "User.v1alpha1"),
    ("Location", "Location.v1alpha1"),
    ("Template", "Template.v1beta3"),
)

_BASE_SCHEMAS = ("common", "EntityMeta", "Entity")


def _read_json(*parts: str) -> dict[str, Any]:
    node = resources.files(__name__)
    for part in parts:
        node = node.joinpath(part)
    return cast(dict[str, Any], json.loads(node.read_text(encoding="utf-8")))


@cache
def _load(*parts: str) -> dict[str, Any]:
    return _read_json(*parts)


def load_schema(name: str) -> dict[str, Any]:
    """Load a base schema by name: ``Entity``, ``EntityMeta`` or ``common``.

    The returned dict is shared; copy it before changing it.
    """
    if name not in _BASE_SCHEMAS:
        raise KeyError(f"Unknown base schema {name!r}; expected one of {', '.join(_BASE_SCHEMAS)}")
    return _load(f"{name}.schema.json")


def load_kind_schema(stem: str) -> dict[str, Any]:
    """Load a kind schema by file stem, e.g. ``Component.v1alpha1``."""
    if stem not in {s for _, s in BUILTIN_KIND_SCHEMAS}:
        raise KeyError(f"Unknown kind schema {stem!r}")
    return _load("kinds", f"{stem}.schema.json")


@cache
def base_registry() -> Registry[Any]:
    """A ``referencing`` registry holding ``Entity``, ``EntityMeta`` and ``common``."""
    pairs = [
        (name, Resource.from_contents(load_schema(name), default_specification=DRAFT7))
        for name in _BASE_SCHEMAS
    ]
    return Registry().with_resources(pairs).crawl()


@cache
def base_schema_store() -> dict[str, Any]:
    """The base schemas keyed by ``$id``, for resolving ``$ref``s outside jsonschema."""
    return {str(load_schema(name)["$id"]): load_schema(name) for name in _BASE_SCHEMAS}


def schema_validator(schema: dict[str, Any]) -> Draft7Validator:
    """A draft-07 validator for ``schema`` that can resolve the base schemas by ``$id``."""
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, registry=base_registry())


@cache
def base_schema_validator(name: str) -> Draft7Validator:
    """Cached validator for a base schema (``Entity``, ``EntityMeta``, ``common``)."""
    return schema_validator(load_schema(name))


@cache
def kind_schema_validator(stem: str) -> Draft7Validator:
    """Cached validator for a built-in kind schema."""
    return schema_validator(load_kind_schema(stem))

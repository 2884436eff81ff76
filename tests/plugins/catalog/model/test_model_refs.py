"""Entity and location references (Backstage ``ref.ts`` / ``location/helpers.ts``)."""

from __future__ import annotations

import pytest

from greenroom.plugins.catalog.model import (
    EntityRef,
    InvalidEntityRefError,
    InvalidLocationRefError,
    LocationRef,
    entity_ref_key,
    get_entity_ref,
    parse_entity_ref,
    parse_location_ref,
    stringify_entity_ref,
    stringify_location_ref,
)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("component:default/petstore", ("component", "default", "petstore")),
        ("Component:Ns/Pet", ("Component", "Ns", "Pet")),
        ("component:petstore", ("component", "default", "petstore")),
        ("ns/petstore", ("Group", "ns", "petstore")),
        ("petstore", ("Group", "default", "petstore")),
        # A ':' after the first '/' is part of the name.
        ("ns/na:me", ("Group", "ns", "na:me")),
        ("k:ns/na:me", ("k", "ns", "na:me")),
        # Only the first '/' separates the namespace; the rest belongs to the name.
        ("k:ns/a/b", ("k", "ns", "a/b")),
        ("a:b:c", ("a", "default", "b:c")),
    ],
)
def test_parse_string_refs(ref: str, expected: tuple[str, str, str]) -> None:
    parsed = parse_entity_ref(ref, default_kind="Group")
    assert (parsed.kind, parsed.namespace, parsed.name) == expected


@pytest.mark.parametrize("ref", [":a", "k:/a", "k:ns/", "/a", "a/", "k:", "ns/"])
def test_empty_parts_are_rejected(ref: str) -> None:
    with pytest.raises(InvalidEntityRefError) as info:
        parse_entity_ref(ref, default_kind="Group")
    assert str(info.value) == f'Entity reference "{ref}" was not on the form [<kind>:][<namespace>/]<name>'


def test_empty_string_is_rejected() -> None:
    with pytest.raises(InvalidEntityRefError, match="must not be empty"):
        parse_entity_ref("", default_kind="Group")


def test_missing_kind_without_default() -> None:
    with pytest.raises(InvalidEntityRefError) as info:
        parse_entity_ref("petstore")
    assert str(info.value) == (
        'Entity reference "petstore" had missing or empty kind '
        '(e.g. did not start with "component:" or similar)'
    )


def test_defaults_namespace_and_empty_default_namespace_falls_back() -> None:
    assert parse_entity_ref("a", default_kind="k", default_namespace="ops").namespace == "ops"
    assert parse_entity_ref("a", default_kind="k", default_namespace="").namespace == "default"
    assert parse_entity_ref("x/a", default_kind="k", default_namespace="ops").namespace == "x"


def test_compound_refs() -> None:
    assert parse_entity_ref({"kind": "API", "name": "x"}) == EntityRef("api", "default", "x")
    assert parse_entity_ref({"name": "x"}, default_kind="User").kind == "User"
    with pytest.raises(InvalidEntityRefError, match=r'\{"kind":"","name":"x"\} had missing or empty kind'):
        parse_entity_ref({"kind": "", "name": "x"}, default_kind="User")
    with pytest.raises(InvalidEntityRefError, match="missing or empty name"):
        parse_entity_ref({"kind": "A"})
    with pytest.raises(InvalidEntityRefError, match="missing or empty namespace"):
        parse_entity_ref({"kind": "A", "namespace": "", "name": "x"})


def test_stringify_is_lower_case_and_fills_namespace() -> None:
    assert stringify_entity_ref(EntityRef("Component", "Default", "PetStore")) == "component:default/petstore"
    assert stringify_entity_ref({"kind": "API", "name": "X"}) == "api:default/x"
    entity = {"kind": "User", "metadata": {"name": "Jdoe", "namespace": "HR"}}
    assert stringify_entity_ref(entity) == "user:hr/jdoe"
    assert str(parse_entity_ref("Group:Ops/Team-A")) == "group:ops/team-a"


def test_case_insensitive_equality_and_hashing() -> None:
    a = EntityRef("Component", "default", "PetStore")
    b = EntityRef("component", "DEFAULT", "petstore")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != EntityRef("component", "default", "petstore2")
    assert a.key == ("component", "default", "petstore")
    # Original casing is kept for display.
    assert a.kind == "Component"


def test_entity_ref_key() -> None:
    assert entity_ref_key("Component:PetStore") == "component:default/petstore"
    assert entity_ref_key(EntityRef("A", "B", "C")) == "a:b/c"
    with pytest.raises(InvalidEntityRefError):
        entity_ref_key("petstore")


def test_get_entity_ref_defaults_namespace() -> None:
    assert get_entity_ref({"kind": "API", "metadata": {"name": "x"}}) == EntityRef("API", "default", "x")
    assert get_entity_ref({"kind": "API", "metadata": {"name": "x", "namespace": "n"}}).namespace == "n"


def test_location_refs() -> None:
    assert parse_location_ref("url:https://host/a.yaml") == LocationRef("url", "https://host/a.yaml")
    assert parse_location_ref(" file : /tmp/x ") == LocationRef("file", "/tmp/x")
    assert str(LocationRef("url", "https://h/x")) == "url:https://h/x"
    with pytest.raises(InvalidLocationRefError, match="prefix it with 'url:'"):
        parse_location_ref("https://host/a.yaml")
    for bad in ("nocolon", ":target", "type:", "type:   "):
        with pytest.raises(InvalidLocationRefError, match="expected '<type>:<target>'"):
            parse_location_ref(bad)
    with pytest.raises(InvalidLocationRefError, match="empty target"):
        stringify_location_ref({"type": "url", "target": ""})
    with pytest.raises(InvalidLocationRefError, match="empty type"):
        stringify_location_ref(LocationRef("", "x"))

"""Field-format predicates: accept/reject boundaries of every Backstage rule."""

from __future__ import annotations

import pytest

from greenroom.plugins.catalog.model import (
    is_non_empty_string,
    is_valid_annotation_key,
    is_valid_annotation_value,
    is_valid_api_version,
    is_valid_dns_subdomain,
    is_valid_entity_name,
    is_valid_kind,
    is_valid_label_key,
    is_valid_label_value,
    is_valid_namespace,
    is_valid_tag,
    is_valid_url,
    make_validators,
)

NAME_OK = [
    "a",
    "A",
    "0",
    "ab",
    "a-b",
    "a_b",
    "a.b",
    "a--b",
    "a-_.b",
    "CircleciBuildsDumpV2_avro_gcs",
    "a" * 63,
]
NAME_BAD = [
    "",
    "a" * 64,
    "-a",
    "a-",
    "_a",
    "a_",
    ".a",
    "a.",
    "a b",
    "a/b",
    "a:b",
    "é",
    "aé",
    "a\n",
    "\na",
    5,
    None,
]


@pytest.mark.parametrize("value", NAME_OK)
def test_entity_name_accepts(value: str) -> None:
    assert is_valid_entity_name(value)


@pytest.mark.parametrize("value", NAME_BAD)
def test_entity_name_rejects(value: object) -> None:
    assert not is_valid_entity_name(value)


@pytest.mark.parametrize("value", ["default", "a", "a-b", "a--b", "x1", "1x", "a" * 63])
def test_namespace_accepts(value: str) -> None:
    assert is_valid_namespace(value)


@pytest.mark.parametrize("value", ["", "a" * 64, "Default", "a_b", "a.b", "-a", "a-", "ä", "a\n", 1])
def test_namespace_rejects(value: object) -> None:
    assert not is_valid_namespace(value)


@pytest.mark.parametrize("value", ["Component", "API", "a", "K8sThing", "A" * 63])
def test_kind_accepts(value: str) -> None:
    assert is_valid_kind(value)


@pytest.mark.parametrize("value", ["", "A" * 64, "1Kind", "My-Kind", "my_kind", "Kind!", "Kïnd", "Kind\n"])
def test_kind_rejects(value: str) -> None:
    assert not is_valid_kind(value)


@pytest.mark.parametrize(
    "value",
    [
        "backstage.io/v1alpha1",
        "scaffolder.backstage.io/v1beta3",
        "v1",
        "1",
        "my-company.net/v1",
        "a/" + "B" * 63,
    ],
)
def test_api_version_accepts(value: str) -> None:
    assert is_valid_api_version(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "/v1",
        "a/",
        "a/b/c",
        "Backstage.io/v1",  # prefix is a lower-case DNS subdomain
        "backstage.io/v1.0",
        "backstage.io/v1-alpha",
        "a/" + "B" * 64,
        "x" * 254 + "/v1",
        "a..b/v1",
    ],
)
def test_api_version_rejects(value: str) -> None:
    assert not is_valid_api_version(value)


def test_dns_subdomain_length_boundary() -> None:
    label = "a" * 63
    ok = ".".join([label, label, label, "a" * 61])  # 253 chars
    assert len(ok) == 253 and is_valid_dns_subdomain(ok)
    assert not is_valid_dns_subdomain(ok + "a")  # 254 chars
    assert not is_valid_dns_subdomain("a" * 64)  # one label too long
    assert not is_valid_dns_subdomain(".a")
    assert not is_valid_dns_subdomain("a.")
    assert is_valid_dns_subdomain("my--org.example")


@pytest.mark.parametrize(
    "value",
    ["app", "backstage.io/managed-by-location", "example.com/custom", "a.b/C_d.e", "x/" + "n" * 63],
)
def test_label_and_annotation_keys_accept(value: str) -> None:
    assert is_valid_label_key(value)
    assert is_valid_annotation_key(value)


@pytest.mark.parametrize(
    "value",
    ["", "/a", "a/", "a/b/c", "Example.com/x", "ex_ample.com/x", "a/-b", "x/" + "n" * 64, "a b", "é/x"],
)
def test_label_and_annotation_keys_reject(value: str) -> None:
    assert not is_valid_label_key(value)
    assert not is_valid_annotation_key(value)


def test_label_values() -> None:
    assert is_valid_label_value("")
    assert is_valid_label_value("custom_label_value")
    assert is_valid_label_value("v" * 63)
    assert not is_valid_label_value("v" * 64)
    assert not is_valid_label_value("has space")
    assert not is_valid_label_value("-x")
    assert not is_valid_label_value(True)


def test_annotation_values_are_any_string() -> None:
    assert is_valid_annotation_value("")
    assert is_valid_annotation_value("any thing: at all ✓\n" * 100)
    assert not is_valid_annotation_value(1)
    assert not is_valid_annotation_value(None)


@pytest.mark.parametrize("value", ["java", "c++", "c#", "a:b", "a-b", "k8s", "1", "a" * 63, "x-y-z"])
def test_tag_accepts(value: str) -> None:
    assert is_valid_tag(value)


@pytest.mark.parametrize("value", ["", "a" * 64, "Java", "a_b", "a.b", "a--b", "-a", "a-", "a b", "é", "a\n"])
def test_tag_rejects(value: str) -> None:
    assert not is_valid_tag(value)


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com",
        "https://example.com:8080/a?b=c#d",
        "http://localhost",
        "http://[::1]:7007/x",
        "mailto:team@example.com",
        "slack:channel",
        "javascript:alert(1)",  # a valid URL; Backstage sanitises it elsewhere
        "file:///tmp/x",
        "  https://example.com  ",  # the URL parser trims spaces
        "https://bücher.example/",
        "http:example.com",  # WHATWG fixes up missing slashes for special schemes
    ],
)
def test_url_accepts(value: str) -> None:
    assert is_valid_url(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "example.com",
        "/relative/path",
        "http://",
        "https://exa mple.com",
        "https://example.com:99999",
        "https://example.com:port",
        "http://[::1",
        "http://[zz]/",
        "1http://x",
        "://x",
        5,
    ],
)
def test_url_rejects(value: object) -> None:
    assert not is_valid_url(value)


def test_non_empty_string() -> None:
    assert is_non_empty_string("x")
    assert not is_non_empty_string("")
    assert not is_non_empty_string(" \t\n")
    assert not is_non_empty_string(None)


def test_make_validators_overrides_only_what_is_given() -> None:
    validators = make_validators(is_valid_tag=lambda value: isinstance(value, str))
    assert validators.is_valid_tag("Not_A_Backstage_Tag")
    assert not validators.is_valid_entity_name("-bad")

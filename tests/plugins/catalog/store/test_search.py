"""Search rows follow Backstage's buildEntitySearch, edge cases included."""

from __future__ import annotations

import pytest

from greenroom.plugins.catalog.store.search import DuplicateKeyError, search_rows


def test_rows_of_every_kind_of_value() -> None:
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "Shop", "tags": ["Java", "java", "web"], "uid": "u-1", "etag": "e",
                     "annotations": {"Long": "x" * 201, "count": 2.0, "ratio": 2.5, "on": True, "none": None}},
        "spec": {"items": [{"a": 1}, {"a": 2}, ["Deep"]], "empty": {}, "nan": float("nan")},
        "relations": [{"type": "ownedBy", "targetRef": "group:default/Team"}],
        "status": {"items": [{"message": "skipped"}]},
    }
    assert search_rows(entity) == [
        ("apiversion", "backstage.io/v1alpha1", "backstage.io/v1alpha1"),
        ("kind", "component", "Component"),
        ("metadata.tags", "java", "Java"),
        ("metadata.tags.java", "true", "true"),  # one item key for Java and java
        ("metadata.tags", "web", "web"),
        ("metadata.tags.web", "true", "true"),
        ("metadata.annotations.long", None, None),  # over 200 characters
        ("metadata.annotations.count", "2", "2"),  # as JavaScript prints numbers
        ("metadata.annotations.ratio", "2.5", "2.5"),
        ("metadata.annotations.on", "true", "true"),
        ("metadata.annotations.none", None, None),
        ("spec.items.a", "1", "1"),  # lists of objects flatten under one path
        ("spec.items.a", "2", "2"),
        ("spec.items", "deep", "Deep"),
        ("spec.items.deep", "true", "true"),
        ("spec.nan", "nan", "NaN"),
        ("metadata.name", "shop", "Shop"),
        ("metadata.namespace", None, None),  # absent, as Backstage records it, and then its default
        ("metadata.uid", "u-1", "u-1"),
        ("metadata.namespace", "default", "default"),
        ("relations.ownedby", "group:default/team", "group:default/Team"),
    ]


def test_keys_over_the_limit_are_left_out_and_case_clashes_refused() -> None:
    rows = search_rows({"kind": "X", "metadata": {"name": "a", "namespace": "ns"}, "spec": {"k" * 250: 1}})
    assert [r[0] for r in rows] == ["kind", "metadata.name", "metadata.namespace", "metadata.uid"]
    with pytest.raises(DuplicateKeyError, match=r"'spec\.aa'"):
        search_rows({"kind": "X", "metadata": {"name": "a"}, "spec": {"Aa": 1, "aA": 2}})

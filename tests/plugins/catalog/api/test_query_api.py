"""GET and POST /entities/by-query: filters, predicates, ordering, cursors, full text, fields, bad input."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from catalog_api_support import names
from starlette.testclient import TestClient

API = "/api/catalog/entities/by-query"
COMPONENTS_BY_NAME = ["component:default/basket", "component:default/checkout", "component:finance/ledger",
                      "component:default/web-shop"]


def get(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get(API, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _undriven(predicate: dict[str, Any]) -> dict[str, Any]:
    # A double negation means the same and gives the selection no equality to start from.
    return {"$not": {"$not": predicate}}


@pytest.mark.parametrize("predicate", [
    {"kind": "component"},
    {"kind": "Component", "spec.type": "service"},
    {"$all": [{"kind": "component"}, {"$not": {"spec.lifecycle": "production"}}]},
    {"$all": [{"metadata.namespace": "default"}, {"$any": [{"kind": "group"}, {"kind": "api"}]}]},
    {"kind": "component", "metadata.tags": {"$exists": True}},
    {"kind": "nothing"},
])
def test_a_driven_selection_finds_what_the_plain_one_finds(client: TestClient, predicate: dict[str, Any]) -> None:
    for order in (None, "metadata.name,desc"):
        extra = {"orderField": order} if order else {}
        driven = client.post(API, json={"query": predicate, "limit": 2, **extra}).json()
        plain = client.post(API, json={"query": _undriven(predicate), "limit": 2, **extra}).json()
        assert driven["totalItems"] == plain["totalItems"]
        assert names(driven["items"]) == names(plain["items"])
        # Every page, forwards and back, matches too.
        while "nextCursor" in driven["pageInfo"]:
            driven = get(client, cursor=driven["pageInfo"]["nextCursor"])
            plain = get(client, cursor=plain["pageInfo"]["nextCursor"])
            assert names(driven["items"]) == names(plain["items"])
        if "prevCursor" in driven["pageInfo"]:
            back = get(client, cursor=driven["pageInfo"]["prevCursor"])
            assert names(back["items"]) == names(get(client, cursor=plain["pageInfo"]["prevCursor"])["items"])
    if all(isinstance(v, str) for v in predicate.values()):  # a filter set the list endpoint can take
        listed = client.get("/api/catalog/entities",
                            params={"filter": ",".join(f"{k}={v}" for k, v in predicate.items())}).json()
        everything = client.post(API, json={"query": _undriven(predicate), "limit": 100}).json()
        assert names(listed) == names(everything["items"])  # both in id order


def test_defaults(client: TestClient) -> None:
    body = get(client)
    assert body["totalItems"] == 10 and len(body["items"]) == 10 and body["pageInfo"] == {}


def test_filter_semantics(client: TestClient) -> None:
    assert get(client, filter="kind=Component,spec.type=service")["totalItems"] == 2
    assert get(client, filter=["kind=user", "kind=group"])["totalItems"] == 3
    assert get(client, filter="kind=component,spec.type=website,spec.type=library")["totalItems"] == 2
    assert get(client, filter="spec.definition")["totalItems"] == 1
    # ledger lives in namespace finance, so its owner team-b resolves to group:finance/team-b
    assert names(get(client, filter="relations.ownedby=group:default/team-b")["items"]) == [
        "component:default/basket"]
    assert names(get(client, filter="metadata.annotations.backstage.io/view-url=HTTPS://example.com/checkout")[
        "items"]) == ["component:default/checkout"]
    assert get(client, filter="metadata.namespace=finance")["totalItems"] == 1
    assert get(client, filter="metadata.tags=python")["totalItems"] == 1


def test_order_and_cursor_paging_both_ways(client: TestClient) -> None:
    first = get(client, filter="kind=component", orderField="metadata.name,asc", limit=2)
    assert names(first["items"]) == COMPONENTS_BY_NAME[:2] and first["totalItems"] == 4
    assert "prevCursor" not in first["pageInfo"]
    second = get(client, cursor=first["pageInfo"]["nextCursor"], limit=2)
    assert names(second["items"]) == COMPONENTS_BY_NAME[2:] and second["totalItems"] == 4
    assert "nextCursor" not in second["pageInfo"]
    back = get(client, cursor=second["pageInfo"]["prevCursor"], limit=2)
    assert names(back["items"]) == COMPONENTS_BY_NAME[:2] and "prevCursor" not in back["pageInfo"]
    assert names(get(client, cursor=back["pageInfo"]["nextCursor"], limit=2)["items"]) == COMPONENTS_BY_NAME[2:]
    desc = get(client, filter="kind=component", orderField="metadata.name,desc", limit=3)
    assert names(desc["items"]) == COMPONENTS_BY_NAME[::-1][:3]
    state = orjson.loads(base64.b64decode(desc["pageInfo"]["nextCursor"]))
    assert state["totalItems"] == 4 and state["orderFields"] == [{"field": "metadata.name", "order": "desc"}]


def test_missing_values_sort_last_and_page_through(client: TestClient) -> None:
    seen: list[str] = []
    body = get(client, orderField="spec.lifecycle,asc", limit=3)
    while True:
        seen += names(body["items"])
        if "nextCursor" not in body["pageInfo"]:
            break
        body = get(client, cursor=body["pageInfo"]["nextCursor"], limit=3)
    assert len(seen) == 10 and len(set(seen)) == 10
    assert seen[0] == "component:default/basket"  # experimental < production
    assert {ref.split(":")[0] for ref in seen[:5]} == {"component", "api"}
    assert {ref.split(":")[0] for ref in seen[5:]} == {"group", "user", "system", "location"}


def test_cursor_pages_forward_and_back_in_the_nulls(client: TestClient) -> None:
    pages = [get(client, orderField="spec.lifecycle,desc", limit=4)]
    while "nextCursor" in pages[-1]["pageInfo"]:
        pages.append(get(client, cursor=pages[-1]["pageInfo"]["nextCursor"], limit=4))
    assert [len(p["items"]) for p in pages] == [4, 4, 2]
    back = get(client, cursor=pages[2]["pageInfo"]["prevCursor"], limit=4)
    assert names(back["items"]) == names(pages[1]["items"])


def test_offset_full_text_fields_and_total_items(client: TestClient) -> None:
    assert names(get(client, filter="kind=component", orderField="metadata.name,asc", offset=1, limit=2)["items"]) \
        == COMPONENTS_BY_NAME[1:3]
    assert names(get(client, fullTextFilterTerm=" HECK ", fullTextFilterFields="metadata.name")["items"]) == [
        "component:default/checkout", "api:default/checkout-api"]
    assert names(get(client, fullTextFilterTerm="sket", orderField="metadata.name,asc")["items"]) == [
        "component:default/basket"]
    assert get(client, fullTextFilterTerm="%")["totalItems"] == 0
    assert get(client, fullTextFilterTerm="money", fullTextFilterFields="metadata.description,metadata.title")[
        "totalItems"] == 1
    assert get(client, fields="metadata.name", filter="kind=system")["items"] == [{"metadata": {"name": "shop"}}]
    excluded = get(client, totalItems="exclude", limit=1)
    assert excluded["totalItems"] == 0 and len(excluded["items"]) == 1
    assert get(client, limit=0) == {"items": [], "totalItems": 10, "pageInfo": {}}


def test_post_predicates(client: TestClient) -> None:
    def post(body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(API, json=body)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    assert post({"query": {"kind": "component", "spec.lifecycle": {"$in": ["experimental"]}}})["totalItems"] == 1
    assert post({"query": {"$not": {"kind": {"$in": ["component", "location"]}}}})["totalItems"] == 5
    assert post({"query": {"$any": [{"metadata.name": {"$hasPrefix": "CHECK"}}, {"kind": "user"}]}})[
        "totalItems"] == 3
    assert post({"query": {"spec.definition": {"$exists": False}, "kind": "api"}})["totalItems"] == 0
    assert post({"query": {"metadata.tags": {"$contains": "java"}}})["totalItems"] == 1
    assert post({"query": {"relations": {"$contains": {"type": "ownedBy", "targetRef": "group:default/team-a"}}}})[
        "totalItems"] == 4
    first = post({"query": {"kind": "component"}, "orderBy": [{"field": "metadata.name", "order": "asc"}],
                  "limit": 3, "fields": ["metadata.name"]})
    assert [i["metadata"]["name"] for i in first["items"]] == ["Basket", "checkout", "ledger"]
    assert "query" in orjson.loads(base64.b64decode(first["pageInfo"]["nextCursor"]))
    rest = post({"cursor": first["pageInfo"]["nextCursor"], "limit": 3})
    assert names(rest["items"]) == ["component:default/web-shop"] and rest["totalItems"] == 4
    assert post({"fullTextFilter": {"term": "storefront", "fields": ["metadata.description"]}})["totalItems"] == 1
    assert client.post(API).status_code == 200


@pytest.mark.parametrize("params", [
    {"limit": "ten"}, {"offset": -1}, {"orderField": "metadata.name,sideways"}, {"orderField": ",asc"},
    {"cursor": "not a cursor"}, {"cursor": base64.b64encode(b"[1]").decode()},
    {"cursor": base64.b64encode(b'{"orderFields":[],"orderFieldValues":["x"],"isPrevious":false}').decode()},
    {"cursor": base64.b64encode(b'{"orderFields":[],"orderFieldValues":[1],"filter":{"$x":1}}').decode()},
    {"totalItems": "maybe"}, {"filter": "a=1,=b"}, {"fields": "a[0]"},
])
def test_bad_get_input_is_400(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get(API, params=params)
    assert response.status_code == 400, params
    assert response.json()["error"]["name"] == "InputError"


@pytest.mark.parametrize("body", [
    {"query": {"kind": {"$regex": "x"}}}, {"query": {"$all": "x"}}, {"query": {"$not": 3}}, {"limit": -1},
    {"orderBy": [{"field": "x", "order": "up"}]}, {"query": []}, {"fields": ["a["]}, {"cursor": "@@"},
])
def test_bad_post_input_is_400(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post(API, json=body)
    assert response.status_code == 400, body
    assert response.json()["error"]["name"] == "InputError" and response.json()["error"]["message"]


def _all_pages(client: TestClient, body: dict[str, Any]) -> list[list[str]]:
    """Every page of a query forwards, then every page back from the last one."""
    page = client.post(API, json=body).json()
    pages = [names(page["items"]), [page["totalItems"]]]
    while "nextCursor" in page["pageInfo"]:
        page = get(client, cursor=page["pageInfo"]["nextCursor"])
        pages.append(names(page["items"]))
    while "prevCursor" in page["pageInfo"]:
        page = get(client, cursor=page["pageInfo"]["prevCursor"])
        pages.append(names(page["items"]))
    return pages


@pytest.mark.parametrize("order", ["metadata.name", "spec.type", "metadata.title", "spec.lifecycle",
                                   "metadata.tags", "metadata.namespace"])
def test_an_ordered_page_walked_on_the_index_is_the_aggregate_forms_page(client: TestClient, order: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from greenroom.plugins.catalog.api import ordered

    walked: list[int] = []
    page = ordered.Walk.page

    def counted(self: ordered.Walk, *args: Any) -> list[Any]:
        walked.append(1)
        return page(self, *args)
    monkeypatch.setattr(ordered.Walk, "page", counted)
    bodies: list[dict[str, Any]] = []
    for direction in ("asc", "desc"):
        for query in ({}, {"query": {"kind": "component"}}, {"query": {"$not": {"kind": "group"}}},
                      {"fullTextFilter": {"term": "e", "fields": ["metadata.name"]}}, {"query": {"kind": "nothing"}},
                      {"query": {"kind": "component"}, "fullTextFilter": {"term": "shop"}, "totalItems": "exclude"}):
            for limit in (1, 3):
                bodies.append({**query, "limit": limit, "orderBy": [{"field": order, "order": direction}]})
            bodies.append({**query, "limit": 2, "offset": 3, "orderBy": [{"field": order, "order": direction}]})
            bodies.append({**query, "limit": 2, "offset": 9, "orderBy": [{"field": order, "order": direction}]})
    results = {}
    for walk in (True, False):
        monkeypatch.setattr(ordered, "WALK", walk)
        results[walk] = [_all_pages(client, body) for body in bodies]
    assert results[True] == results[False]
    assert any(len(p) > 3 for p in results[True])  # the queries did page
    # Tags are the one field here with several values in an entity: those queries keep the aggregate form.
    assert bool(walked) == (order != "metadata.tags")

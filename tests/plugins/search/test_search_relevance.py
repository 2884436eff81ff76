"""Relevance on a fixed corpus: for each query, the documents that must come first, on both engines."""

from __future__ import annotations

import pytest
from search_support import query, titles
from starlette.testclient import TestClient

# (term, extra params, titles expected at the top, in order)
CASES = [
    ("exact name", "checkout", {}, ["Checkout Service"]),
    ("exact name beats longer names", "checkout-ui", {}, ["checkout-ui"]),
    ("exact name of an API", "checkout-api", {}, ["checkout-api"]),
    ("prefix", "fraud-det", {}, ["fraud-detector"]),
    ("prefix of one word", "ledg", {}, ["ledger"]),
    ("word in a description", "bookkeeping", {}, ["ledger"]),
    ("two words of a description", "gradient model", {}, ["fraud-detector"]),
    ("docs heading", "rollback procedure", {}, ["Rollback procedure"]),
    ("docs heading, docs only", "architecture", {"types[0]": "techdocs"}, ["Architecture overview"]),
    ("misspelling", "bookeeping", {}, ["ledger"]),
    ("swapped letters", "fraud detcetor", {}, ["fraud-detector"]),
    ("misspelt docs word", "rolback", {}, ["Rollback procedure"]),
    ("title", "team alpha", {}, ["Team Alpha"]),
    ("profile name", "alice anders", {}, ["alice"]),
    ("owner", "team-risk", {}, ["fraud-detector"]),
    ("tag", "payments", {}, ["Checkout Service"]),
    ("accents and case", "LÉDGER", {}, ["ledger"]),
]


@pytest.mark.parametrize(("term", "params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_expected_top_results(client: TestClient, term: str, params: dict[str, str], expected: list[str]) -> None:
    found = titles(query(client, term=term, **params))
    assert found[:len(expected)] == expected, found


def test_exact_name_comes_before_better_text_matches(client: TestClient) -> None:
    # "checkout" appears in several descriptions and titles; the entity named exactly so leads, and the one whose
    # name starts with it comes before those that only mention it.
    found = titles(query(client, term="checkout"))
    assert found[0] == "Checkout Service"
    assert found.index("checkout-ui") < found.index("basket")


def test_words_must_all_match_when_they_can(client: TestClient) -> None:
    assert titles(query(client, term="storefront caches")) == ["Caching headers"]


def test_types_and_filters_narrow_results(client: TestClient) -> None:
    catalog = query(client, term="checkout", **{"types[0]": "software-catalog"})
    assert {r["type"] for r in catalog["results"]} == {"software-catalog"}
    production = query(client, term="checkout", **{"filters[lifecycle]": "production"})
    assert production["results"] and all(r["document"]["lifecycle"] == "production" for r in production["results"])
    several = query(client, **{"filters[kind][0]": "Component", "filters[kind][1]": "API",
                               "types[]": "software-catalog", "pageLimit": "100"})
    assert {r["document"]["kind"] for r in several["results"]} == {"Component", "API"}
    assert several["numberOfResults"] == 7


def test_paging_walks_every_result_once(client: TestClient) -> None:
    seen: list[str] = []
    params: dict[str, str] = {"term": "the", "pageLimit": "2"}
    total = query(client, **params)["numberOfResults"]
    assert total > 4
    body = query(client, **params)
    assert "previousPageCursor" not in body
    while True:
        seen += [r["document"]["location"] for r in body["results"]]
        assert [r["rank"] for r in body["results"]] == list(range(len(seen) - len(body["results"]) + 1, len(seen) + 1))
        if "nextPageCursor" not in body:
            break
        body = query(client, **params, pageCursor=body["nextPageCursor"])
        assert "previousPageCursor" in body
    assert len(seen) == len(set(seen)) == total

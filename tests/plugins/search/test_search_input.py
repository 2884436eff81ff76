"""Hostile input: every query gets a normal result or a clear 400 in Backstage's error shape, never a 500."""

from __future__ import annotations

import random

import pytest
from search_support import query
from starlette.testclient import TestClient

FTS_SYNTAX = ['"', '""', '"unbalanced', "*", "check*", "NEAR", "NEAR(checkout ledger)", "checkout NEAR/2 ledger",
              "-", "-checkout", "OR", "checkout OR", "AND NOT", "(", ")", "(checkout", ":", "title:checkout",
              "^checkout", "{title}: x", "'", "''", "\\", "%", "_", "&", "|", "!", "<->", "a:*", "checkout & !ledger",
              "\x00", "\u202e", "🔥", "ß", "İ", "  ", "\t\n", "a" * 100, "select * from search_documents; --"]


def assert_input_error(body: dict[str, object], status: int = 400) -> None:
    assert body["error"]["name"] == "InputError"  # type: ignore[index]
    assert body["response"] == {"statusCode": status}
    assert body["request"]["url"] == "/api/search/query"  # type: ignore[index]


@pytest.mark.parametrize("term", FTS_SYNTAX)
def test_fts_syntax_is_plain_text(client: TestClient, term: str) -> None:
    body = query(client, term=term)
    assert isinstance(body["results"], list)


def test_empty_term_lists_documents(client: TestClient) -> None:
    assert query(client, term="")["numberOfResults"] == 17  # 11 entities, the config Location, 5 docs
    assert query(client)["numberOfResults"] == 17


def test_long_terms_are_refused_clearly(client: TestClient) -> None:
    assert_input_error(query(client, 400, term="x" * 10_000))
    assert "100" in query(client, 400, term="x" * 101)["error"]["message"]


@pytest.mark.parametrize("params", [
    {"pageLimit": "0"}, {"pageLimit": "-1"}, {"pageLimit": "abc"}, {"pageLimit": "101"}, {"pageLimit": "9" * 40},
    {"pageCursor": "not base64!"}, {"pageCursor": "YWJj"}, {"pageCursor": "OTk5OTk5OTk5"},
    {"types[0]": "no-such-type"}, {"filters[a][b][c]": "x"}, {"filters": "x"}, {"filters[]": "x"},
    {"filters[kind]": "x" * 300},
])
def test_malformed_parameters_are_400(client: TestClient, params: dict[str, str]) -> None:
    assert_input_error(query(client, 400, term="checkout", **params))


def test_unknown_filters_find_nothing(client: TestClient) -> None:
    body = query(client, term="checkout", **{"filters[no-such-field]": "x"})
    assert body == {"results": [], "numberOfResults": 0}


def test_unknown_parameters_are_ignored(client: TestClient) -> None:
    assert query(client, term="ledger", unknown="1")["results"]


def test_random_terms_never_fail(client: TestClient) -> None:
    # A fuzz of terms built from query-syntax characters, words of the corpus and odd Unicode (seeded, so a
    # failure reproduces).
    rng = random.Random(6)
    alphabet = [*'"*()-:^{}[]\'\\%_&|!<>~+.,;/?=@#$ \t', "NEAR", "OR", "AND", "NOT", "checkout", "ledg", "é", "ß",
                "\u0301", "中文", "\U0001F600"]
    for _ in range(150):
        term = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))[:100]
        response = client.get("/api/search/query", params={"term": term, "pageLimit": "5"})
        assert response.status_code == 200, (term, response.text[:500])

"""The pure parts: words from terms, the speller, highlights and document checks."""

from __future__ import annotations

import pytest

from greenroom.plugins.search.config import SearchConfig
from greenroom.plugins.search.documents import DocumentError, prepare
from greenroom.plugins.search.highlight import highlight, mark, new_tags, render, snippet
from greenroom.plugins.search.queries import QueryError, decode_cursor, encode_cursor, parse
from greenroom.plugins.search.speller import Speller, distance
from greenroom.plugins.search.terms import MAX_WORDS, exact_key, words


def test_words_are_plain_folded_and_bounded() -> None:
    assert words('"Fraud-Détector" OR (NEAR*) title:x_y') == ["fraud", "detector", "or", "near", "title", "x", "y"]
    assert words("a " * 50) == ["a"]
    assert len(words(" ".join(f"w{i}" for i in range(50)))) == MAX_WORDS
    assert words("x" * 10_000) == ["x" * 64]
    assert exact_key("  Checkout--UI ") == "checkout ui"


def test_speller_finds_one_and_two_edits() -> None:
    speller = Speller([("bookkeeping", 3), ("ledger", 5), ("leger", 1), ("kafka", 2), ("id", 9)])
    assert speller.suggest("bookeeping") == ["bookkeeping"]
    assert speller.suggest("ldeger")[0] == "ledger"
    assert speller.suggest("ledger") == []  # known words need no correction
    assert speller.suggest("kfka") == ["kafka"]
    assert speller.suggest("zz") == [] and "id" not in speller.frequency
    assert distance("abcd", "acbd") == 1 and distance("abc", "xyz", 2) == 3


def test_highlight_tags_are_unique_and_render_escaped() -> None:
    pre, post = new_tags()
    assert new_tags() != (pre, post)
    marked, found = mark("Checkout <b>checkouts</b>", ["checkout"], pre, post)
    assert found and marked.count(pre) == 2
    html = str(render(marked, pre, post))
    assert html == "<mark>Checkout</mark> &lt;b&gt;<mark>checkouts</mark>&lt;/b&gt;"
    forged = str(render("<hl-x>not a tag</hl-x>", pre, post))
    assert "<mark>" not in forged
    assert highlight({"title": "x", "text": "y"}, ["zzz"], pre, post) is None
    long_text = "word " * 200 + "needle " + "word " * 200
    cut = snippet(long_text, ["needle"])
    assert "needle" in cut and cut.startswith("… ") and cut.endswith(" …") and len(cut) < 300


def test_documents_are_checked_and_flattened() -> None:
    doc = prepare({"title": "T", "text": "x", "location": "/a", "tags": ["a", 1, {"x": 1}], "nested": {"a": 1},
                   "authorization": {"resourceRef": "r"}, "owner": "Team-A"})
    assert ("owner", "team-a", "Team-A") in doc.fields and ("tags", "1", "1") in doc.fields
    assert b"nested" not in doc.body and b"authorization" not in doc.body
    for bad in [{"title": "no location"}, {"location": "javascript:x"}, {"location": "//host/x"}, "string"]:
        with pytest.raises(DocumentError):
            prepare(bad)  # type: ignore[arg-type]


def test_query_parsing() -> None:
    config = SearchConfig()
    parsed = parse([("term", "a"), ("filters[Kind][0]", "Component"), ("filters[kind][1]", "API"),
                    ("types[]", "techdocs"), ("pageLimit", "10"), ("pageCursor", encode_cursor(2))], config,
                   ["techdocs"])
    assert parsed.filters == {"kind": ("component", "api")}
    assert (parsed.types, parsed.limit, parsed.offset) == (("techdocs",), 10, 20)
    assert decode_cursor(encode_cursor(7)) == 7
    with pytest.raises(QueryError, match="greater than"):
        parse([("pageLimit", "500")], config, [])


def test_documents_keep_their_resource_ref_apart_from_the_body() -> None:
    base = {"title": "T", "text": "x", "location": "/catalog/default/component/a"}
    prepared = prepare({**base, "authorization": {"resourceRef": "Component:Default/A"}})
    assert prepared.resource_ref == "component:default/a" and b"authorization" not in prepared.body
    assert prepare(base).resource_ref is None and prepare(base).hash != prepared.hash
    assert prepare({**base, "authorization": {}}).resource_ref is None
    for bad in ({"resourceRef": 5}, {"resourceRef": ""}, {"resourceRef": "x" * 601}, "component:default/a"):
        with pytest.raises(DocumentError, match="resourceRef"):
            prepare({**base, "authorization": bad})

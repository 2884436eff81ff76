"""Reading Backstage's query string (`term`, `filters[...]`, `types[]`, `pageCursor`, `pageLimit`) into a
`SearchQuery`, refusing what is malformed or over the limits with a QueryError (status 400).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection, Iterable

from greenroom.plugins.search.config import SearchConfig
from greenroom.plugins.search.model import SearchQuery
from greenroom.plugins.search.terms import fold

FILTER_KEY = re.compile(r"^filters\[([^\[\]]{1,100})\](?:\[(\d{0,4})\])?$")
TYPES_KEY = re.compile(r"^types(?:\[(\d{0,4})\])?$")
MAX_FILTERS = 20
MAX_FILTER_VALUES = 100
MAX_VALUE = 200


class QueryError(ValueError):
    """The query cannot be run as given; the message tells the caller what to change."""


def encode_cursor(page: int) -> str:
    """Backstage's cursor: the page number, base64-encoded."""
    return base64.b64encode(str(page).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise QueryError("pageCursor is not a cursor this server returned") from None
    if not text.isdigit() or len(text) > 7:
        raise QueryError("pageCursor is not a cursor this server returned")
    return int(text)


def parse(params: Iterable[tuple[str, str]], config: SearchConfig, known_types: Collection[str]) -> SearchQuery:
    """The query that `params` (the query string's pairs, in order) describe."""
    term: str | None = None
    types: list[str] = []
    filters: dict[str, list[str]] = {}
    cursor: str | None = None
    limit_text: str | None = None
    for key, value in params:
        if key == "term":
            term = value if term is None else term
        elif key == "pageCursor":
            cursor = value
        elif key == "pageLimit":
            limit_text = value
        elif TYPES_KEY.match(key):
            types.extend(v for v in value.split(",") if v)
        elif key.startswith("filters"):
            match = FILTER_KEY.match(key)
            if match is None:
                raise QueryError(f"invalid filter parameter {key[:120]!r}: use filters[<field>]=<value>")
            name = fold(match.group(1).strip())
            if len(value) > MAX_VALUE:
                raise QueryError(f"filter {name!r}: values are at most {MAX_VALUE} characters")
            values = filters.setdefault(name, [])
            values.append(fold(value.strip()))
            if len(filters) > MAX_FILTERS or len(values) > MAX_FILTER_VALUES:
                raise QueryError(f"at most {MAX_FILTERS} filters of {MAX_FILTER_VALUES} values each")
        # Backstage passes other parameters through to the engine; these engines have none, so they are ignored.
    term = term or ""
    if len(term) > config.maxTermLength:
        raise QueryError(f"term is {len(term)} characters long; the most allowed is {config.maxTermLength}")
    unknown = sorted(set(types) - set(known_types))
    if unknown:
        raise QueryError(f"unknown document type {unknown[0][:100]!r}; known types: {', '.join(known_types) or 'none'}")
    limit = config.defaultPageLimit
    if limit_text is not None:
        if not limit_text.isdigit() or len(limit_text) > 6 or int(limit_text) < 1:
            raise QueryError("pageLimit must be a positive whole number")
        limit = int(limit_text)
        if limit > config.maxPageLimit:
            raise QueryError(f'The page limit "{limit}" is greater than "{config.maxPageLimit}"')
    page = decode_cursor(cursor) if cursor else 0
    if page * limit >= config.maxResults:
        raise QueryError(f"paging stops after {config.maxResults} results; narrow the search")
    return SearchQuery(term=term, types=tuple(dict.fromkeys(types)),
                       filters={k: tuple(dict.fromkeys(v)) for k, v in filters.items()},
                       offset=page * limit, limit=limit)

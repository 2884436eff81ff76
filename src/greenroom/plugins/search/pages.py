"""The search page (`/search`) and the header box's suggestions (`/search/suggest`).

Both are plain GET forms that work without JavaScript; `static/search.js` only adds suggestions as you type.
Highlights are escaped first and only then get their `<mark>` tags (see highlight.render).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from greenroom import PluginContext
from greenroom.plugins.search.highlight import render
from greenroom.plugins.search.model import ResultPage, SearchHit, SearchQuery, Visibility
from greenroom.plugins.search.service import CATALOG_FACETS, SEARCH_SERVICE, SearchService
from greenroom.plugins.search.terms import fold
from greenroom.services.identity import Identity

PAGE_SIZE = 20
MAX_PAGE = 200
TYPE_LABELS = {"software-catalog": "Software catalog", "techdocs": "Documentation"}
FACET_LABELS = {"kind": "Kind", "owner": "Owner", "lifecycle": "Lifecycle", "type": "Type"}


@dataclass(frozen=True)
class ResultView:
    """A result as the page shows it: link, highlighted title and text, and a few facts."""

    type: str
    href: str
    title: Any
    text: Any
    facts: list[tuple[str, str]]


def view(hit: SearchHit) -> ResultView:
    doc = hit.document
    title, text = str(doc.get("title") or doc.get("location")), str(doc.get("text") or "")
    fields = hit.highlight.fields if hit.highlight else {}
    pre, post = (hit.highlight.pre_tag, hit.highlight.post_tag) if hit.highlight else ("", "")
    facts = [(label, str(doc[key])) for key, label in (("kind", "Kind"), ("componentType", "Type"),
                                                       ("owner", "Owner"), ("lifecycle", "Lifecycle"),
                                                       ("entityTitle", "Entity"))
             if isinstance(doc.get(key), str) and doc.get(key)]
    return ResultView(hit.type, str(doc.get("location")), render(fields.get("title", title), pre, post),
                      render(fields.get("text", text[:300]), pre, post), facts)


def _int(value: str | None, default: int, high: int) -> int:
    return min(high, max(1, int(value))) if value and value.isdigit() and len(value) < 6 else default


def router(ctx: PluginContext) -> APIRouter:
    services = ctx.services
    templates = ctx.templates
    pages = APIRouter(include_in_schema=False)

    @pages.get("/search")
    async def search_page(request: Request) -> Response:
        service = services.get(SEARCH_SERVICE)
        params = request.query_params
        term = params.get("query", "")
        known = service.types()
        tab = params.get("types", "")
        tab = tab if tab in known else ""
        filters = {key: tuple(fold(v) for v in params.getlist(key) if v)[:20]
                   for key in CATALOG_FACETS if tab == "software-catalog" and any(params.getlist(key))}
        page = _int(params.get("page"), 1, MAX_PAGE)
        error = ""
        if len(term) > service.config.maxTermLength:
            error = f"Search terms are at most {service.config.maxTermLength} characters; this one has {len(term)}."
        query = SearchQuery(term=term, types=(tab,) if tab else (), filters=filters,
                            offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        searched = bool(term.strip() or filters) and not error
        who = await ctx.identity.identify(request)
        results, counts, facets = await run_in_threadpool(_load, service, query, known, searched, tab, who)
        def link(**changes: Any) -> str:
            values: dict[str, Any] = {"query": term, "types": tab, **{k: list(v) for k, v in filters.items()},
                                      "page": page}
            values.update(changes)
            return "/search?" + urlencode({k: v for k, v in values.items() if v not in ("", None, 1, [])},
                                          doseq=True)
        context = {
            "term": term, "tab": tab, "tabs": [(t, TYPE_LABELS.get(t, t.replace("-", " ").capitalize()))
                                              for t in known],
            "counts": counts, "filters": filters, "facets": facets, "facet_labels": FACET_LABELS,
            "results": [view(h) for h in results.hits], "total": results.total, "page": page,
            "pages": min(MAX_PAGE, (results.total + PAGE_SIZE - 1) // PAGE_SIZE), "searched": searched,
            "error": error, "link": link, "type_labels": TYPE_LABELS,
        }
        return await templates.render(request, "search/page.html", context, status_code=400 if error else 200)

    @pages.get("/search/suggest")
    async def suggest(request: Request) -> Response:
        service = services.get(SEARCH_SERVICE)
        term = request.query_params.get("query", "")
        who = await ctx.identity.identify(request)
        found = await run_in_threadpool(lambda: service.suggest(term, visibility=service.visibility(who)))
        html = templates.env.get_template("search/_suggestions.html").render(
            results=[view(h) for h in found.hits], term=term, type_labels=TYPE_LABELS)
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    return pages


def _load(service: SearchService, query: SearchQuery, known: list[str], searched: bool, tab: str,
          who: Identity | None) -> tuple[ResultPage, dict[str, int], dict[str, list[tuple[str, int]]]]:
    # Results, tab counts and facet counts all count only what the viewer may see.
    visibility: Visibility | None = service.visibility(who)
    results = service.query(replace(query, visibility=visibility)) if searched else ResultPage([], 0)
    counts: dict[str, int] = {}
    if searched and query.term.strip():
        for doc_type in known:
            counts[doc_type] = service.query(SearchQuery(term=query.term, types=(doc_type,), limit=1,
                                                         visibility=visibility)).total
    facets = service.facets("software-catalog", visibility=visibility) if tab == "software-catalog" else {}
    return results, counts, facets

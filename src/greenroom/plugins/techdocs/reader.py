"""Reading a page of a built MkDocs site: its title, article, navigation and table of contents.

Works on any site built with the `material` theme (what techdocs-core uses), so sites published by
Backstage's tools read the same as the portal's own. Navigation and contents become plain data that the
portal's templates render; only the article's HTML is kept, sanitised by `sanitize`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lxml.html
from lxml.etree import ParserError, _Element

from greenroom.plugins.techdocs.sanitize import LinkRewriter, clean_html

MAX_PAGE_BYTES = 8 * 1024 * 1024


@dataclass
class NavNode:
    """A navigation entry: a link (`href`) or a section title with `children`."""

    title: str
    href: str | None = None
    active: bool = False
    children: list[NavNode] = field(default_factory=list)


@dataclass(frozen=True)
class DocPage:
    """A page ready for the portal's templates; `html` is sanitised."""

    title: str
    html: str
    nav: list[NavNode]
    toc: list[NavNode]
    edit_url: str | None
    repo_url: str | None


def _has_class(element: _Element, name: str) -> bool:
    return name in (element.get("class") or "").split()


def _xpath_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _text(element: _Element) -> str:
    return " ".join(element.text_content().split())


def _nav_items(ul: _Element, rewriter: LinkRewriter, depth: int = 0) -> list[NavNode]:
    out: list[NavNode] = []
    if depth > 8:
        return out
    for li in ul.iterchildren("li"):
        link = next((a for a in li.iterchildren("a") if _has_class(a, "md-nav__link")), None)
        label = next((lab for lab in li.iterchildren("label") if _has_class(lab, "md-nav__link")), None)
        source = link if link is not None else label
        if source is None:
            continue
        href = rewriter.href(link.get("href", "")) if link is not None else None
        node = NavNode(_text(source), href, _has_class(source, "md-nav__link--active"))
        for nav in li.iterchildren("nav"):
            if _has_class(nav, "md-nav--secondary"):
                continue
            for child_ul in nav.iterchildren("ul"):
                node.children.extend(_nav_items(child_ul, rewriter, depth + 1))
        out.append(node)
    return out


def _toc_items(ul: _Element, depth: int = 0) -> list[NavNode]:
    out: list[NavNode] = []
    for li in ul.iterchildren("li"):
        link = next(li.iterchildren("a"), None)
        if link is None or not (link.get("href") or "").startswith("#"):
            continue
        node = NavNode(_text(link), link.get("href"))
        if depth < 5:
            for nav in li.iterchildren("nav"):
                for child_ul in nav.iterchildren("ul"):
                    node.children.extend(_toc_items(child_ul, depth + 1))
        out.append(node)
    return out


def _safe_url(value: str | None) -> str | None:
    return value if value and value.startswith(("https://", "http://")) else None


def _mermaid(article: _Element) -> None:
    # Sites built without the Mermaid fence hold diagrams as plain code blocks: mark them for the renderer.
    for code in article.xpath(".//code[" + _xpath_class("language-mermaid") + "]"):
        block = code.getparent()
        if block is not None and block.tag == "pre":
            block.set("class", "mermaid")
            block.text, block[:] = code.text_content(), []
    for pre in article.xpath(".//pre[" + _xpath_class("mermaid") + "]"):
        text = pre.text_content()
        pre[:] = []
        pre.text = text


def read_page(data: bytes, rewriter: LinkRewriter) -> DocPage | None:
    """The page's parts, or None when the file is not an HTML page of a site."""
    if len(data) > MAX_PAGE_BYTES:
        return None
    try:
        doc = lxml.html.document_fromstring(data)
    except (ParserError, ValueError):
        return None
    found = doc.xpath("//article[" + _xpath_class("md-content__inner") + "]") or doc.xpath("//article") or \
        doc.xpath("//body")
    if not found:
        return None
    article = found[0]
    edit = None
    for button in article.xpath(".//a[" + _xpath_class("md-content__button") + "]"):
        if "edit" in (button.get("title") or "").lower() or "edit" in (button.get("href") or ""):
            edit = _safe_url(button.get("href"))
        button.getparent().remove(button)
    _mermaid(article)
    heading = article.find(".//h1")
    title_el = doc.find(".//title")
    title = _text(heading).rstrip("¶").strip() if heading is not None else (
        _text(title_el) if title_el is not None else "")
    inner = (article.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in article)
    nav: list[NavNode] = []
    primary = doc.xpath("//nav[" + _xpath_class("md-nav--primary") + "]")
    if primary:
        for ul in primary[0].iterchildren("ul"):
            nav.extend(_nav_items(ul, rewriter))
    toc: list[NavNode] = []
    secondary = doc.xpath("//nav[" + _xpath_class("md-nav--secondary") + "]")
    if secondary:
        for ul in secondary[0].iterchildren("ul"):
            toc.extend(_toc_items(ul))
    repo = doc.xpath("//a[" + _xpath_class("md-source") + "]/@href")
    return DocPage(title=title, html=clean_html(inner, rewriter), nav=nav, toc=toc, edit_url=edit,
                   repo_url=_safe_url(str(repo[0])) if repo else None)

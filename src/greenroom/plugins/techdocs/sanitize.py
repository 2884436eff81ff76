"""Making a docs page's HTML safe to show inside the portal, and keeping its links inside the portal.

The HTML comes from a docs folder anyone with commit rights wrote (or from a site CI published), so it is
hostile: `nh3` (ammonia) keeps an allow-list of tags and attributes, drops scripts, event handlers, styles,
forms and frames, and only http(s) and mailto URLs survive. Relative links are rewritten to the portal's
docs pages, images and files to the asset route (which serves them with a CSP that runs nothing).
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote, unquote, urlsplit

import nh3

_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "dfn",
         "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
         "input", "ins", "kbd", "label", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
         "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
         "var", "section", "article", "aside", "nav"}
_ATTRIBUTES = {"*": {"class", "id", "title", "lang", "dir"}, "a": {"href"}, "img": {"src", "alt", "width",
               "height", "loading"}, "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align",
               "scope"}, "ol": {"start", "type"}, "details": {"open"}, "input": {"type", "checked", "disabled"},
               "col": {"span"}, "label": {"for"}}
_SCHEMES = {"http", "https", "mailto"}
_PAGE_SUFFIXES = ("", ".html", ".htm")


class LinkRewriter:
    """Maps a page's relative URLs to portal URLs; `page` is the page's folder inside the site (`a/b/`)."""

    def __init__(self, docs_base: str, assets_base: str, page_dir: str) -> None:
        self.docs_base = docs_base
        self.assets_base = assets_base
        self.page_dir = page_dir

    def resolve(self, url: str) -> tuple[str, str, str] | None:
        """(site path, fragment, query) of a relative URL, or None when it leaves the site."""
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith("/"):
            return None
        path = unquote(parts.path)
        if "\\" in path or "\0" in path:
            return None
        joined = posixpath.normpath(posixpath.join(self.page_dir, path)) if path else self.page_dir.rstrip("/")
        if joined in (".", ""):
            joined = ""
        elif joined == ".." or joined.startswith("../") or joined.startswith("/"):
            return None
        if path.endswith("/") and joined:
            joined += "/"
        return joined, parts.fragment, parts.query

    def href(self, url: str, image: bool = False) -> str | None:
        """The portal URL for a link or image source in the page, or None to drop it."""
        url = url.strip()
        if url.startswith("#"):
            return None if image else url
        scheme = urlsplit(url).scheme.lower()
        if scheme:
            # Remote images would tell other hosts who reads the docs (and the CSP blocks them anyway).
            return url if scheme in _SCHEMES and not image else None
        found = self.resolve(url)
        if found is None:
            return None
        path, fragment, _ = found
        suffix = posixpath.splitext(path.rstrip("/"))[1].lower()
        is_page = not image and (path == "" or path.endswith("/") or suffix in _PAGE_SUFFIXES)
        if is_page:
            if path.endswith("index.html"):
                path = path[:-len("index.html")]
            out = self.docs_base + quote(path)
        else:
            out = self.assets_base + quote(path)
        return out + (f"#{quote(fragment, safe='-_.~')}" if fragment else "")


def clean_html(fragment: str, rewriter: LinkRewriter) -> str:
    """Sanitised `fragment` with its links rewritten."""

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "href" and tag == "a":
            return rewriter.href(value)
        if attribute == "src" and tag == "img":
            return rewriter.href(value, image=True)
        if attribute == "type" and tag == "input":
            return value if value == "checkbox" else None
        return value

    return nh3.clean(fragment, tags=_TAGS, clean_content_tags={"script", "style", "template", "noscript"},
                     attributes=_ATTRIBUTES, attribute_filter=attribute_filter, url_schemes=_SCHEMES,
                     link_rel="noopener noreferrer")

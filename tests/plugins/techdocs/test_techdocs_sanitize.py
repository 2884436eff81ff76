"""Docs HTML in the portal: nothing runs, links stay inside the portal, pages read from material's markup."""

from __future__ import annotations

from greenroom.plugins.techdocs.reader import read_page
from greenroom.plugins.techdocs.sanitize import LinkRewriter, clean_html

DOCS = "/docs/default/component/svc/"
ASSETS = "/api/techdocs/static/docs/default/component/svc/"


def rewriter(page_dir: str = "guide/") -> LinkRewriter:
    return LinkRewriter(DOCS, ASSETS, page_dir)


def test_scripts_handlers_and_javascript_links_are_removed() -> None:
    html = clean_html('<p onclick="x()">hi<script>alert(1)</script></p><a href="javascript:alert(1)">j</a>'
                      '<a href="JaVaScRiPt:alert(1)">k</a><img src="x.png" onerror="alert(1)">'
                      '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>'
                      '<svg onload="alert(1)"></svg><form action="/x"><input name="q"></form>'
                      '<p style="position:fixed">s</p>', rewriter())
    for bad in ("script", "onclick", "javascript", "onerror", "iframe", "style", "onload", "<form", "<svg"):
        assert bad not in html.lower()
    assert "hi" in html


def test_relative_links_become_portal_urls() -> None:
    html = clean_html('<a href="../">home</a><a href="../other/#x">o</a><a href="#here">h</a>'
                      '<img src="../images/d.svg"><a href="../files/a.pdf">pdf</a>'
                      '<a href="https://example.com/">ext</a>', rewriter())
    assert f'href="{DOCS}"' in html
    assert f'href="{DOCS}other/#x"' in html
    assert 'href="#here"' in html
    assert f'src="{ASSETS}images/d.svg"' in html
    assert f'href="{ASSETS}files/a.pdf"' in html
    assert 'href="https://example.com/"' in html


def test_links_leaving_the_site_are_dropped() -> None:
    html = clean_html('<a href="../../../../etc/passwd">up</a><a href="/api/catalog/x">abs</a>'
                      '<img src="https://tracker.example/p.gif">', rewriter())
    assert "passwd" not in html and "/api/catalog" not in html and "tracker" not in html
    assert ">up<" in html


def test_read_page_from_material_markup() -> None:
    page = b"""<html><head><title>Guide - S</title></head><body>
    <nav class="md-nav md-nav--primary"><ul class="md-nav__list">
      <li class="md-nav__item"><a href="../" class="md-nav__link">Home</a></li>
      <li class="md-nav__item md-nav__item--active"><a href="./" class="md-nav__link md-nav__link--active">Guide</a>
        <nav class="md-nav md-nav--secondary"><ul class="md-nav__list">
          <li class="md-nav__item"><a href="#install" class="md-nav__link">Install</a></li></ul></nav></li>
      <li class="md-nav__item md-nav__item--nested"><label class="md-nav__link">Section</label>
        <nav class="md-nav"><ul class="md-nav__list"><li class="md-nav__item">
          <a href="../deep/" class="md-nav__link">Deep</a></li></ul></nav></li>
    </ul></nav>
    <article class="md-content__inner md-typeset">
      <a href="https://git.example.com/edit/main/docs/guide.md" title="Edit this page" class="md-content__button">e</a>
      <h1 id="guide">Guide<a class="headerlink" href="#guide">&para;</a></h1>
      <div class="highlight"><pre><code class="language-mermaid">graph TD; A--&gt;B</code></pre></div>
      <p>Text<script>alert(1)</script></p>
    </article></body></html>"""
    found = read_page(page, rewriter())
    assert found is not None
    assert found.title == "Guide"
    assert [n.title for n in found.nav] == ["Home", "Guide", "Section"]
    assert found.nav[1].active and found.nav[2].children[0].href == DOCS + "deep/"
    assert [(t.title, t.href) for t in found.toc] == [("Install", "#install")]
    assert found.edit_url == "https://git.example.com/edit/main/docs/guide.md"
    assert '<pre class="mermaid">graph TD; A--&gt;B</pre>' in found.html
    assert "script" not in found.html and "md-content__button" not in found.html


def test_not_a_page() -> None:
    assert read_page(b"", rewriter()) is None
    assert read_page(b"x" * (9 * 1024 * 1024), rewriter()) is None

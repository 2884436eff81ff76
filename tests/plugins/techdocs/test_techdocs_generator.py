"""Real MkDocs builds in a child process: success, broken configs, hostile Markdown, hangs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from techdocs_helpers import write_docs

from greenroom.plugins.techdocs.config import BuildLimits
from greenroom.plugins.techdocs.generator import BuildError, generate
from greenroom.plugins.techdocs.reader import read_page
from greenroom.plugins.techdocs.sanitize import LinkRewriter

LIMITS = BuildLimits(buildTimeoutSeconds=60)


def test_build_writes_the_site_and_metadata(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "src", name="Sample")
    result = generate(folder, tmp_path / "site", LIMITS, "sha256:abc")
    meta = json.loads((tmp_path / "site" / "techdocs_metadata.json").read_text())
    assert meta["site_name"] == "Sample" and meta["etag"] == "sha256:abc"
    assert isinstance(meta["build_timestamp"], int) and "guide/index.html" in meta["files"]
    assert result.metadata == meta
    assert (tmp_path / "site" / "search" / "search_index.json").is_file()
    page = read_page((tmp_path / "site" / "guide" / "index.html").read_bytes(),
                     LinkRewriter("/docs/x/", "/assets/x/", "guide/"))
    assert page is not None
    assert '<pre class="mermaid">' in page.html  # the Mermaid fence the build adds
    assert 'class="admonition note"' in page.html
    assert 'class="language-python highlight"' in page.html  # pygments highlighting
    assert [t.title for t in page.toc] == ["Install", "Use"]


def test_broken_plugin_config(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "src", extra={"mkdocs.yml": "site_name: S\nplugins:\n  - techdocs-core:\n"
                                                               "      use_material_search: [not, a, bool]\n"})
    with pytest.raises(BuildError, match="MkDocs failed") as caught:
        generate(folder, tmp_path / "site", LIMITS, "e")
    assert "use_material_search" in caught.value.log


def test_refused_config_is_a_build_error(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "src", extra={"mkdocs.yml": "site_name: S\nhooks: [x.py]\n"})
    with pytest.raises(BuildError, match=r"mkdocs\.yml: hooks is not allowed"):
        generate(folder, tmp_path / "site", LIMITS, "e")


def test_missing_docs_dir(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "src", extra={"mkdocs.yml": "site_name: S\ndocs_dir: handbook\n"})
    with pytest.raises(BuildError, match=r"docs_dir 'handbook' does not exist"):
        generate(folder, tmp_path / "site", LIMITS, "e")


def test_a_build_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "src")
    with pytest.raises(BuildError, match=r"longer than 0.2 s and was stopped \(techdocs.limits.buildTimeoutSeconds\)"):
        generate(folder, tmp_path / "site", BuildLimits(buildTimeoutSeconds=0.2), "e")


def test_site_size_limit(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "src")
    with pytest.raises(BuildError):
        generate(folder, tmp_path / "site", BuildLimits(maxBytes=200_000), "e")


def test_hostile_markdown_is_inert_in_the_portal(tmp_path: Path) -> None:
    evil = ("# Evil\n\n<script>document.cookie</script>\n\n[click](javascript:alert(1))\n\n"
            '<img src="x" onerror="alert(1)">\n\n<a href="../../../../../etc/passwd">up</a>\n\n'
            '<iframe src="https://evil.example/"></iframe>\n\n--8<-- "/etc/passwd"\n')
    folder = write_docs(tmp_path / "src", extra={"docs/index.md": evil, "mkdocs.yml":
                                                 "site_name: S\nnav:\n  - Home: index.md\n"})
    generate(folder, tmp_path / "site", LIMITS, "e")
    page = read_page((tmp_path / "site" / "index.html").read_bytes(), LinkRewriter("/docs/x/", "/a/x/", ""))
    assert page is not None
    html = page.html.lower()
    for bad in ("<script", "javascript:", "onerror", "<iframe", "passwd", "root:"):
        assert bad not in html

"""Copying docs folders from disk, git and HTTP, within limits and never outside the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from techdocs_helpers import commit, docs_files, git, make_repo, write_docs

from greenroom.plugins.catalog.ingest.git import GitReader
from greenroom.plugins.techdocs.config import BuildLimits
from greenroom.plugins.techdocs.refs import DocsSource, SourceError
from greenroom.plugins.techdocs.sources import prepare
from greenroom.services.url_reader import UrlReader

LIMITS = BuildLimits()


def no_url(url: str) -> bytes:
    raise AssertionError(f"unexpected read of {url}")


def test_file_folder_is_copied_and_hashed(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc")
    first = prepare(DocsSource("file", str(folder)), tmp_path / "a", LIMITS, None, no_url)
    assert first.files == 4 and (tmp_path / "a" / "docs" / "guide.md").is_file()
    again = prepare(DocsSource("file", str(folder)), tmp_path / "b", LIMITS, None, no_url)
    assert again.revision == first.revision
    (folder / "docs" / "guide.md").write_text("# Changed\n")
    changed = prepare(DocsSource("file", str(folder)), tmp_path / "c", LIMITS, None, no_url)
    assert changed.revision != first.revision


def test_missing_mkdocs_yml(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc")
    (folder / "mkdocs.yml").unlink()
    with pytest.raises(SourceError, match=r"no mkdocs\.yml"):
        prepare(DocsSource("file", str(folder)), tmp_path / "out", LIMITS, None, no_url)


def test_mkdocs_yaml_spelling_is_accepted(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc")
    (folder / "mkdocs.yml").rename(folder / "mkdocs.yaml")
    assert prepare(DocsSource("file", str(folder)), tmp_path / "out", LIMITS, None, no_url).files == 4


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    folder = write_docs(tmp_path / "svc")
    os.symlink(secret, folder / "docs" / "leak.md")
    with pytest.raises(SourceError, match=r"docs/leak\.md is a symbolic link to a path outside the docs folder"):
        prepare(DocsSource("file", str(folder)), tmp_path / "out", LIMITS, None, no_url)
    assert not (tmp_path / "out" / "docs" / "leak.md").exists()


def test_symlinked_folder_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc")
    os.symlink("/etc", folder / "docs" / "etc")
    with pytest.raises(SourceError, match="outside the docs folder"):
        prepare(DocsSource("file", str(folder)), tmp_path / "out", LIMITS, None, no_url)


def test_symlink_inside_the_folder_is_followed(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc")
    os.symlink("guide.md", folder / "docs" / "alias.md")
    prepared = prepare(DocsSource("file", str(folder)), tmp_path / "out", LIMITS, None, no_url)
    assert not (tmp_path / "out" / "docs" / "alias.md").is_symlink()
    assert prepared.files == 5


def test_symlink_loop_ends(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc")
    os.symlink(".", folder / "docs" / "loop")
    with pytest.raises(SourceError):
        prepare(DocsSource("file", str(folder)), tmp_path / "out", LIMITS, None, no_url)


def test_thousands_of_files_hit_the_limit(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc")
    many = folder / "docs" / "many"
    many.mkdir()
    for i in range(3000):
        (many / f"p{i}.md").write_text("x")
    with pytest.raises(SourceError, match=r"more than 2000 files \(techdocs.limits.maxFiles\)"):
        prepare(DocsSource("file", str(folder)), tmp_path / "out", LIMITS, None, no_url)


def test_byte_limits(tmp_path: Path) -> None:
    folder = write_docs(tmp_path / "svc", extra={"docs/big.md": "x" * 5000})
    with pytest.raises(SourceError, match=r"docs/big.md is larger than 4000 bytes"):
        prepare(DocsSource("file", str(folder)), tmp_path / "a", BuildLimits(maxFileBytes=4000), None, no_url)
    with pytest.raises(SourceError, match="more than 3000 bytes"):
        prepare(DocsSource("file", str(folder)), tmp_path / "b", BuildLimits(maxBytes=3000), None, no_url)


def git_reader(tmp_path: Path) -> GitReader:
    return GitReader(tmp_path / "git-cache", lambda url: True, lambda path: True, max_bytes=1 << 20, timeout=30,
                     recheck_seconds=0)


def test_git_folder(tmp_path: Path) -> None:
    files = {f"handbook/{k}": v for k, v in docs_files("Git docs").items()}
    bare = make_repo(tmp_path, "svc", {**files, "src/app.py": "print()\n"})
    reader = git_reader(tmp_path)
    source = DocsSource("git", f"git+file://{bare}#main:handbook/")
    first = prepare(source, tmp_path / "a", LIMITS, reader, no_url)
    assert first.files == 4 and (tmp_path / "a" / "mkdocs.yml").read_text().startswith("site_name: Git docs")
    assert not (tmp_path / "a" / "src").exists()
    commit(tmp_path / "svc-work", {"handbook/docs/guide.md": "# New guide\n"})
    second = prepare(source, tmp_path / "b", LIMITS, reader, no_url)
    assert second.revision != first.revision
    commit(tmp_path / "svc-work", {"src/app.py": "print(1)\n"})
    assert prepare(source, tmp_path / "c", LIMITS, reader, no_url).revision == second.revision


def test_git_symlinks_are_not_followed(tmp_path: Path) -> None:
    bare = make_repo(tmp_path, "svc", docs_files())
    work = tmp_path / "svc-work"
    os.symlink("/etc/passwd", work / "docs" / "passwd.md")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "link", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    prepare(DocsSource("git", f"git+file://{bare}#main:"), tmp_path / "out", LIMITS, git_reader(tmp_path), no_url)
    assert not (tmp_path / "out" / "docs" / "passwd.md").exists()


def test_http_folder_follows_nav_and_links(tmp_path: Path, www: Path, http_base: str) -> None:
    write_docs(www / "svc", extra={"docs/index.md": "# Home\n[g](guide.md) [up](../../../etc/passwd)\n"
                                                    "![i](images/d.svg)\n"})
    reader = UrlReader(_reading())
    prepare(DocsSource("http", f"{http_base}/svc/"), tmp_path / "out", LIMITS, None,
                       lambda url: _read(reader, url))
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()) \
        == ["docs/guide.md", "docs/images/d.svg", "docs/index.md", "mkdocs.yml"]


def test_http_folder_without_mkdocs_yml(tmp_path: Path, www: Path, http_base: str) -> None:
    (www / "empty").mkdir()
    reader = UrlReader(_reading())
    with pytest.raises(SourceError, match=r"has no mkdocs\.yml"):
        prepare(DocsSource("http", f"{http_base}/empty/"), tmp_path / "out", LIMITS, None,
                lambda url: _read(reader, url))


def _reading() -> object:
    from greenroom.config.models import ReadingConfig

    return ReadingConfig.model_validate({"allow": [{"host": "127.0.0.1:*"}]})


def _read(reader: UrlReader, url: str) -> bytes:
    try:
        result = reader.read(url)
    except Exception as exc:
        raise SourceError(str(exc)) from None
    assert result is not None
    return result.data


def test_fingerprint_changes_when_anything_is_touched(tmp_path: Path) -> None:
    from greenroom.plugins.techdocs.sources import fingerprint

    folder = write_docs(tmp_path / "svc")
    source = DocsSource("file", str(folder))
    first = fingerprint(source, LIMITS)
    assert first is not None and fingerprint(source, LIMITS) == first
    (folder / "docs" / "guide.md").write_text("# Guide, edited\n")
    assert fingerprint(source, LIMITS) != first
    os.symlink("/etc", folder / "docs" / "etc")
    assert fingerprint(source, LIMITS) is not None
    assert fingerprint(DocsSource("http", "http://127.0.0.1/x/"), LIMITS) is None
    assert fingerprint(source, BuildLimits(maxFiles=2)) is None

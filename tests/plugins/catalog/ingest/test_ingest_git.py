"""Git repositories as a source: real repositories made with the git CLI, read over file:// and smart HTTP."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from ingest_helpers import Server, git, make_repo

from greenroom.config.models import ReadingAllow, ReadingConfig
from greenroom.plugins.catalog.ingest.files import FileReader
from greenroom.plugins.catalog.ingest.git import GitReader, GitReadError
from greenroom.plugins.catalog.ingest.giturls import glob_regex, join_git_url, parse_git_url, same_repository
from greenroom.services.url_reader import UrlReader

FILES = {"catalog-info.yaml": "kind: Component\n", "docs/api.yaml": "openapi: 3.0.0\n",
         "teams/a/group.yaml": "kind: Group\n", "teams/b/group.yaml": "kind: Group\n", "README.md": "hi\n"}


def make_reader(tmp_path: Path, repos: Path, max_bytes: int = 1000, timeout: float = 20) -> GitReader:
    allow = UrlReader(ReadingConfig(allow=[ReadingAllow(host="127.0.0.1")]))
    files = FileReader([repos], 1000, 100, 100)
    return GitReader(tmp_path / "cache", allow.is_allowed, files.allowed, max_bytes=max_bytes, timeout=timeout,
                     recheck_seconds=0)


def blobs_in(cache: Path) -> int:
    (repo,) = [p for p in cache.iterdir() if p.suffix == ".git"]
    out = subprocess.run(["git", "--git-dir", str(repo), "cat-file", "--batch-all-objects", "--batch-check"],
                         capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if " blob " in line)


def test_git_url_parsing_and_joining() -> None:
    target = parse_git_url("git+https://h.example/r.git#feature/x:a/b/c.yaml")
    assert (target.remote, target.ref, target.path) == ("https://h.example/r.git", "feature/x", "a/b/c.yaml")
    assert parse_git_url("git+file:///srv/r.git#:x.yaml").ref == ""
    for bad in ("git+ssh://h/r.git#main:x", "git+https://h/r.git", "git+https://h/r.git#main", "git+file://h/r#m:x",
                "git+https://h/r.git#-x:y", "git+https://h/r.git#a..b:y", "git+https://h/r.git#main:../x"):
        with pytest.raises(ValueError):
            parse_git_url(bad)
    base = "git+https://h/r.git#main:a/b/c.yaml"
    assert join_git_url(base, "./d.yaml") == "git+https://h/r.git#main:a/b/d.yaml"
    assert join_git_url(base, "../x.yaml") == "git+https://h/r.git#main:a/x.yaml"
    assert join_git_url(base, "/root.yaml") == "git+https://h/r.git#main:root.yaml"
    assert join_git_url(base, "./") == "git+https://h/r.git#main:a/b/"
    with pytest.raises(ValueError, match="may not leave"):
        join_git_url(base, "../../../etc/passwd")
    assert same_repository(base, "git+https://h/r#dev:x") and not same_repository(base, "git+https://h/other.git#m:x")
    assert glob_regex("**/*.yaml").match("a/b/c.yaml") and glob_regex("**/*.yaml").match("c.yaml")
    assert not glob_regex("teams/*/group.yaml").match("teams/a/b/group.yaml")


def test_reads_branches_tags_and_commits_without_checkout(tmp_path: Path, repos: Path) -> None:
    repo = make_repo(repos, "svc", FILES)
    first = git("rev-parse", "HEAD", cwd=repo.work)
    git("tag", "-a", "v1", "-m", "v1", cwd=repo.work)
    git("push", "-q", "origin", "v1", cwd=repo.work)
    repo.commit({"catalog-info.yaml": "kind: Component # dev\n"}, branch="dev")
    reader = make_reader(tmp_path, repos)
    url = f"git+{repo.file_url}#main:catalog-info.yaml"
    result = reader.read(url)
    assert result is not None and result.data == b"kind: Component\n"
    assert reader.read(url, etag=result.etag) is None  # unchanged blob: nothing to download
    dev = reader.read(f"git+{repo.file_url}#dev:catalog-info.yaml")
    assert dev is not None and b"# dev" in dev.data
    for ref in ("v1", first, "refs/heads/main", ""):
        read = reader.read(f"git+{repo.file_url}#{ref}:catalog-info.yaml")
        assert read is not None and read.data == b"kind: Component\n", ref
    # Blob-less: only the blobs read are in the cache, not docs/api.yaml or README.md.
    assert blobs_in(tmp_path / "cache") == 2


def test_missing_refs_and_paths_are_not_found(tmp_path: Path, repos: Path) -> None:
    repo = make_repo(repos, "svc", FILES)
    reader = make_reader(tmp_path, repos)
    for url in (f"git+{repo.file_url}#nope:catalog-info.yaml", f"git+{repo.file_url}#main:missing.yaml",
                f"git+{repo.file_url}#main:docs"):
        with pytest.raises(GitReadError) as caught:
            reader.read(url)
        assert caught.value.not_found, url


def test_glob_lists_matching_files_skips_symlinks_and_limits_size(tmp_path: Path, repos: Path) -> None:
    repo = make_repo(repos, "svc", FILES)
    os.symlink("/etc/passwd", repo.work / "teams" / "evil.yaml")
    repo.commit({"teams/c/group.yaml": "x" * 2000})
    found = dict(make_reader(tmp_path, repos).read_glob(f"git+{repo.file_url}#main:teams/**/*.yaml"))
    base = f"git+{repo.file_url}#main:teams/"
    assert sorted(found) == [base + "a/group.yaml", base + "b/group.yaml", base + "c/group.yaml"]
    assert found[base + "a/group.yaml"] == b"kind: Group\n"
    error = found[base + "c/group.yaml"]
    assert isinstance(error, GitReadError) and "larger than 1000 bytes" in str(error)


def test_refused_remotes(tmp_path: Path, repos: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = make_repo(outside, "svc", FILES)
    reader = make_reader(tmp_path, repos)
    with pytest.raises(GitReadError, match="allowedFileRoots"):
        reader.read(f"git+{repo.file_url}#main:catalog-info.yaml")
    with pytest.raises(GitReadError, match=r"backend\.reading\.allow"):
        reader.read("git+https://example.com/r.git#main:catalog-info.yaml")
    with pytest.raises(GitReadError, match="only file, http and https"):
        reader.read("git+ssh://example.com/r.git#main:catalog-info.yaml")
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").glob("*.git"))


def test_unreachable_remote_is_a_clear_error(tmp_path: Path, repos: Path) -> None:
    reader = make_reader(tmp_path, repos, timeout=10)
    with pytest.raises(GitReadError) as caught:
        reader.read("git+http://127.0.0.1:9/nothing.git#main:catalog-info.yaml")
    assert not caught.value.not_found
    assert "127.0.0.1:9" in str(caught.value) and "unable to access" in str(caught.value)


def test_smart_http_reads_and_skips_fetch_when_unchanged(tmp_path: Path, repos: Path, git_server: Server) -> None:
    repo = make_repo(repos, "svc", FILES)
    reader = make_reader(tmp_path, repos)
    url = f"git+{git_server.url}/svc.git#main:catalog-info.yaml"
    result = reader.read(url)
    assert result is not None and result.data == b"kind: Component\n"
    target = parse_git_url(url)
    first = reader.revision(target)
    before = len(git_server.requests)
    assert reader.revision(target) == first
    # Only the ls-remote (ref advertisement and ls-refs), no fetch: the recorded revision is current.
    assert len(git_server.requests) - before == 2, git_server.requests[before:]
    changed = repo.commit({"catalog-info.yaml": "kind: Component # v2\n"})
    assert reader.revision(target) == changed
    again = reader.read(url)
    assert again is not None and b"v2" in again.data
    found = dict(reader.read_glob(f"git+{git_server.url}/svc.git#main:teams/*/group.yaml"))
    assert len(found) == 2

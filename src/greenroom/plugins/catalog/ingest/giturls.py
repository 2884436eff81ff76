"""Git file URLs, ``git+<remote>#<ref>:<path>``: parsing, joining relative paths, and repository identity.

- ``remote``: ``file:///abs/path/repo.git`` or ``http(s)://host/repo.git``; other transports are refused.
- ``ref``: a branch, a tag, a full ref name (``refs/…``) or a commit sha; empty means the remote's HEAD.
- ``path``: a path from the repository root (a trailing ``/`` marks a folder); globs are allowed where a
  location is read. ``..`` is refused: it could only point outside the repository.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

GIT_PREFIX = "git+"
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_REF = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/+-]+(?<![./])$")


@dataclass(frozen=True)
class GitTarget:
    """A parsed ``git+<remote>#<ref>:<path>`` URL."""

    remote: str
    ref: str
    path: str

    @property
    def url(self) -> str:
        return f"{GIT_PREFIX}{self.remote}#{self.ref}:{self.path}"

    @property
    def is_file_remote(self) -> bool:
        return self.remote.startswith("file:")


def parse_git_url(url: str) -> GitTarget:
    """Split a git URL into remote, ref and path; ValueError naming the problem when malformed."""
    if not url.startswith(GIT_PREFIX):
        raise ValueError(f"{url}: a git URL starts with {GIT_PREFIX!r}")
    remote, sep, fragment = url[len(GIT_PREFIX):].partition("#")
    ref, colon, path = fragment.partition(":")
    if not sep or not colon:
        raise ValueError(f"{url}: expected git+<remote>#<ref>:<path>")
    parts = urlsplit(remote)
    if parts.scheme not in ("file", "http", "https"):
        raise ValueError(f"{url}: only file, http and https git remotes are supported")
    if parts.scheme == "file" and (parts.netloc not in ("", "localhost") or not parts.path.startswith("/")):
        raise ValueError(f"{url}: a file remote must be file:///absolute/path")
    if parts.scheme != "file" and not parts.hostname:
        raise ValueError(f"{url}: the remote has no host")
    if ref and not (_SHA.match(ref) or (_REF.match(ref) and not ref.endswith(".lock"))):
        raise ValueError(f"{url}: {ref!r} is not a valid ref")
    return GitTarget(remote, ref, clean_repo_path(path, url))


def is_commit_sha(ref: str) -> bool:
    """True for a full commit id (sha1 or sha256), which names one immutable commit."""
    return bool(_SHA.match(ref))


def clean_repo_path(path: str, url: str = "") -> str:
    """Normalise a repository path; '..' is refused because it could only point outside the repository."""
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if ".." in segments or "\\" in path or "\0" in path:
        raise ValueError(f"{url or path}: the path may not leave the repository")
    # A trailing slash marks a folder (source-location), which joins differently from a file.
    return "/".join(segments) + ("/" if path.endswith("/") and segments else "")


def join_git_url(base: str, relative: str) -> str:
    """``relative`` against the git URL ``base``: same remote and ref, path from base's folder."""
    target = parse_git_url(base)
    joined = relative.lstrip("/") if relative.startswith("/") else posixpath.join(posixpath.dirname(target.path),
                                                                                 relative)
    normal = posixpath.normpath(joined) if joined else "."
    if normal == ".." or normal.startswith("../"):
        raise ValueError(f"{relative}: the path may not leave the repository")
    path = "" if normal == "." else normal + ("/" if relative.endswith("/") else "")
    return replace(target, path=clean_repo_path(path)).url


def same_repository(a: str, b: str) -> bool:
    """True when two git URLs name the same remote (refs may differ)."""
    return _normal_remote(parse_git_url(a).remote) == _normal_remote(parse_git_url(b).remote)


def _normal_remote(remote: str) -> str:
    parts = urlsplit(remote)
    path = parts.path.rstrip("/").removesuffix(".git")
    return urlunsplit((parts.scheme.lower(), (parts.hostname or "") + (f":{parts.port}" if parts.port else ""),
                       path, "", ""))


def display(remote: str) -> str:
    """The remote without credentials, for messages and logs."""
    parts = urlsplit(remote)
    if "@" not in parts.netloc:
        return remote
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob (``*``, ``?``, ``[…]``, ``**`` for any folders) as a regex over repository paths."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end].replace("\\", "\\\\")
            out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")

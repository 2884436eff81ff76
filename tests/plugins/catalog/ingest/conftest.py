"""Fixtures for ingestion tests; the servers and git helpers live in ingest_helpers."""

from ingest_helpers import git_server, http_server, repos, www

__all__ = ["git_server", "http_server", "repos", "www"]

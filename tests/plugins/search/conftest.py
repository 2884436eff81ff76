"""Fixtures for the search tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from search_support import Factory, start
from starlette.testclient import TestClient


@pytest.fixture
def client(portal_factory: Factory, tmp_path: Path) -> TestClient:
    """A portal with the fixture catalog and docs indexed."""
    return start(portal_factory, tmp_path)

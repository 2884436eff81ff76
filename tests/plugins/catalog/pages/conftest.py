"""Fixtures for the catalog page tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from pages_support import Factory, start
from starlette.testclient import TestClient


@pytest.fixture
def client(portal_factory: Factory, tmp_path: Path) -> TestClient:
    """A portal with the fixture catalog loaded and the pages wired."""
    return start(portal_factory, tmp_path)

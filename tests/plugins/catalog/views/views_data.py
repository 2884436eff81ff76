"""The test catalog of the view tests: API definitions of every type, good and broken, and a small graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
KINDS = ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"]


def catalog_config(target: Path = DATA) -> dict[str, Any]:
    """Config that loads the test catalog from `target` (every kind allowed)."""
    return {"catalog": {"locations": [{"type": "file", "target": str(target / "*.yaml")}],
                        "rules": [{"allow": KINDS}]}}

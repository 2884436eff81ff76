"""Fixtures of the permission plugin's tests (the organisation comes from the auth plugin's fixtures)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "auth"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

"""Readiness checks that plugins contribute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HealthCheck:
    """A named readiness check; `check` raises or returns False when the portal must not take traffic."""

    name: str
    check: Callable[[], bool | Awaitable[bool]]

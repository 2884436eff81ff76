"""The audit trail: who did what, when. Every event is a structured log line; plugins (the auth plugin) add
sinks that keep events, e.g. in a table shown to admins."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from greenroom.services.identity import current_identity

log = logging.getLogger("greenroom.audit")


@dataclass(frozen=True)
class AuditEvent:
    """One audited action: `actor` is an entity ref (or `external:<subject>`), `outcome` success or failure."""

    action: str
    actor: str
    target: str = ""
    outcome: str = "success"
    at: float = field(default_factory=time.time)
    details: dict[str, Any] = field(default_factory=dict)


AuditSink = Callable[[AuditEvent], None]


class AuditService:
    """Records audit events: logs them and hands them to every sink (a failing sink is logged, not raised)."""

    def __init__(self) -> None:
        self.sinks: list[AuditSink] = []

    def record(self, event: AuditEvent) -> None:
        log.info("audit", extra={"action": event.action, "actor": event.actor, "target": event.target,
                                 "outcome": event.outcome, **{f"detail_{k}": v for k, v in event.details.items()}})
        for sink in self.sinks:
            try:
                sink(event)
            except Exception:
                log.exception("audit sink failed", extra={"action": event.action})

    def record_request(self, request: HTTPConnection, action: str, target: str = "", outcome: str = "success",
                       **details: Any) -> None:
        """Record an action done through `request`, by the identity behind it."""
        who = current_identity(request)
        self.record(AuditEvent(action, who.user_ref if who else "anonymous", target, outcome, details=details))

"""Recording audit events; every service that changes data calls ``record``."""

from __future__ import annotations

from typing import Any

from market4.audit.models import AuditEvent
from market4.extensions import db


def record(
    action: str,
    obj: Any,
    *,
    actor: Any = None,
    channel: str = "web",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event for ``obj`` (a model instance, flushed so it has an id)."""
    event = AuditEvent(
        action=action,
        object_type=type(obj).__name__,
        object_id=str(getattr(obj, "id", None) or getattr(obj, "bin", "")) or None,
        actor_id=getattr(actor, "id", None),
        channel=channel,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event

"""Who changed what, when, with the values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from market4.db import now_utc
from market4.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    # How the change arrived when no user is known: "cli", "demo", "api", "import".
    channel: Mapped[str] = mapped_column(String(20), default="web")
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[Optional[str]] = mapped_column(String(40))
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    # Where the change came from: the client's address (market4.proxies) and, for
    # the partner API, the token used.
    remote_addr: Mapped[Optional[str]] = mapped_column(String(45))
    api_token_id: Mapped[Optional[int]] = mapped_column(ForeignKey("api_tokens.id"), index=True)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.object_type}:{self.object_id}>"

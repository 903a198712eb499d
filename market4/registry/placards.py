"""Every placard printed, the exact payload it carries, and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market4.db import now_utc
from market4.extensions import db
from market4.vocabulary import PlacardLayout, PlacardStatus, sql_in

if TYPE_CHECKING:
    from market4.registry.markets import Stall
    from market4.registry.vendors import PaymentAccount

# issued: printed, not yet confirmed on the stall; posted: seen on the stall by a visit;
# superseded: the account, bank or stall changed, so it must be reprinted;
# revoked: lost or swapped (a stuck-on fake QR), must never be trusted again.
PLACARD_STATUSES = tuple(PlacardStatus)
LIVE_STATUSES = (PlacardStatus.ISSUED, PlacardStatus.POSTED)


class Placard(db.Model):
    __tablename__ = "placards"
    __table_args__ = (CheckConstraint(sql_in("status", PlacardStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Printed on the placard so an inspector can match it against the registry.
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    stall_id: Mapped[int] = mapped_column(ForeignKey("stalls.id"), index=True)
    payment_account_id: Mapped[int] = mapped_column(ForeignKey("payment_accounts.id"), index=True)
    # The exact VietQR string in the QR; compared on reprint and on inspector scans.
    payload: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    layout: Mapped[str] = mapped_column(String(10), default=PlacardLayout.A6)
    status: Mapped[str] = mapped_column(String(12), default=PlacardStatus.ISSUED)
    printed_at: Mapped[datetime] = mapped_column(default=now_utc)
    printed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    posted_at: Mapped[Optional[datetime]]
    ended_at: Mapped[Optional[datetime]]
    end_reason: Mapped[Optional[str]] = mapped_column(String(255))

    stall: Mapped[Stall] = relationship()
    payment_account: Mapped[PaymentAccount] = relationship()

    def __repr__(self) -> str:
        return f"<Placard {self.serial} {self.status}>"

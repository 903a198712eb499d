"""Markets, their stalls, and each stall's acceptance status over time."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market4.db import now_utc, today
from market4.extensions import db
from market4.vocabulary import (
    CHECK_RESULT_LABELS,
    MARKET_KIND_LABELS,
    VISIT_OUTCOME_LABELS,
    WRONG_CODE_RESULTS,
    MarketKind,
    StallRequestStatus,
    StallStatus,
    StatusReason,
    sql_in,
)

if TYPE_CHECKING:
    from market4.areas.models import AdminUnit

MARKET_KINDS = MARKET_KIND_LABELS
# Decree 60/2024/NĐ-CP: hạng 1 > 400 business points, hạng 2 200–400, hạng 3 < 200.
MARKET_CLASSES = (1, 2, 3)

ACCEPTING = StallStatus.ACCEPTING
NOT_ACCEPTING = StallStatus.NOT_ACCEPTING
STATUS_REASONS = tuple(StatusReason)


class Market(db.Model):
    __tablename__ = "markets"
    __table_args__ = (
        CheckConstraint("market_class IN (1, 2, 3)", name="market_class"),
        CheckConstraint(sql_in("kind", MarketKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short, URL-safe and unique: what the CLI, the API and import files name a market by.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20), default=MarketKind.TRADITIONAL)
    market_class: Mapped[Optional[int]]
    address: Mapped[Optional[str]] = mapped_column(String(255))
    # Always a commune of the 2025 scheme; the legacy district only tags old reports.
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    legacy_district_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("admin_units.id"), index=True
    )
    # Membership of the chợ 4.0 programme; None means the market has not joined.
    programme_joined_on: Mapped[Optional[date]]
    # Placards print the full account number (the QR carries it anyway, and shoppers
    # type it when scanning fails); a market board may choose to print only the tail.
    mask_account_on_placards: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    commune: Mapped[AdminUnit] = relationship(foreign_keys=[commune_id])
    legacy_district: Mapped[Optional[AdminUnit]] = relationship(foreign_keys=[legacy_district_id])
    stalls: Mapped[list[Stall]] = relationship(
        back_populates="market", order_by="Stall.id", cascade="all, delete-orphan"
    )

    def in_programme_on(self, day: date) -> bool:
        return in_programme(self.programme_joined_on, day)

    def __repr__(self) -> str:
        return f"<Market {self.code} {self.name!r}>"


def in_programme(joined_on: date | None, day: date) -> bool:
    """Whether a market that joined chợ 4.0 on ``joined_on`` (None: never) is in it on ``day``."""
    return joined_on is not None and joined_on <= day


class Stall(db.Model):
    """A business point (điểm kinh doanh): sạp, lô, ki-ốt, quầy… with a free-text code."""

    __tablename__ = "stalls"
    __table_args__ = (UniqueConstraint("market_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    zone: Mapped[Optional[str]] = mapped_column(String(60))
    row: Mapped[Optional[str]] = mapped_column(String(40))
    goods_category: Mapped[Optional[str]] = mapped_column(String(60))
    opened_on: Mapped[date] = mapped_column(default=today)
    # A closed stall leaves the counts from this date on but keeps its history.
    closed_on: Mapped[Optional[date]]

    market: Mapped[Market] = relationship(back_populates="stalls")

    def is_open_on(self, day: date) -> bool:
        return self.opened_on <= day and (self.closed_on is None or self.closed_on > day)

    def __repr__(self) -> str:
        return f"<Stall {self.id} {self.code!r} market={self.market_id}>"


class StallStatusChange(db.Model):
    """One entry in a stall's acceptance history; the latest effective entry wins.

    Rates for any past date come from this table, so rows are only ever appended.
    """

    __tablename__ = "stall_status_changes"
    __table_args__ = (
        CheckConstraint(sql_in("status", StallStatus), name="status"),
        Index("ix_stall_status_changes_stall_effective", "stall_id", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(ForeignKey("stalls.id"))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(30))
    effective_on: Mapped[date] = mapped_column(default=today)
    recorded_at: Mapped[datetime] = mapped_column(default=now_utc)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    note: Mapped[Optional[str]] = mapped_column(String(255))

    stall: Mapped[Stall] = relationship()


VISIT_OUTCOMES = VISIT_OUTCOME_LABELS
# Outcomes of checking the code posted at a stall against the registry
# (``placards.checks``); recorded as visits, never chosen by hand.
CHECK_OUTCOMES = CHECK_RESULT_LABELS
WRONG_CODE_OUTCOMES = WRONG_CODE_RESULTS


class VerificationVisit(db.Model):
    """A market manager's check at a stall; its outcome moves the acceptance status."""

    __tablename__ = "verification_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(ForeignKey("stalls.id"), index=True)
    placard_id: Mapped[Optional[int]] = mapped_column(ForeignKey("placards.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    visited_on: Mapped[date] = mapped_column(default=today)
    note: Mapped[Optional[str]] = mapped_column(String(255))
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=now_utc)
    # A code check (CHECK_OUTCOMES) keeps what was scanned and what the registry matched
    # it to: the evidence when a stuck-on fake is reported.
    scanned_payload: Mapped[Optional[str]] = mapped_column(Text)
    found_placard_id: Mapped[Optional[int]] = mapped_column(ForeignKey("placards.id"))
    found_account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("payment_accounts.id"))

    stall: Mapped[Stall] = relationship()


STALL_REQUEST_STATUSES = tuple(StallRequestStatus)


class StallRequest(db.Model):
    """A bank partner asking the market board to change who trades at a stall.

    Occupancy is the market board's to record: a bank never ends another vendor's
    occupancy itself, it asks, and the request shows on the stall page until a manager
    settles it.
    """

    __tablename__ = "stall_requests"
    __table_args__ = (CheckConstraint(sql_in("status", StallRequestStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(ForeignKey("stalls.id"), index=True)
    message: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default=StallRequestStatus.OPEN)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    resolved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[Optional[datetime]]

    stall: Mapped[Stall] = relationship()

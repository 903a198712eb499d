"""A stall's acceptance status and current occupant: the primitives other services build on.

Kept apart from ``markets.services`` so that ``placards.services`` can use them without
an import cycle (stall services supersede placards; placard services change status).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from market4.db import today
from market4.extensions import db
from market4.registry.markets import (
    ACCEPTING,
    NOT_ACCEPTING,
    STATUS_REASONS,
    Stall,
    StallStatusChange,
)
from market4.registry.vendors import Occupancy, Vendor

__all__ = [
    "current_occupancy",
    "current_occupant",
    "current_status",
    "set_stall_status",
]


def current_status(stall: Stall, *, on: date | None = None) -> str | None:
    """The stall's status on ``on`` (default today), or None if it never had one.

    Same rule as the dashboard: the latest change effective on or before the day wins,
    ties broken by insertion order.
    """
    day = on or today()
    return db.session.scalar(
        select(StallStatusChange.status)
        .where(StallStatusChange.stall_id == stall.id, StallStatusChange.effective_on <= day)
        .order_by(StallStatusChange.effective_on.desc(), StallStatusChange.id.desc())
        .limit(1)
    )


def set_stall_status(
    stall: Stall,
    status: str,
    *,
    reason: str,
    on: date | None = None,
    actor: Any = None,
    note: str | None = None,
) -> StallStatusChange | None:
    """Append a status change unless the stall already has that status on that date.

    History is append-only so that rates can be recomputed for any past date. Returns
    the new row, or None when nothing changed.
    """
    if status not in (ACCEPTING, NOT_ACCEPTING):
        raise ValueError(f"unknown stall status {status!r}")
    if reason not in STATUS_REASONS:
        raise ValueError(f"unknown status reason {reason!r}")
    day = on or today()
    if current_status(stall, on=day) == status:
        return None
    change = StallStatusChange(
        stall_id=stall.id,
        status=status,
        reason=reason,
        effective_on=day,
        recorded_by_id=getattr(actor, "id", None),
        note=note,
    )
    db.session.add(change)
    db.session.flush()
    return change


def current_occupancy(stall: Stall) -> Occupancy | None:
    """The open occupancy of ``stall`` (at most one: a partial unique index says so)."""
    return db.session.scalar(
        select(Occupancy).where(Occupancy.stall_id == stall.id, Occupancy.ended_on.is_(None))
    )


def current_occupant(stall: Stall) -> Vendor | None:
    """The vendor trading at ``stall`` now, or None when it is vacant."""
    occupancy = current_occupancy(stall)
    return occupancy.vendor if occupancy is not None else None

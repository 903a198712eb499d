"""The stall-state query: what is true of a stall on a date, said once for every page.

Open on a date (:meth:`Stall.is_open_on`, and :func:`open_on` in SQL), the acceptance
status on a date (:func:`current_status`, :func:`statuses_on`, :func:`latest_status_subquery`)
and the current occupant. Market pages, the bank partner's picker, the API, placards and
dashboards all read these, so they cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select

from market4.db import today
from market4.domain.text import clean_text, search_key
from market4.extensions import db
from market4.registry.markets import (
    ACCEPTING,
    NOT_ACCEPTING,
    STATUS_REASONS,
    Market,
    Stall,
    StallStatusChange,
    VerificationVisit,
)
from market4.registry.ordering import sorted_stalls
from market4.registry.vendors import Occupancy, Vendor
from market4.sql import dialect_name, ids_parameter, kept_statement
from market4.vocabulary import CheckResult, VisitOutcome

__all__ = [
    "current_occupancy",
    "current_occupant",
    "current_status",
    "last_visits",
    "latest_status_subquery",
    "needs_visit",
    "narrows",
    "stalls_of_markets",
    "open_on",
    "set_stall_status",
    "statuses_on",
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


def latest_status_subquery(day: date, *, of_markets: Any = None):
    """Each stall's latest status row effective on or before ``day`` (rank 1).

    ``of_markets`` (a SELECT of market ids) ranks only those markets' stalls: PostgreSQL
    does not push a join's filter into a window, and ranking the whole country's history
    for one commune cost over a second at national scale.
    """
    ranked = select(
        StallStatusChange.stall_id,
        StallStatusChange.status,
        func.row_number()
        .over(
            partition_by=StallStatusChange.stall_id,
            order_by=(StallStatusChange.effective_on.desc(), StallStatusChange.id.desc()),
        )
        .label("rank"),
    ).where(StallStatusChange.effective_on <= day)
    if narrows(of_markets):
        ranked = ranked.where(StallStatusChange.stall_id.in_(stalls_of_markets(of_markets)))
    return ranked.subquery("latest_status")


def stalls_of_markets(market_ids: Any):
    """SELECT of the ids of the stalls of the markets ``market_ids`` (a SELECT) names."""
    return select(Stall.id).where(Stall.market_id.in_(market_ids))


def narrows(market_ids: Any) -> bool:
    """Whether a SELECT of market ids leaves some markets out: for every market (the
    whole country) a filter on them only costs time."""
    return market_ids is not None and market_ids.whereclause is not None


def in_markets(column: Any, market_ids: Any) -> list[Any]:
    """``column IN market_ids`` (a SELECT of market ids or a list); nothing for None or a
    SELECT of every market."""
    if market_ids is None or (isinstance(market_ids, Select) and not narrows(market_ids)):
        return []
    return [column.in_(market_ids)]


def for_markets(
    reader: str, market_ids: Any, build: Callable[[Callable[[Any], list[Any]]], Select]
) -> tuple[Select, dict[str, Any]]:
    """A reader's statement over the markets ``market_ids`` names, and the parameters it
    runs with. ``build(where)`` writes the statement, taking its other values as bound
    parameters, with ``where(column)`` for the condition on a market id column.

    A list of ids becomes one parameter (``market_ids``), so the statement is built once
    per reader and database (``sql.kept_statement``): a statement built anew costs more
    than running it. A SELECT is written into the statement (:func:`in_markets`)."""
    if isinstance(market_ids, list | tuple):
        dialect = dialect_name()
        statement = kept_statement(
            (reader, dialect),
            lambda: build(lambda column: [ids_parameter(column, "market_ids", dialect)]),
        )
        return statement, {"market_ids": list(market_ids)}
    return build(lambda column: in_markets(column, market_ids)), {}


def open_on(day: date):
    """SQL twin of :meth:`Stall.is_open_on`: open from ``opened_on``, closed from ``closed_on``."""
    return and_(Stall.opened_on <= day, or_(Stall.closed_on.is_(None), Stall.closed_on > day))


def _in_list(column: Any, ids: Collection[int]) -> Iterable[Any]:
    return [column.in_(ids)]


def statuses_on(
    stall_ids: Collection[int],
    day: date | None = None,
    *,
    conditions: Callable[[Any, Collection[int]], Iterable[Any]] = _in_list,
) -> dict[int, str]:
    """Each stall's status on ``day`` (default today), by stall id; stalls that never had
    one are left out. Same rule as :func:`current_status`, for many stalls at once.

    ``conditions`` turns the ids into WHERE clauses (one ``IN`` by default; bulk callers
    pass their own chunking).
    """
    day = day or today()
    statuses: dict[int, str] = {}
    for condition in conditions(StallStatusChange.stall_id, stall_ids):
        rows = db.session.execute(
            select(StallStatusChange.stall_id, StallStatusChange.status)
            .where(condition, StallStatusChange.effective_on <= day)
            .order_by(StallStatusChange.effective_on, StallStatusChange.id)
        )
        statuses.update((stall_id, status) for stall_id, status in rows)  # the last one wins
    return statuses


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


# --- visits ---------------------------------------------------------------------------

# How long a posted placard may go unchecked: a stuck-on fake over it is found within a
# quarter (the programme's teams walk each market about that often).
VISIT_INTERVAL = timedelta(days=90)
# What a visit found that calls for another one: the placard gone, swapped or stale.
PROBLEM_OUTCOMES = frozenset(
    {
        VisitOutcome.PLACARD_MISSING,
        VisitOutcome.PLACARD_SWAPPED,
        CheckResult.CODE_OTHER_STALL,
        CheckResult.CODE_OUTDATED,
        CheckResult.CODE_UNREGISTERED,
    }
)


def last_visits(stall_ids: Collection[int]) -> dict[int, VerificationVisit]:
    """Each stall's latest visit (by day, then by insertion), for the stalls that had one."""
    latest: dict[int, VerificationVisit] = {}
    if not stall_ids:
        return latest
    for visit in db.session.scalars(
        select(VerificationVisit)
        .where(VerificationVisit.stall_id.in_(stall_ids))
        .order_by(VerificationVisit.visited_on, VerificationVisit.id)
    ):
        latest[visit.stall_id] = visit  # the last one wins
    return latest


def needs_visit(has_live_placard: bool, last_visit: VerificationVisit | None, day: date) -> bool:
    """Whether a stall should be checked: its placard was never checked, not checked for
    :data:`VISIT_INTERVAL`, or the last check found a problem. Without a live placard
    there is nothing to check (printing comes first)."""
    if not has_live_placard:
        return False
    if last_visit is None or last_visit.outcome in PROBLEM_OUTCOMES:
        return True
    return last_visit.visited_on <= day - VISIT_INTERVAL


# --- finding a stall by its code ------------------------------------------------------


# Words a stall's code may already start with ("Sạp 12", "Ki-ốt 7", "Quầy 3"), folded.
_STALL_WORDS = frozenset({"sap", "ki-ot", "kiot", "kiosk", "ki", "quay", "gian", "lo", "o"})


def stall_name(code: str) -> Any:
    """How messages name a stall: its code when that already says what it is ("Sạp 12",
    "Ki-ốt 7"), else "Sạp A12"; never "Sạp Sạp 12"."""
    word = re.match(r"[a-z-]*", search_key(code))  # "Sạp12" starts with "sap" too
    if word and word.group() in _STALL_WORDS:
        return code
    return _l("Sạp %(code)s", code=code)


def stall_code_key(code: str) -> str:
    """What makes two stall codes the same: NFC, spacing and case ignored ("SẠP 1" = "sạp  1")."""
    return clean_text(code).casefold()


def stalls_of(market: Market) -> list[Stall]:
    # A query, not ``market.stalls``: that collection misses stalls added by market_id.
    return list(db.session.scalars(select(Stall).where(Stall.market_id == market.id)))


def find_stall(market: Market, code: str) -> Stall | None:
    """The stall of ``market`` whose code matches ``code`` (see :func:`stall_code_key`)."""
    key = stall_code_key(code)
    return next((stall for stall in stalls_of(market) if stall_code_key(stall.code) == key), None)


def stalls_in_order(market: Market) -> list[Stall]:
    """The market's stalls in natural code order ("Sạp 2" < "Sạp 10"), ``registry.ordering``."""
    return sorted_stalls(stalls_of(market))

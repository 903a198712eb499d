"""Each market's stall counts as a step function of the day: the rollup behind the figures.

Ranking the whole status history on each request cost seconds at national scale (two
million stalls). A row of :class:`MarketDay` says how many of a market's stalls are open,
and how many of those accept cashless payment, from its ``day`` until the market's next
row; a market has a row only for the days something changed. The figures for any date
read one row per market (the latest on or before that date, one index probe), and the
weekly trend adds up the rows' changes between week ends.

The stalls and their append-only status history stay the source of truth: a market's
rows are recomputed from them, in SQL, whenever a flush touched one of its stalls or
status changes (session hooks below, run before each commit and before each read of
the figures), and :func:`rebuild` recomputes any set of markets or the whole country
(after a bulk load). The rule is :func:`market4.registry.stalls.open_on` and "the
latest change effective that day wins, ties by insertion order", the same as
:func:`~market4.registry.stalls.latest_status_subquery`; a test compares the two on
random dates and areas.

Writers that bypass the ORM (Core ``insert``/``update``/``delete``, COPY) must call
:func:`mark_markets_changed` or :func:`rebuild` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    and_,
    case,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from market4.extensions import db
from market4.registry.markets import ACCEPTING, Market, Stall, StallStatusChange

PENDING_STALLS = "market_days.stalls"
PENDING_MARKETS = "market_days.markets"


class MarketDay(db.Model):
    """A market's counts from ``day`` until its next row (see the module docstring)."""

    __tablename__ = "market_days"
    __table_args__ = (
        Index("ix_market_days_day", "day"),
        # Where a trend starts: the first day with a status change, not the first row
        # (stalls opened years before any placard; a plain index scanned two million).
        Index(
            "ix_market_days_status_changed",
            "day",
            postgresql_where=text("status_changes > 0"),
            sqlite_where=text("status_changes > 0"),
        ),
    )

    market_id: Mapped[int] = mapped_column(
        ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    stalls_open: Mapped[int]
    stalls_accepting: Mapped[int]
    # What changed on ``day`` itself: the trend adds these up between week ends.
    open_change: Mapped[int]
    accepting_change: Mapped[int]
    # Status history rows effective that day, accepting or not: where a trend starts.
    status_changes: Mapped[int]


# --- reading ------------------------------------------------------------------------


def counts_on(day: date, market_ids: Any = None) -> dict[int, tuple[int, int]]:
    """(stalls open, stalls accepting) on ``day`` by market id, for the markets a SELECT
    of market ids names (None: every market); markets with no stall open are left out."""
    refresh_pending(db.session)
    latest_day = (
        select(func.max(MarketDay.day))
        .where(MarketDay.market_id == Market.id, MarketDay.day <= day)
        .correlate(Market)
        .scalar_subquery()
    )
    latest = select(Market.id.label("market_id"), latest_day.label("day"))
    if market_ids is not None:
        latest = latest.where(Market.id.in_(market_ids))
    latest = latest.subquery("latest_day")
    rows = db.session.execute(
        select(MarketDay.market_id, MarketDay.stalls_open, MarketDay.stalls_accepting)
        .join(
            latest,
            and_(MarketDay.market_id == latest.c.market_id, MarketDay.day == latest.c.day),
        )
        .where(MarketDay.stalls_open > 0)
    )
    return {market_id: (open_, accepting) for market_id, open_, accepting in rows}


def changes_between(after: date, until: date, market_ids: Any = None) -> list[tuple]:
    """(day, open change, accepting change) for each day in (``after``, ``until``]."""
    refresh_pending(db.session)
    query = (
        select(
            MarketDay.day,
            func.sum(MarketDay.open_change),
            func.sum(MarketDay.accepting_change),
        )
        .where(MarketDay.day > after, MarketDay.day <= until)
        .group_by(MarketDay.day)
        .order_by(MarketDay.day)
    )
    if market_ids is not None:
        query = query.where(MarketDay.market_id.in_(market_ids))
    return [tuple(row) for row in db.session.execute(query)]


def first_status_change(until: date, market_ids: Any = None) -> date | None:
    """The first day on or before ``until`` with a status change in the markets."""
    refresh_pending(db.session)
    query = select(func.min(MarketDay.day)).where(
        MarketDay.status_changes > 0, MarketDay.day <= until
    )
    if market_ids is not None:
        query = query.where(MarketDay.market_id.in_(market_ids))
    return db.session.scalar(query)


# --- keeping it in step -------------------------------------------------------------


def rebuild(market_ids: Any = None) -> None:
    """Recompute the rows of the markets a SELECT (or list) of ids names; None: all."""
    in_markets = _in(MarketDay.market_id, market_ids)
    db.session.execute(delete(MarketDay).where(*in_markets))
    steps = _steps(market_ids)
    db.session.execute(
        insert(MarketDay).from_select(
            [
                "market_id",
                "day",
                "stalls_open",
                "stalls_accepting",
                "open_change",
                "accepting_change",
                "status_changes",
            ],
            steps,
        )
    )


def mark_markets_changed(session: Session, market_ids: Iterable[int]) -> None:
    session.info.setdefault(PENDING_MARKETS, set()).update(market_ids)


def refresh_pending(session: Session) -> None:
    """Recompute the markets whose stalls or history changed since the last refresh."""
    session.flush()
    stall_ids = session.info.pop(PENDING_STALLS, set())
    market_ids = session.info.pop(PENDING_MARKETS, set())
    if stall_ids:
        market_ids |= set(
            session.scalars(select(Stall.market_id).where(Stall.id.in_(stall_ids)).distinct())
        )
    if market_ids:
        rebuild(sorted(market_ids))
        session.flush()


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    stalls = session.info.setdefault(PENDING_STALLS, set())
    markets = session.info.setdefault(PENDING_MARKETS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, StallStatusChange):
            stalls.add(obj.stall_id)
        elif isinstance(obj, Stall):
            markets.update(_markets_of(obj))
    if not stalls:
        session.info.pop(PENDING_STALLS)
    if not markets:
        session.info.pop(PENDING_MARKETS)


def _markets_of(stall: Stall) -> set[int]:
    """The markets whose counts a flushed stall may change (old and new market)."""
    state = inspect(stall)
    if state.pending or state.deleted or state.was_deleted:
        return {stall.market_id}
    found: set[int] = set()
    for name in ("opened_on", "closed_on", "market_id"):
        history = state.attrs[name].history
        if history.has_changes():
            found.add(stall.market_id)
            if name == "market_id":
                found.update(value for value in history.deleted if value is not None)
    return found


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    if session.info.get(PENDING_STALLS) or session.info.get(PENDING_MARKETS):
        refresh_pending(session)


# --- the step function, in SQL ------------------------------------------------------


def _in(column: Any, market_ids: Any) -> list[Any]:
    return [] if market_ids is None else [column.in_(market_ids)]


def _later(a: Any, b: Any) -> Any:
    return case((a > b, a), else_=b)


def _earlier_or_none(a: Any, b: Any) -> Any:
    """The earlier of two dates where None means "never" (open-ended)."""
    return case((a.is_(None), b), (b.is_(None), a), (a < b, a), else_=b)


def _event(market_id: Any, day: Any, open_: int, accepting: int, changes: Any = 0):
    return (
        market_id.label("market_id"),
        day.label("day"),
        literal(open_, Integer).label("open_change"),
        literal(accepting, Integer).label("accepting_change"),
        (changes if not isinstance(changes, int) else literal(changes, Integer)).label(
            "status_changes"
        ),
    )


def _steps(market_ids: Any):
    """SELECT of the rows of ``MarketDay`` for the markets named, from the source tables."""
    in_markets = _in(Stall.market_id, market_ids)
    ever_open = or_(Stall.closed_on.is_(None), Stall.closed_on > Stall.opened_on)
    opened = select(*_event(Stall.market_id, Stall.opened_on, 1, 0)).where(ever_open, *in_markets)
    closed = select(*_event(Stall.market_id, Stall.closed_on, -1, 0)).where(
        Stall.closed_on > Stall.opened_on, *in_markets
    )
    history = (
        select(
            StallStatusChange.stall_id,
            StallStatusChange.status,
            StallStatusChange.effective_on.label("starts"),
            # A same-day later row wins, so ordering by id too leaves this one empty.
            func.lead(StallStatusChange.effective_on, type_=Date)
            .over(
                partition_by=StallStatusChange.stall_id,
                order_by=(StallStatusChange.effective_on, StallStatusChange.id),
            )
            .label("ends"),
        )
        .join(Stall, Stall.id == StallStatusChange.stall_id)
        .where(*in_markets)
        .subquery("history")
    )
    accepting = (
        select(
            Stall.market_id,
            _later(history.c.starts, Stall.opened_on).label("starts"),
            _earlier_or_none(history.c.ends, Stall.closed_on).label("ends"),
        )
        .select_from(history)
        .join(Stall, Stall.id == history.c.stall_id)
        .where(history.c.status == ACCEPTING)
        .cte("accepting")  # read twice, for the starts and for the ends
    )
    nonempty = or_(accepting.c.ends.is_(None), accepting.c.starts < accepting.c.ends)
    starts_accepting = select(*_event(accepting.c.market_id, accepting.c.starts, 0, 1)).where(
        nonempty
    )
    stops_accepting = select(*_event(accepting.c.market_id, accepting.c.ends, 0, -1)).where(
        accepting.c.ends.is_not(None), accepting.c.starts < accepting.c.ends
    )
    status_changes = (
        select(
            *_event(
                Stall.market_id, StallStatusChange.effective_on, 0, 0, func.count().cast(Integer)
            )
        )
        .select_from(StallStatusChange)
        .join(Stall, Stall.id == StallStatusChange.stall_id)
        .where(*in_markets)
        .group_by(Stall.market_id, StallStatusChange.effective_on)
    )
    events = union_all(opened, closed, starts_accepting, stops_accepting, status_changes).subquery(
        "events"
    )
    per_day = (
        select(
            events.c.market_id,
            events.c.day,
            func.sum(events.c.open_change).cast(Integer).label("open_change"),
            func.sum(events.c.accepting_change).cast(Integer).label("accepting_change"),
            func.sum(events.c.status_changes).cast(Integer).label("status_changes"),
        )
        .group_by(events.c.market_id, events.c.day)
        .subquery("per_day")
    )
    running = {"partition_by": per_day.c.market_id, "order_by": per_day.c.day}
    return select(
        per_day.c.market_id,
        per_day.c.day,
        func.sum(per_day.c.open_change).over(**running).cast(Integer),
        func.sum(per_day.c.accepting_change).over(**running).cast(Integer),
        per_day.c.open_change,
        per_day.c.accepting_change,
        per_day.c.status_changes,
    )

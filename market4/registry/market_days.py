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

:class:`MarketBankDay` does the same per market and bank for the dashboard's bank
chart: how many accepting stalls are paid into an account of each bank, from ``day``
until ``until``. A stall's bank is the bank of its occupant's on-placard account (the
account as it is now: the registry keeps no account history); the occupant on a day is
the latest tenancy begun by then, unless it has ended (a new tenancy ends any earlier
one, recorded or not). :func:`market4.dashboard.breakdown.counts_by_bin_from_history`
says the same from the source tables.

Writers that bypass the ORM (Core ``insert``/``update``/``delete``, COPY) must call
:func:`mark_stalls_changed`, :func:`mark_vendors_changed` or :func:`rebuild` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Optional

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    and_,
    bindparam,
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
from market4.registry import activity
from market4.registry.markets import ACCEPTING, Market, Stall, StallStatusChange
from market4.registry.stalls import for_markets, in_markets
from market4.registry.vendors import Occupancy, PaymentAccount
from market4.sql import column_rows
from market4.vocabulary import AccountStatus

PENDING_STALLS = "market_days.stalls"
PENDING_VENDORS = "market_days.vendors"
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


class MarketBankDay(db.Model):
    """Accepting stalls of a market paid into an account at ``bank_bin``, from ``day``
    until ``until`` (None: still so). Stalls without such an account have no row."""

    __tablename__ = "market_bank_days"
    __table_args__ = (
        # Today's chart reads the rows still current.
        Index(
            "ix_market_bank_days_current",
            "market_id",
            postgresql_where=text("until IS NULL"),
            sqlite_where=text("until IS NULL"),
        ),
    )

    market_id: Mapped[int] = mapped_column(
        ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True
    )
    bank_bin: Mapped[str] = mapped_column(String(6), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    until: Mapped[Optional[date]]
    stalls_accepting: Mapped[int]


# --- reading ------------------------------------------------------------------------


def market_ids_of(markets: Select | list[int]) -> Select | list[int]:
    """What the readers below take for some markets: from a SELECT of markets, the
    SELECT of their ids; their ids as they are (the readers then run statements built
    once, :func:`stalls.for_markets`)."""
    if isinstance(markets, list):
        return markets
    return markets.with_only_columns(Market.id).order_by(None)


def counts_on(day: date, market_ids: Any = None) -> dict[int, tuple[int, int]]:
    """(stalls open, stalls accepting) on ``day`` by market id, for the markets a SELECT
    of market ids names (None: every market); markets with no stall open are left out."""
    refresh_pending(db.session)
    latest = (
        select(Market.id.label("market_id"), _latest_day(day).label("day"))
        .where(*in_markets(Market.id, market_ids))
        .subquery("latest_day")
    )
    rows = db.session.execute(
        select(MarketDay.market_id, MarketDay.stalls_open, MarketDay.stalls_accepting)
        .join(
            latest,
            and_(MarketDay.market_id == latest.c.market_id, MarketDay.day == latest.c.day),
        )
        .where(MarketDay.stalls_open > 0)
    )
    return {market_id: (open_, accepting) for market_id, open_, accepting in rows}


def with_counts_on(markets_query: Select) -> Select:
    """``markets_query`` (a SELECT of market columns) with two more columns: the market's
    stalls open and accepting on the day given as the parameter ``day`` (None, None when
    no stall is open): the figures and the markets they belong to in one round trip.
    Like every reader here, run it after :func:`refresh_pending`."""
    return markets_query.outerjoin(
        MarketDay,
        and_(MarketDay.market_id == Market.id, MarketDay.day == _latest_day(bindparam("day"))),
    ).add_columns(MarketDay.stalls_open, MarketDay.stalls_accepting)


def _latest_day(day: Any) -> Any:
    """The market's latest rollup row on or before ``day``, correlated to ``Market``."""
    return (
        select(func.max(MarketDay.day))
        .where(MarketDay.market_id == Market.id, MarketDay.day <= day)
        .correlate(Market)
        .scalar_subquery()
    )


def changes_between(after: date, until: date, market_ids: Any = None) -> list[tuple]:
    """(day, open change, accepting change) for each day in (``after``, ``until``]."""
    refresh_pending(db.session)
    statement, parameters = for_markets(
        "market_days.changes_between",
        market_ids,
        lambda where: (
            select(
                MarketDay.day,
                func.sum(MarketDay.open_change),
                func.sum(MarketDay.accepting_change),
            )
            .where(
                MarketDay.day > bindparam("after"),
                MarketDay.day <= bindparam("until"),
                *where(MarketDay.market_id),
            )
            .group_by(MarketDay.day)
            .order_by(MarketDay.day)
        ),
    )
    return column_rows(statement, {"after": after, "until": until, **parameters})


def bank_counts_on(day: date, market_ids: Any = None) -> dict[str, int]:
    """Accepting stalls on ``day`` by the BIN their occupant's placard account pays into,
    for the markets a SELECT of market ids names (None: every market)."""
    refresh_pending(db.session)
    query = (
        select(MarketBankDay.bank_bin, func.sum(MarketBankDay.stalls_accepting))
        .where(
            MarketBankDay.day <= day,
            or_(MarketBankDay.until.is_(None), MarketBankDay.until > day),
            *in_markets(MarketBankDay.market_id, market_ids),
        )
        .group_by(MarketBankDay.bank_bin)
    )
    return {bank_bin: count for bank_bin, count in db.session.execute(query) if count}


def first_status_change(until: date, market_ids: Any = None) -> date | None:
    """The first day on or before ``until`` with a status change in the markets."""
    refresh_pending(db.session)
    query = select(func.min(MarketDay.day)).where(
        MarketDay.status_changes > 0,
        MarketDay.day <= until,
        *in_markets(MarketDay.market_id, market_ids),
    )
    return db.session.scalar(query)


# --- keeping it in step -------------------------------------------------------------


def rebuild(market_ids: Any = None) -> None:
    """Recompute the rows of the markets a SELECT (or list) of ids names; None: all.

    Their "paid by QR" months too (:mod:`market4.registry.activity`): they depend on the
    same stalls and tenancies."""
    db.session.execute(delete(MarketDay).where(*in_markets(MarketDay.market_id, market_ids)))
    db.session.execute(
        delete(MarketBankDay).where(*in_markets(MarketBankDay.market_id, market_ids))
    )
    accepting = _accepting_spans(market_ids)
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
            _steps(market_ids, accepting),
        )
    )
    db.session.execute(
        insert(MarketBankDay).from_select(
            ["market_id", "bank_bin", "day", "until", "stalls_accepting"],
            _bank_steps(market_ids, _accepting_spans(market_ids)),
        )
    )
    # Who traded at which open stall decides the "paid by QR" months too.
    activity.rebuild_months(market_ids)


def mark_markets_changed(session: Session, market_ids: Iterable[int]) -> None:
    _pending(session, PENDING_MARKETS).update(market_ids)


def mark_stalls_changed(session: Session, stall_ids: Iterable[int]) -> None:
    _pending(session, PENDING_STALLS).update(stall_ids)


def mark_vendors_changed(session: Session, vendor_ids: Iterable[int]) -> None:
    """A vendor's placard account decides the bank of every stall it ever occupied."""
    _pending(session, PENDING_VENDORS).update(vendor_ids)


def _pending(session: Session, key: str) -> set[int]:
    return session.info.setdefault(key, set())


def refresh_pending(session: Session) -> None:
    """Recompute the markets whose stalls, history, tenancies or placard accounts
    changed since the last refresh."""
    session.flush()
    stall_ids = session.info.pop(PENDING_STALLS, set())
    vendor_ids = session.info.pop(PENDING_VENDORS, set())
    market_ids = set(session.info.pop(PENDING_MARKETS, set()))
    if vendor_ids:
        stall_ids |= set(
            session.scalars(select(Occupancy.stall_id).where(Occupancy.vendor_id.in_(vendor_ids)))
        )
    if stall_ids:
        market_ids |= set(
            session.scalars(select(Stall.market_id).where(Stall.id.in_(stall_ids)).distinct())
        )
    if market_ids:
        rebuild(sorted(market_ids))
        session.flush()


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    stalls, vendors, markets = set(), set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, StallStatusChange | Occupancy):
            stalls.add(obj.stall_id)
            stalls.update(_old_values(obj, "stall_id"))
        elif isinstance(obj, Stall):
            markets.update(_markets_of(obj))
        elif isinstance(obj, PaymentAccount) and _changed(obj, ACCOUNT_FIELDS):
            vendors.add(obj.vendor_id)
            vendors.update(_old_values(obj, "vendor_id"))
    for key, found in ((PENDING_STALLS, stalls), (PENDING_VENDORS, vendors)):
        if found:
            _pending(session, key).update(found)
    if markets:
        mark_markets_changed(session, markets)


# What of an account decides a stall's bank on the chart.
ACCOUNT_FIELDS = ("vendor_id", "bank_bin", "is_on_placard", "status")


def _changed(obj: Any, names: Iterable[str]) -> bool:
    state = inspect(obj)
    if state.pending or state.deleted or state.was_deleted:
        return True
    return any(state.attrs[name].history.has_changes() for name in names)


def _old_values(obj: Any, name: str) -> list[Any]:
    state = inspect(obj)
    if state.pending:
        return []
    return [value for value in state.attrs[name].history.deleted if value is not None]


def _markets_of(stall: Stall) -> set[int]:
    """The markets whose counts a flushed stall may change (old and new market)."""
    if not _changed(stall, ("opened_on", "closed_on", "market_id")):
        return set()
    return {stall.market_id, *_old_values(stall, "market_id")}


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    if any(session.info.get(key) for key in (PENDING_STALLS, PENDING_VENDORS, PENDING_MARKETS)):
        refresh_pending(session)


# --- the step functions, in SQL -----------------------------------------------------


def _later(a: Any, b: Any) -> Any:
    return case((a > b, a), else_=b)


def _earlier_or_none(a: Any, b: Any) -> Any:
    """The earlier of two dates where None means "never" (open-ended)."""
    return case((a.is_(None), b), (b.is_(None), a), (a < b, a), else_=b)


def _nonempty(span: Any) -> Any:
    return or_(span.c.ends.is_(None), span.c.starts < span.c.ends)


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


def _accepting_spans(market_ids: Any):
    """CTE: each span of days a stall is open with "accepting" as its latest status
    (stall_id, market_id, starts, ends; ends None: still so). May hold empty spans."""
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
        .where(*in_markets(Stall.market_id, market_ids))
        .subquery("history")
    )
    return (
        select(
            Stall.id.label("stall_id"),
            Stall.market_id,
            _later(history.c.starts, Stall.opened_on).label("starts"),
            _earlier_or_none(history.c.ends, Stall.closed_on).label("ends"),
        )
        .select_from(history)
        .join(Stall, Stall.id == history.c.stall_id)
        .where(history.c.status == ACCEPTING)
        .cte("accepting")  # read twice, for the starts and for the ends
    )


def _steps(market_ids: Any, accepting: Any):
    """SELECT of the rows of ``MarketDay`` for the markets named, from the source tables."""
    of_markets = in_markets(Stall.market_id, market_ids)
    ever_open = or_(Stall.closed_on.is_(None), Stall.closed_on > Stall.opened_on)
    opened = select(*_event(Stall.market_id, Stall.opened_on, 1, 0)).where(ever_open, *of_markets)
    closed = select(*_event(Stall.market_id, Stall.closed_on, -1, 0)).where(
        Stall.closed_on > Stall.opened_on, *of_markets
    )
    starts_accepting = select(*_event(accepting.c.market_id, accepting.c.starts, 0, 1)).where(
        _nonempty(accepting)
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
        .where(*of_markets)
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


def _bank_steps(market_ids: Any, accepting: Any):
    """SELECT of the rows of ``MarketBankDay``: each accepting span cut to the tenancies
    within it, under the bank of the tenant's placard account."""
    tenancies = (
        select(
            Occupancy.stall_id,
            Occupancy.vendor_id,
            Occupancy.started_on.label("starts"),
            _earlier_or_none(
                Occupancy.ended_on,
                # A new tenancy ends any earlier one (ties: the later record wins).
                func.lead(Occupancy.started_on, type_=Date).over(
                    partition_by=Occupancy.stall_id,
                    order_by=(Occupancy.started_on, Occupancy.id),
                ),
            ).label("ends"),
        )
        .join(Stall, Stall.id == Occupancy.stall_id)
        .where(*in_markets(Stall.market_id, market_ids))
        .subquery("tenancies")
    )
    paid = (
        select(
            accepting.c.market_id,
            PaymentAccount.bank_bin,
            _later(accepting.c.starts, tenancies.c.starts).label("starts"),
            _earlier_or_none(accepting.c.ends, tenancies.c.ends).label("ends"),
        )
        .select_from(accepting)
        .join(tenancies, tenancies.c.stall_id == accepting.c.stall_id)
        .join(
            PaymentAccount,
            and_(
                PaymentAccount.vendor_id == tenancies.c.vendor_id,
                PaymentAccount.is_on_placard.is_(True),
                PaymentAccount.status == AccountStatus.ACTIVE,
            ),
        )
        .cte("paid")
    )
    events = union_all(
        select(
            paid.c.market_id,
            paid.c.bank_bin,
            paid.c.starts.label("day"),
            literal(1).label("change"),
        ).where(_nonempty(paid)),
        select(paid.c.market_id, paid.c.bank_bin, paid.c.ends, literal(-1)).where(
            paid.c.ends.is_not(None), paid.c.starts < paid.c.ends
        ),
    ).subquery("events")
    change = events.c.change
    per_day = (
        select(
            events.c.market_id,
            events.c.bank_bin,
            events.c.day,
            func.sum(change).cast(Integer).label("change"),
        )
        .group_by(events.c.market_id, events.c.bank_bin, events.c.day)
        .subquery("per_day")
    )
    window = {
        "partition_by": (per_day.c.market_id, per_day.c.bank_bin),
        "order_by": per_day.c.day,
    }
    return select(
        per_day.c.market_id,
        per_day.c.bank_bin,
        per_day.c.day,
        func.lead(per_day.c.day, type_=Date).over(**window),
        func.sum(per_day.c.change).over(**window).cast(Integer),
    )

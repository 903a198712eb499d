"""What banks report about their accounts each month, and the rollup behind "paid by QR".

A placard on a stall says a vendor *has* a QR; whether shoppers pay through it only the
bank sees. Bank partners report, per account and month, whether the account received QR
payments and how many, as a band (:class:`~market4.vocabulary.QrCountBand`). Nothing
else: no amount, no exact count (:class:`PaymentActivity`). A new report for the same
account and month replaces the old one.

A stall is **paid by QR in a month** when it is open on the month's last day and a vendor
trading at it during the month has an account reported as having received QR payments
that month. The vendor is the occupant of the month (a stall taken over mid-month counts
when either vendor was paid), the account may be any of theirs (the placard's, or a
bank's own stand the vendor shows).

Counting that from the reports on every page would join the whole country's reports,
accounts, tenancies and stalls; :class:`MarketActivityMonth` keeps, per market and
month, how many stalls had a report and how many were paid, so the figures read one row
per market. Rows are recomputed from the source tables, in SQL, for the markets whose
stalls, tenancies or accounts changed (:func:`market4.registry.market_days.rebuild`
calls :func:`rebuild_months` for the markets it recomputes) and for the markets of the
accounts a report touched (:func:`mark_accounts_reported`, refreshed before each
commit and before each read).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, Optional

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    cast,
    delete,
    distinct,
    event,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from market4.db import now_utc, today
from market4.extensions import db
from market4.registry.markets import Stall
from market4.registry.stalls import for_markets, in_markets
from market4.registry.vendors import Occupancy, PaymentAccount
from market4.sql import column_rows, month_of
from market4.vocabulary import ActivitySource, QrCountBand, sql_in

PENDING_ACCOUNTS = "activity.accounts"


class PaymentActivity(db.Model):
    """One bank's report on one account for one month; the latest report wins."""

    __tablename__ = "payment_activity"
    __table_args__ = (
        UniqueConstraint("payment_account_id", "month"),
        CheckConstraint(sql_in("count_band", QrCountBand), name="count_band"),
        CheckConstraint(sql_in("source", ActivitySource), name="source"),
        # "Received QR payments" and "a band above none" say the same thing twice.
        CheckConstraint(
            f"received = (count_band <> '{QrCountBand.NONE.value}')", name="received_band"
        ),
        Index("ix_payment_activity_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_account_id: Mapped[int] = mapped_column(ForeignKey("payment_accounts.id"))
    # The first day of the month reported on.
    month: Mapped[date] = mapped_column(Date)
    received: Mapped[bool]
    count_band: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(8))
    organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisations.id"))
    reported_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(default=now_utc)

    account: Mapped[PaymentAccount] = relationship()

    def as_dict(self) -> dict[str, Any]:
        """What an audit event keeps of a report (it is all there is: no amounts)."""
        return {
            "payment_account_id": self.payment_account_id,
            "month": month_text(self.month),
            "received": self.received,
            "count_band": self.count_band,
            "source": self.source,
            "organisation_id": self.organisation_id,
            "reported_by_id": self.reported_by_id,
        }


class MarketActivityMonth(db.Model):
    """A market's stalls with a report, and paid by QR, in one month (module docstring)."""

    __tablename__ = "market_activity_months"
    __table_args__ = (Index("ix_market_activity_months_month", "month"),)

    market_id: Mapped[int] = mapped_column(
        ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    stalls_reported: Mapped[int]
    stalls_paid: Mapped[int]


# --- months ----------------------------------------------------------------------------


# No report may name an earlier month: QR payments at market stalls follow SBV Decision
# 1928/QĐ-NHNN (05/10/2018), the national QR standard at merchants.
FIRST_MONTH = date(2018, 10, 1)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def months_before(month: date, count: int) -> date:
    """The first day of the month ``count`` months before ``month``'s."""
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def last_day_of_month(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def month_text(month: date) -> str:
    """``2026-10``: how the API, the CSV and the audit log write a month."""
    return month.strftime("%Y-%m")


# --- reading ---------------------------------------------------------------------------


def reference_month(before: date, market_ids: Any = None) -> date | None:
    """The latest month before ``before``'s own month with a report on a stall of the
    markets (a SELECT of ids; None: all): the month the dashboard calls "now".

    Only finished months count (a bank reports a month once it is over), and the latest
    one that has reports, so the figure does not drop to nothing on the first of each
    month while the banks prepare their files.
    """
    refresh_pending(db.session)
    statement, parameters = for_markets("activity.reference_month", market_ids, _reference_month)
    return db.session.scalar(statement, {"before": first_of_month(before), **parameters})


def _reference_month(where: Callable[[Any], list[Any]]) -> Select:
    """The latest month before the parameter ``before`` (a first day) with a report."""
    return select(func.max(MarketActivityMonth.month)).where(
        MarketActivityMonth.month < bindparam("before"),
        MarketActivityMonth.stalls_reported > 0,
        *where(MarketActivityMonth.market_id),
    )


def paid_in_reference_month(
    before: date, market_ids: Any = None
) -> tuple[date | None, dict[int, int]]:
    """:func:`reference_month` and each market's stalls paid by QR in it, in one query (the dashboard and
    the statistics ask both on every request)."""
    refresh_pending(db.session)
    statement, parameters = for_markets(
        "activity.paid_in_reference_month",
        market_ids,
        lambda where: select(
            MarketActivityMonth.month,
            MarketActivityMonth.market_id,
            MarketActivityMonth.stalls_paid,
        ).where(
            MarketActivityMonth.month == _reference_month(where).scalar_subquery(),
            *where(MarketActivityMonth.market_id),
        ),
    )
    rows = column_rows(statement, {"before": first_of_month(before), **parameters})
    if not rows:
        return None, {}
    return rows[0].month, {row.market_id: row.stalls_paid for row in rows if row.stalls_paid > 0}


def paid_by_month(first: date, last: date, market_ids: Any = None) -> dict[date, int]:
    """Stalls paid by QR in each month from ``first`` to ``last`` (first days), for the
    months with any report on the markets' stalls."""
    refresh_pending(db.session)
    statement, parameters = for_markets(
        "activity.paid_by_month",
        market_ids,
        lambda where: (
            select(MarketActivityMonth.month, func.sum(MarketActivityMonth.stalls_paid))
            .where(
                MarketActivityMonth.month >= bindparam("first"),
                MarketActivityMonth.month <= bindparam("last"),
                MarketActivityMonth.stalls_reported > 0,
                *where(MarketActivityMonth.market_id),
            )
            .group_by(MarketActivityMonth.month)
            .order_by(MarketActivityMonth.month)
        ),
    )
    rows = column_rows(statement, {"first": first, "last": last, **parameters})
    return {month: int(paid or 0) for month, paid in rows}


class RecentMonths(NamedTuple):
    """What the statistics' "paid by QR" and their monthly trend read (:func:`recent_months`)."""

    month: date | None  # the reference month (:func:`reference_month`); None: no report yet
    by_market: dict[int, int]  # stalls paid by QR in it, per market (markets with none left out)
    by_month: dict[date, int]  # stalls paid in each of the latest months with reports
    # The figures' rollup summed by month: (its first day, open change, accepting change),
    # all a count back to month ends needs (``counts_on_days``).
    changes: list[tuple]


def recent_months(day: date, market_ids: Any, *, months: int) -> RecentMonths:
    """:func:`paid_in_reference_month` for ``day``, :func:`paid_by_month` over the latest
    ``months`` months with reports before ``day``'s, and the figures' changes from the
    first of those months to ``day`` by month (``market_days.changes_between``, summed), for
    the markets ``market_ids`` names, in one statement: the API's statistics ask all three on
    every request, and a round trip costs more than any of them."""
    refresh_pending(db.session)
    statement, parameters = for_markets("activity.recent_months", market_ids, _recent_months)
    rows = column_rows(
        statement,
        {"before": first_of_month(day), "until": day, "months": months, **parameters},
    )
    by_market, by_month, changes = {}, {}, []
    for part, when, market_id, first, second in rows:
        if part == _PAID_IN_MARKET:
            by_market[market_id] = first
        elif part == _PAID_IN_MONTH:
            by_month[when] = int(first or 0)
        else:
            changes.append((when, first, second))
    changes.sort()
    return RecentMonths(max(by_month, default=None), by_market, by_month, changes)


_PAID_IN_MARKET, _PAID_IN_MONTH, _CHANGE = 1, 2, 3


def _recent_months(where: Callable[[Any], list[Any]]) -> Any:
    """The statement of :func:`recent_months`: its three reads as one UNION ALL of
    (part, month or day, market id, two counts)."""
    from market4.registry.market_days import MarketDay  # it imports this module

    months = (
        select(MarketActivityMonth.month, func.sum(MarketActivityMonth.stalls_paid).label("paid"))
        .where(
            MarketActivityMonth.month < bindparam("before"),
            MarketActivityMonth.stalls_reported > 0,
            *where(MarketActivityMonth.market_id),
        )
        .group_by(MarketActivityMonth.month)
        .order_by(MarketActivityMonth.month.desc())
        .limit(bindparam("months", type_=Integer))
        .cte("recent")
    )
    no_market, no_count = cast(null(), Integer), cast(null(), BigInteger)
    return union_all(
        select(
            literal_column(str(_PAID_IN_MARKET)).label("part"),
            MarketActivityMonth.month.label("day"),
            MarketActivityMonth.market_id,
            cast(MarketActivityMonth.stalls_paid, BigInteger).label("first"),
            no_count.label("second"),
        ).where(
            MarketActivityMonth.month == select(func.max(months.c.month)).scalar_subquery(),
            MarketActivityMonth.stalls_paid > 0,
            *where(MarketActivityMonth.market_id),
        ),
        select(
            literal_column(str(_PAID_IN_MONTH)), months.c.month, no_market, months.c.paid, no_count
        ),
        select(
            literal_column(str(_CHANGE)),
            month_of(MarketDay.day),
            no_market,
            func.sum(MarketDay.open_change),
            func.sum(MarketDay.accepting_change),
        )
        .where(
            MarketDay.day >= select(func.min(months.c.month)).scalar_subquery(),
            MarketDay.day <= bindparam("until"),
            *where(MarketDay.market_id),
        )
        .group_by(month_of(MarketDay.day)),
    )


def last_paid_month(stall: Stall) -> date | None:
    """The latest month ``stall`` was paid by QR (the rule of the module docstring),
    from the reports themselves: one stall needs no rollup."""
    months = _stall_months(stall_ids=[stall.id])
    return db.session.scalar(select(func.max(months.c.month)).where(months.c.received.is_(True)))


def last_received_month(account_ids: Iterable[int]) -> dict[int, date]:
    """The latest month each account was reported as having received QR payments."""
    ids = list(account_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(PaymentActivity.payment_account_id, func.max(PaymentActivity.month))
        .where(PaymentActivity.payment_account_id.in_(ids), PaymentActivity.received.is_(True))
        .group_by(PaymentActivity.payment_account_id)
    )
    return {account_id: month for account_id, month in rows}


# --- keeping the rollup in step ---------------------------------------------------------


def rebuild_months(market_ids: Any = None) -> None:
    """Recompute the rows of the markets a SELECT (or list) of ids names; None: all."""
    db.session.execute(
        delete(MarketActivityMonth).where(*in_markets(MarketActivityMonth.market_id, market_ids))
    )
    months = _stall_months(market_ids=market_ids)
    db.session.execute(
        insert(MarketActivityMonth).from_select(
            ["market_id", "month", "stalls_reported", "stalls_paid"],
            select(
                months.c.market_id,
                months.c.month,
                func.count(distinct(months.c.stall_id)),
                func.count(distinct(case((months.c.received.is_(True), months.c.stall_id)))),
            ).group_by(months.c.market_id, months.c.month),
        )
    )


def mark_accounts_reported(session: Session, account_ids: Iterable[int]) -> None:
    """Reports written with Core statements (bulk) say so here; ORM writes are seen."""
    session.info.setdefault(PENDING_ACCOUNTS, set()).update(account_ids)


def refresh_pending(session: Session) -> None:
    """Recompute the months of the markets whose stalls' accounts were reported on (and,
    through the figures' own rollup, of those whose stalls or tenancies changed)."""
    from market4.registry import market_days  # it calls rebuild_months: imported late

    market_days.refresh_pending(session)
    account_ids = session.info.pop(PENDING_ACCOUNTS, set())
    if account_ids:
        market_ids = set(
            session.scalars(
                select(Stall.market_id)
                .join(Occupancy, Occupancy.stall_id == Stall.id)
                .join(PaymentAccount, PaymentAccount.vendor_id == Occupancy.vendor_id)
                .where(PaymentAccount.id.in_(sorted(account_ids)))
                .distinct()
            )
        )
        if market_ids:
            rebuild_months(sorted(market_ids))
            session.flush()


@event.listens_for(Session, "after_flush")
def _note_reports(session: Session, _context: Any) -> None:
    reported = {
        obj.payment_account_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, PaymentActivity)
    }
    if reported:
        mark_accounts_reported(session, reported)


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    if session.info.get(PENDING_ACCOUNTS):
        refresh_pending(session)


# --- the rule, in SQL ------------------------------------------------------------------


def _stall_months(*, market_ids: Any = None, stall_ids: Iterable[int] | None = None):
    """Subquery of (market_id, stall_id, month, received): each report on an account of
    a vendor who traded during the month at a stall open on the month's last day.

    A month's end comes from a small table of every month a report may name (from
    :data:`FIRST_MONTH` to next month), written out as literals: SQLite and PostgreSQL
    share no date arithmetic, and listing the months actually reported would read the
    whole report table on every refresh.
    """
    months = []
    month, last = FIRST_MONTH, next_month(first_of_month(today()))
    while month <= last:
        months.append(month)
        month = next_month(month)
    bounds = union_all(
        *(
            select(
                literal(month, Date).label("month"), literal(next_month(month), Date).label("ends")
            )
            for month in months
        )
    ).cte("months")
    report = PaymentActivity
    query = (
        select(
            Stall.market_id,
            Stall.id.label("stall_id"),
            report.month,
            report.received,
        )
        .select_from(report)
        .join(bounds, bounds.c.month == report.month)
        .join(PaymentAccount, PaymentAccount.id == report.payment_account_id)
        .join(
            Occupancy,
            and_(
                Occupancy.vendor_id == PaymentAccount.vendor_id,
                Occupancy.started_on < bounds.c.ends,
                or_(Occupancy.ended_on.is_(None), Occupancy.ended_on > report.month),
            ),
        )
        .join(
            Stall,
            and_(
                Stall.id == Occupancy.stall_id,
                # Open on the month's last day, as the month's stall count is taken.
                Stall.opened_on < bounds.c.ends,
                or_(Stall.closed_on.is_(None), Stall.closed_on >= bounds.c.ends),
            ),
        )
        .where(*in_markets(Stall.market_id, market_ids))
    )
    if stall_ids is not None:
        query = query.where(Stall.id.in_(list(stall_ids)))
    return query.subquery("stall_months")

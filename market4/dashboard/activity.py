""" "Paid by QR" beside "has QR": the dashboard, its exports, ``GET /api/v1/stats`` and
``market4 stats`` read the second figure here.

- **Has QR** (:mod:`market4.dashboard.queries`): stalls accepting cashless payment on
  the day (a placard posted, a test payment that went through).
- **Paid by QR**: stalls paid by QR (:mod:`market4.registry.activity`: open on the
  month's last day, a vendor trading there that month whose account a bank reported as
  having received QR payments) in the **reference month**: the latest finished month,
  before the day's own, with any report on the markets shown. Its rate is over the
  stalls of the day, so both rates share one denominator, "1.066 có QR — 812 đang nhận
  tiền qua QR" out of 1.420.

Both come from rollups (one row per market), never from the reports themselves. The
monthly trend takes each month's stall count on its last day from the same rollup as
the weekly trend, counted back from the headline's totals as the weekly trend is: two
queries for any number of months.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from sqlalchemy import Select

from market4.registry import activity, market_days
from market4.registry.activity import first_of_month, last_day_of_month


@dataclass(frozen=True)
class PaidByQr:
    """Stalls paid by QR in ``month`` (None: no report yet) per market id."""

    month: date | None
    by_market: dict[int, int] = field(default_factory=dict)

    @property
    def reported(self) -> bool:
        return self.month is not None

    @property
    def stalls_paid(self) -> int | None:
        return sum(self.by_market.values()) if self.reported else None

    def for_market(self, market_id: int) -> int | None:
        return self.by_market.get(market_id, 0) if self.reported else None


def rate(paid: int | None, total: int) -> float | None:
    """The share paid by QR, None when there is no report or no stall."""
    return paid / total if paid is not None and total else None


def paid_by_qr(markets: Select | list[int], *, on: date) -> PaidByQr:
    """Stalls paid by QR in the reference month for ``on``, for the markets selected (a
    SELECT of markets, or their ids)."""
    month, by_market = activity.paid_in_reference_month(on, market_days.market_ids_of(markets))
    return PaidByQr(month, by_market) if month is not None else PaidByQr(None)


@dataclass(frozen=True)
class MonthPoint:
    """One month of the trend: the stalls open on its last day, accepting then, and
    paid by QR during it."""

    month: date
    stalls_total: int
    stalls_accepting: int
    stalls_paid: int

    @property
    def day(self) -> date:
        return last_day_of_month(self.month)

    @property
    def rate(self) -> float | None:
        return rate(self.stalls_accepting, self.stalls_total)

    @property
    def paid_rate(self) -> float | None:
        return rate(self.stalls_paid, self.stalls_total)


def monthly_trend(
    markets: Select | list[int],
    *,
    since: date,
    until_month: date,
    totals_on: tuple[date, int, int] | None = None,
    changes: Sequence[tuple] | None = None,
) -> list[MonthPoint]:
    """Each month from ``since``'s to ``until_month`` that has reports on the markets (a
    SELECT of markets, or their ids).

    ``totals_on``: (day, stalls open, stalls accepting) on a day after those months (the
    headline's): the month ends are then counted back from it, without a per-market read;
    ``changes``, with it: the rollup's day-by-day changes up to that day, already read
    from ``since`` or earlier (:func:`counts_on_days`).
    """
    market_ids = market_days.market_ids_of(markets)
    paid = activity.paid_by_month(first_of_month(since), until_month, market_ids)
    return _month_points(paid, market_ids, totals_on, changes)


def paid_by_qr_with_trend(
    markets: Select | list[int], *, totals_on: tuple[date, int, int], months: int
) -> tuple[PaidByQr, list[MonthPoint]]:
    """:func:`paid_by_qr` on ``totals_on``'s day, and the :func:`monthly_trend` of the
    ``months`` months up to its reference month counted back from ``totals_on``: the
    statistics of the API, from one read (``activity.recent_months``)."""
    market_ids = market_days.market_ids_of(markets)
    day = totals_on[0]
    recent = activity.recent_months(day, market_ids, months=months)
    if recent.month is None:
        return PaidByQr(None), []
    since = activity.months_before(recent.month, months - 1)
    paid = {month: count for month, count in recent.by_month.items() if month >= since}
    return (
        PaidByQr(recent.month, recent.by_market),
        _month_points(paid, market_ids, totals_on, recent.changes),
    )


def _month_points(
    paid: dict[date, int],
    market_ids: Select | list[int],
    totals_on: tuple[date, int, int] | None,
    changes: Sequence[tuple] | None,
) -> list[MonthPoint]:
    """The trend's points for the months in ``paid`` (stalls paid by QR per month)."""
    if not paid:
        return []
    months = sorted(paid)
    days = [last_day_of_month(month) for month in months]
    totals = counts_on_days(days, market_ids, known=totals_on, changes=changes)
    return [
        MonthPoint(month, total, accepting, paid[month])
        for month, (total, accepting) in zip(months, totals, strict=True)
    ]


def counts_on_days(
    days: list[date],
    market_ids: Select | list[int],
    *,
    known: tuple[date, int, int] | None = None,
    changes: Sequence[tuple] | None = None,
) -> list[tuple[int, int]]:
    """(stalls open, stalls accepting) on each of ``days`` (ascending) from the rollup's
    day-by-day changes: counted back from ``known`` (day, open, accepting; a day not
    before the last of ``days``) when given, else forward from the first day's figures.
    With ``known``, ``changes`` may bring the changes already read for a range covering
    (``days[0]``, known day], by day, or by month (keyed by its first day) when ``days``
    are month ends; they are read here otherwise."""
    if known is not None:
        day, total, accepting = known
        if changes is None:
            changes = market_days.changes_between(days[0], day, market_ids)
        else:
            changes = [change for change in changes if days[0] < change[0] <= day]
        # In day order, so what changed after a day is a tail: its sums are read once.
        opened_after = list(accumulate((o for _, o, _ in reversed(changes)), initial=0))[::-1]
        accepted_after = list(accumulate((a for _, _, a in reversed(changes)), initial=0))[::-1]
        changed_days = [change[0] for change in changes]
        found = []
        for wanted in days:
            later = bisect_right(changed_days, wanted)
            found.append((total - opened_after[later], accepting - accepted_after[later]))
        return found
    first = market_days.counts_on(days[0], market_ids).values()
    total = sum(open_ for open_, _ in first)
    accepting = sum(accepting for _, accepting in first)
    changes = market_days.changes_between(days[0], days[-1], market_ids)
    steps_total, steps_accepting = [0] * len(days), [0] * len(days)
    for day, open_change, accepting_change in changes:
        # A change counts from its day on: it goes to the first of ``days`` not before it.
        index = bisect_left(days, day)
        steps_total[index] += open_change
        steps_accepting[index] += accepting_change
    found = []
    for step_total, step_accepting in zip(steps_total, steps_accepting, strict=True):
        total += step_total
        accepting += step_accepting
        found.append((total, accepting))
    return found

"""The acceptance rate week by week, from the stall status history, in one pass.

A point is the figure at the end of a week: every Sunday up to the chosen day, and the
chosen day itself as the last (possibly partial) week, so the line ends on the headline
figure. The series starts 26 weeks back, or at the first week with a status change in
the markets shown when that is later.

Each point equals ``figures_for_markets(..., on=point.day)``: a stall counts when it is
open that day, and accepts when its latest status change effective that day says so.
Both read the per-market rollup (:mod:`market4.registry.market_days`): the first point
is the figure on its day, one row per market (or the last point's figure less every
change after the first week end), and each later point adds the rollup's day-by-day
changes up to its week end, so 52 weeks cost two queries, not 52.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from sqlalchemy import Select

from market4.registry import market_days

WEEKS_SHOWN = 26
SUNDAY = 6  # date.weekday()


@dataclass(frozen=True)
class TrendPoint:
    day: date
    stalls_total: int
    stalls_accepting: int

    @property
    def rate(self) -> float | None:
        return self.stalls_accepting / self.stalls_total if self.stalls_total else None


def week_ends(until: date, weeks: int = WEEKS_SHOWN) -> list[date]:
    """The last ``weeks`` week ends up to ``until``: Sundays, then ``until`` itself."""
    last_sunday = until - timedelta(days=(until.weekday() - SUNDAY) % 7)
    days = [until] if last_sunday != until else []
    sunday = last_sunday
    while len(days) < weeks:
        days.append(sunday)
        sunday -= timedelta(days=7)
    return sorted(days)


def weekly_trend(
    markets_query: Select,
    until: date,
    weeks: int = WEEKS_SHOWN,
    *,
    totals_on_until: tuple[int, int] | None = None,
    changes: Sequence[tuple] | None = None,
) -> list[TrendPoint]:
    """Stalls open and accepting at each week end, for the markets ``markets_query`` selects.

    ``totals_on_until``: (open, accepting) on ``until`` when the caller has them (the
    dashboard's headline): the series is then counted back from them, one query fewer.
    ``changes``: the rollup's day-by-day changes of these markets (``market_days.
    changes_between``) when the caller has read them for a range covering (the first
    week end, ``until``] (the dashboard reads them once for this and the monthly trend).
    """
    market_ids = market_days.market_ids_of(markets_query)
    days = week_ends(until, weeks)
    first_change = market_days.first_status_change(until, market_ids)
    if first_change is None:
        return []
    # Keep one week end before the first change, so the line starts from the baseline.
    first_kept = max(bisect_left(days, first_change) - 1, 0)
    days = days[first_kept:]
    if changes is None:
        changes = market_days.changes_between(days[0], days[-1], market_ids)
    else:
        changes = [change for change in changes if days[0] < change[0] <= days[-1]]
    steps_total = [0] * len(days)
    steps_accepting = [0] * len(days)
    for day, open_change, accepting_change in changes:
        week = bisect_left(days, day)  # the first week end on or after the change
        steps_total[week] += open_change
        steps_accepting[week] += accepting_change
    if totals_on_until is None:
        counts = market_days.counts_on(days[0], market_ids).values()
        steps_total[0] += sum(total for total, _ in counts)
        steps_accepting[0] += sum(accepting for _, accepting in counts)
    else:  # the first week end is the last one less everything that changed after it
        steps_total[0] += totals_on_until[0] - sum(steps_total)
        steps_accepting[0] += totals_on_until[1] - sum(steps_accepting)
    return [
        TrendPoint(day, total, accepting)
        for day, total, accepting in zip(
            days, accumulate(steps_total), accumulate(steps_accepting), strict=True
        )
    ]

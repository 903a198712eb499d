"""The acceptance rate week by week, from the stall status history, in one pass.

A point is the figure at the end of a week: every Sunday up to the chosen day, and the
chosen day itself as the last (possibly partial) week, so the line ends on the headline
figure. The series starts 26 weeks back, or at the first week with a status change in
the markets shown when that is later.

Each point equals ``figures_for_markets(..., on=point.day)``: a stall counts when it is
open that day, and accepts when its latest status change effective that day says so.
Instead of one query per week, each status change becomes the interval of days it is the
stall's latest status (``LEAD`` over the stall's history), clipped to the days the stall
is open; the weeks an interval covers are a contiguous run of week ends, so counting is
two bisections and a running sum.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from sqlalchemy import Date, Select, func, select

from market4.extensions import db
from market4.registry.markets import ACCEPTING, Market, Stall, StallStatusChange
from market4.registry.stalls import narrows, stalls_of_markets

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


def weekly_trend(markets_query: Select, until: date, weeks: int = WEEKS_SHOWN) -> list[TrendPoint]:
    """Stalls open and accepting at each week end, for the markets ``markets_query`` selects."""
    market_ids = markets_query.with_only_columns(Market.id).order_by(None)
    days = week_ends(until, weeks)
    first_change = db.session.scalar(
        select(func.min(StallStatusChange.effective_on))
        .join(Stall, Stall.id == StallStatusChange.stall_id)
        .where(Stall.market_id.in_(market_ids), StallStatusChange.effective_on <= until)
    )
    if first_change is None:
        return []
    # Keep one week end before the first change, so the line starts from the baseline.
    first_kept = max(bisect_left(days, first_change) - 1, 0)
    days = days[first_kept:]
    total = _running_counts(days, _open_intervals(market_ids, until))
    accepting = _running_counts(days, _accepting_intervals(market_ids, until))
    return [TrendPoint(day, t, a) for day, t, a in zip(days, total, accepting, strict=True)]


Interval = tuple[date, date | None, int]  # [start, end) and how many stalls it stands for


def _open_intervals(market_ids: Select, until: date) -> list[Interval]:
    # Stalls share a handful of opening dates, so group them rather than fetch each one.
    query = (
        select(Stall.opened_on, Stall.closed_on, func.count(Stall.id))
        .where(Stall.market_id.in_(market_ids), Stall.opened_on <= until)
        .group_by(Stall.opened_on, Stall.closed_on)
    )
    return [(opened, closed, count) for opened, closed, count in db.session.execute(query)]


def _accepting_intervals(market_ids: Select, until: date) -> list[Interval]:
    """The days each stall was open with "accepting" as its latest status."""
    history = select(
        StallStatusChange.stall_id,
        StallStatusChange.status,
        StallStatusChange.effective_on.label("starts"),
        # A same-day later row wins, so ordering by id too leaves this one an empty interval.
        # type_: SQLite hands back text unless told the window's result is a date.
        func.lead(StallStatusChange.effective_on, type_=Date)
        .over(
            partition_by=StallStatusChange.stall_id,
            order_by=(StallStatusChange.effective_on, StallStatusChange.id),
        )
        .label("ends"),
    ).where(StallStatusChange.effective_on <= until)
    if narrows(market_ids):
        history = history.where(StallStatusChange.stall_id.in_(stalls_of_markets(market_ids)))
    history = history.subquery("history")
    query = (
        select(history.c.starts, history.c.ends, Stall.opened_on, Stall.closed_on)
        .join(Stall, Stall.id == history.c.stall_id)
        .where(history.c.status == ACCEPTING, Stall.market_id.in_(market_ids))
    )
    intervals = []
    for starts, ends, opened, closed in db.session.execute(query):
        start = max(starts, opened)
        end = min((d for d in (ends, closed) if d is not None), default=None)
        if end is None or start < end:
            intervals.append((start, end, 1))
    return intervals


def _running_counts(days: list[date], intervals: list[Interval]) -> list[int]:
    """How many interval members cover each day: +n where one starts, -n after it ends."""
    steps = [0] * (len(days) + 1)
    for start, end, count in intervals:
        first = bisect_left(days, start)
        after = len(days) if end is None else bisect_left(days, end)
        if first < after:
            steps[first] += count
            steps[after] -= count
    return list(accumulate(steps[:-1]))

"""Acceptance figures for any market, commune, district, province or the whole country,
on any date: the one query layer behind ``market4 stats``, the dashboards and the API.

A stall counts on a date when it is open that day; it accepts cashless payment when its
latest status change effective on or before that day says so. The counts are read from
the per-market rollup (:mod:`market4.registry.market_days`, one row per market);
:func:`counts_from_history` computes the same from the status history and stays as the
reference the rollup is tested against.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, case, func, select

from market4.areas.models import AdminUnit
from market4.db import today
from market4.extensions import db
from market4.formatting import vietnamese_sort_key
from market4.registry import market_days
from market4.registry.markets import ACCEPTING, Market, Stall, in_programme
from market4.registry.scope import restrict_markets_to_area
from market4.registry.stalls import latest_status_subquery, open_on
from market4.sql import column_rows, kept_statement


@dataclass(frozen=True)
class MarketFigures:
    market_id: int
    code: str
    name: str
    kind: str
    market_class: int | None
    commune_id: int
    legacy_district_id: int | None
    in_programme: bool
    stalls_total: int
    stalls_accepting: int

    @property
    def rate(self) -> float | None:
        return self.stalls_accepting / self.stalls_total if self.stalls_total else None


@dataclass(frozen=True)
class AcceptanceFigures:
    on: date
    markets: list[MarketFigures] = field(default_factory=list)

    @property
    def markets_total(self) -> int:
        return len(self.markets)

    @property
    def markets_cashless(self) -> int:
        """Markets in the chợ 4.0 programme on the date (the reports' "10/15 chợ")."""
        return sum(1 for m in self.markets if m.in_programme)

    @property
    def stalls_total(self) -> int:
        return sum(m.stalls_total for m in self.markets)

    @property
    def stalls_accepting(self) -> int:
        return sum(m.stalls_accepting for m in self.markets)

    @property
    def rate(self) -> float | None:
        return self.stalls_accepting / self.stalls_total if self.stalls_total else None

    def markets_at_or_above(self, threshold: float) -> int:
        return sum(1 for m in self.markets if m.rate is not None and m.rate >= threshold)

    def as_dict(self) -> dict:
        return {
            "date": self.on.isoformat(),
            "markets_total": self.markets_total,
            "markets_cashless": self.markets_cashless,
            "stalls_total": self.stalls_total,
            "stalls_accepting": self.stalls_accepting,
            "rate": _round(self.rate),
            "markets": [
                {
                    "code": m.code,
                    "name": m.name,
                    "kind": m.kind,
                    "market_class": m.market_class,
                    "in_programme": m.in_programme,
                    "stalls_total": m.stalls_total,
                    "stalls_accepting": m.stalls_accepting,
                    "rate": _round(m.rate),
                }
                for m in self.markets
            ],
        }


def _round(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


def acceptance_figures(
    *,
    on: date | None = None,
    area: AdminUnit | None = None,
    market_ids: list[int] | None = None,
) -> AcceptanceFigures:
    """Figures on ``on`` (default today) for ``area`` (None: everywhere) or some markets."""
    markets_query = select(Market)
    markets_query = restrict_markets_to_area(markets_query, area)
    if market_ids is not None:
        markets_query = markets_query.where(Market.id.in_(market_ids))
    return figures_for_markets(markets_query, on=on)


def figures_for_markets(
    markets_query: Select, *, on: date | None = None, kept_as: Hashable | None = None
) -> AcceptanceFigures:
    """Figures on ``on`` (default today) for the markets a SELECT of ``Market`` returns.

    Takes a query rather than a list of ids so a caller's scope (``scope.markets_query``)
    and filters stay one SQL subquery, however many markets they cover. ``kept_as``: a
    key naming that query in this process (whose scope, which area), so its statement
    is built once (``sql.kept_statement``).
    """
    day = on or today()

    def statement() -> Select:
        # Columns, not Market objects: the whole country is 11,000 markets.
        return market_days.with_counts_on(
            markets_query.with_only_columns(
                Market.id,
                Market.code,
                Market.name,
                Market.kind,
                Market.market_class,
                Market.commune_id,
                Market.legacy_district_id,
                Market.programme_joined_on,
            ).order_by(None)
        )

    market_days.refresh_pending(db.session)
    built = (
        kept_statement(("figures_for_markets", kept_as), statement)
        if kept_as is not None
        else statement()
    )
    markets = column_rows(built, {"day": day})
    figures = []
    for market in sorted(markets, key=lambda m: vietnamese_sort_key(m.name)):
        figures.append(
            MarketFigures(
                market_id=market.id,
                code=market.code,
                name=market.name,
                kind=market.kind,
                market_class=market.market_class,
                commune_id=market.commune_id,
                legacy_district_id=market.legacy_district_id,
                in_programme=in_programme(market.programme_joined_on, day),
                stalls_total=market.stalls_open or 0,
                stalls_accepting=market.stalls_accepting or 0,
            )
        )
    return AcceptanceFigures(on=day, markets=figures)


def counts_from_history(day: date, market_ids: Select | None = None) -> dict[int, tuple[int, int]]:
    """(stalls open, stalls accepting) by market, ranked from the status history itself:
    what :func:`market_days.counts_on` must always equal."""
    latest = latest_status_subquery(day, of_markets=market_ids)
    query = (
        select(
            Stall.market_id,
            func.count(Stall.id),
            func.count(case((latest.c.status == ACCEPTING, 1))),
        )
        .outerjoin(latest, and_(latest.c.stall_id == Stall.id, latest.c.rank == 1))
        .where(open_on(day))
        .group_by(Stall.market_id)
    )
    if market_ids is not None:
        query = query.where(Stall.market_id.in_(market_ids))
    return {
        market_id: (total, accepting) for market_id, total, accepting in db.session.execute(query)
    }

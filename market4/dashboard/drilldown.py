"""The drill-down: the figures of an area split by the areas one level down.

Country → provinces → communes in the 2025 scheme; a legacy (pre-2025) province →
its districts → the communes of their markets. The split reuses one computation of the
per-market figures (``figures_for_markets``) and adds them up per child, so each row is
exactly the sum of its markets, and the rows add up to the area's total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from market4.areas.models import SCHEME_2008, AdminUnit
from market4.dashboard.queries import AcceptanceFigures
from market4.extensions import db
from market4.formatting import vietnamese_sort_key
from market4.registry.markets import Market
from market4.sql import dialect_name, ids_parameter

# Beyond this many markets (a province, the country) reading every market's unit is
# cheaper than naming each market in an IN list.
MARKETS_NAMED_IN_SQL = 1000


@dataclass(frozen=True)
class AreaRow:
    unit: AdminUnit
    figures: AcceptanceFigures


def child_level(area: AdminUnit | None) -> str | None:
    """The level the rows under ``area`` are at; None when ``area`` is a commune or a
    legacy district is split by commune (see :func:`children`)."""
    if area is None:
        return "province"
    if area.level == "province":
        return "district" if area.scheme == SCHEME_2008 else "commune"
    if area.level == "district":
        return "commune"
    return None


def children(figures: AcceptanceFigures, area: AdminUnit | None) -> list[AreaRow]:
    """``figures`` (of the markets in ``area``) split by the units one level down, in
    Vietnamese alphabetical order; units without a market in ``figures`` are left out."""
    level = child_level(area)
    if level is None or not figures.markets:
        return []
    owner = _child_of_market(figures, area)
    markets_of: dict[int, list] = defaultdict(list)
    for market in figures.markets:
        markets_of[owner[market.market_id]].append(market)
    markets_of.pop(None, None)
    units = db.session.scalars(_units(dialect_name()), {"unit_ids": list(markets_of)})
    rows = [
        AreaRow(unit, AcceptanceFigures(on=figures.on, markets=markets_of[unit.id]))
        for unit in units
    ]
    return sorted(rows, key=lambda row: vietnamese_sort_key(row.unit.name))


@cache
def _units(dialect: str) -> Select:
    # Built once: the API's statistics split every answer.
    return select(AdminUnit).where(ids_parameter(AdminUnit.id, "unit_ids", dialect))


def _child_of_market(figures: AcceptanceFigures, area: AdminUnit | None) -> dict[int, int | None]:
    """Each market's unit one level below ``area``: its commune or legacy district, as the
    figures carry them; for the country, the province its commune belongs to."""
    if area is not None:
        if area.scheme == SCHEME_2008 and area.level == "province":
            return {m.market_id: m.legacy_district_id for m in figures.markets}
        return {m.market_id: m.commune_id for m in figures.markets}
    commune = aliased(AdminUnit)
    query = select(Market.id, commune.parent_id).join(commune, Market.commune_id == commune.id)
    if len(figures.markets) <= MARKETS_NAMED_IN_SQL:
        query = query.where(Market.id.in_([m.market_id for m in figures.markets]))
    return dict(db.session.execute(query).all())


def path_to(area: AdminUnit | None, root: AdminUnit | None) -> list[AdminUnit]:
    """The units from just below ``root`` (the viewer's own area, None for the country)
    down to ``area``: the clickable steps of the breadcrumb after the root."""
    steps: list[AdminUnit] = []
    unit = area
    while unit is not None and (root is None or unit.id != root.id):
        steps.append(unit)
        unit = unit.parent
    return list(reversed(steps))


def within(area: AdminUnit, root: AdminUnit | None) -> bool:
    """Whether ``area`` is ``root`` or lies under it (a viewer may drill into it)."""
    unit: AdminUnit | None = area
    while unit is not None:
        if root is None or unit.id == root.id:
            return True
        unit = unit.parent
    return False

"""Everything the dashboard shows, assembled for one viewer: the page and the exports
read the same ``Dashboard``, so a download always matches the screen.

Every query starts from ``scope.markets_query(viewer)``; filters only narrow it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, select

from market4.areas.models import SCHEME_2008, AdminUnit
from market4.auth.models import User
from market4.dashboard.breakdown import BankShare, bank_breakdown
from market4.dashboard.filters import DashboardFilters, apply_filters, parse_filters
from market4.dashboard.queries import AcceptanceFigures, MarketFigures, figures_for_markets
from market4.dashboard.trends import TrendPoint, weekly_trend
from market4.db import today
from market4.extensions import db
from market4.formatting import vietnamese_sort_key
from market4.registry import scope
from market4.registry.markets import MARKET_CLASSES, MARKET_KINDS, Market
from market4.vocabulary import Role


@dataclass(frozen=True)
class MarketRow:
    """One line of the market table: the figures plus what a reader needs beside them."""

    figures: MarketFigures
    commune_name: str
    kind_label: str
    meets_threshold: bool


@dataclass(frozen=True)
class Dashboard:
    filters: DashboardFilters
    area_label: str
    # The figures of the markets shown (after filters), and the rows in the chosen order.
    figures: AcceptanceFigures
    rows: list[MarketRow]
    commune_choices: list[tuple[int, str]]
    trend: list[TrendPoint]
    banks: list[BankShare]
    banks_pooled: bool

    @property
    def markets_meeting_threshold(self) -> int:
        return sum(1 for row in self.rows if row.meets_threshold)

    @property
    def kind_choices(self) -> list[tuple[str, str]]:
        return [(kind, _(label)) for kind, label in MARKET_KINDS.items()]

    @property
    def class_choices(self) -> tuple[int, ...]:
        return MARKET_CLASSES

    @property
    def filter_labels(self) -> list[str]:
        """The commune, kind and class chosen, in words (printed, since the form is not)."""
        f = self.filters
        labels = [dict(self.commune_choices).get(f.commune_id, "")] if f.commune_id else []
        if f.kind:
            labels.append(str(MARKET_KINDS[f.kind]))
        if f.market_class is not None:
            labels.append(_("Hạng %(number)d", number=f.market_class))
        return labels


def build_dashboard(
    viewer: User, args: Mapping[str, str], *, default_threshold: float, with_charts: bool = True
) -> Dashboard:
    """The dashboard for ``viewer`` from the request's query ``args``.

    ``default_threshold`` is a share (0.8); ``with_charts=False`` skips the trend and the
    bank breakdown, which the table exports do not need.
    """
    in_scope = scope.markets_query(viewer)
    communes = _communes_of(in_scope)
    filters = parse_filters(
        args,
        today=today(),
        default_threshold_percent=Decimal(str(default_threshold)) * 100,
        commune_ids=set(communes),
    )
    shown = apply_filters(in_scope, filters)
    figures = figures_for_markets(shown, on=filters.day)
    rows = _sorted_rows(
        [
            MarketRow(
                figures=m,
                commune_name=communes.get(m.commune_id, ""),
                kind_label=str(MARKET_KINDS.get(m.kind, m.kind)),
                meets_threshold=filters.meets_threshold(m.stalls_accepting, m.stalls_total),
            )
            for m in figures.markets
        ],
        filters,
    )
    bank_bin = scope.user_bank_bin(viewer) if viewer.role == Role.BANK_PARTNER else None
    return Dashboard(
        filters=filters,
        area_label=_area_label(viewer, communes.get(filters.commune_id)),
        figures=figures,
        rows=rows,
        commune_choices=sorted(communes.items(), key=lambda item: vietnamese_sort_key(item[1])),
        trend=weekly_trend(shown, filters.day) if with_charts else [],
        banks=bank_breakdown(shown, filters.day, only_bank_bin=bank_bin) if with_charts else [],
        banks_pooled=viewer.role == Role.BANK_PARTNER,
    )


def _communes_of(markets_query: Select) -> dict[int, str]:
    """The communes of the markets in scope, by id, with their full names."""
    commune_ids = markets_query.with_only_columns(Market.commune_id).order_by(None)
    query = select(AdminUnit.id, AdminUnit.division_type, AdminUnit.name).where(
        AdminUnit.id.in_(commune_ids)
    )
    return {id_: f"{kind} {name}".strip() for id_, kind, name in db.session.execute(query)}


# Sort keys per column; the name breaks ties so equal values keep a stable, readable order.
_SORT_VALUES = {
    "ten": lambda row: vietnamese_sort_key(row.figures.name),
    "xa": lambda row: vietnamese_sort_key(row.commune_name),
    "sap": lambda row: row.figures.stalls_total,
    "qr": lambda row: row.figures.stalls_accepting,
    "ty_le": lambda row: row.figures.rate,
}


def _sorted_rows(rows: list[MarketRow], filters: DashboardFilters) -> list[MarketRow]:
    value = _SORT_VALUES[filters.sort]
    by_name = sorted(rows, key=_SORT_VALUES["ten"])
    # A market without stalls has no rate: it goes last whichever way the column runs.
    known = [row for row in by_name if value(row) is not None]
    unknown = [row for row in by_name if value(row) is None]
    known.sort(key=value, reverse=filters.direction == "desc")
    return known + unknown


def _area_label(viewer: User, commune_name: str | None) -> str:
    area = scope.user_area(viewer)
    if viewer.role == Role.MARKET_MANAGER:
        label = _("Các chợ bạn quản lý")
    elif area is None:
        label = _("Toàn quốc")
    elif area.scheme == SCHEME_2008:
        label = _("%(area)s (địa giới trước 01/07/2025)", area=area.full_name)
    else:
        label = area.full_name
    if commune_name and (area is None or area.level != "commune"):
        label = f"{label} › {commune_name}"
    return label

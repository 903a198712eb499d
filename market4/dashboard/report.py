"""Everything the dashboard shows, assembled for one viewer: the page and the exports
read the same ``Dashboard``, so a download always matches the screen.

Every query starts from ``scope.markets_query(viewer)``; filters only narrow it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial

from flask_babel import gettext as _
from sqlalchemy import Select, select

from market4.areas.models import SCHEME_2008, AdminUnit
from market4.auth.models import User
from market4.dashboard import drilldown
from market4.dashboard.activity import MonthPoint, PaidByQr, monthly_trend, paid_by_qr
from market4.dashboard.activity import rate as paid_share  # "rate" is the accepting share here
from market4.dashboard.breakdown import BankShare, bank_breakdown
from market4.dashboard.drilldown import AreaRow
from market4.dashboard.filters import DashboardFilters, apply_filters, parse_filters
from market4.dashboard.queries import AcceptanceFigures, MarketFigures, figures_for_markets
from market4.dashboard.trends import TrendPoint, week_ends, weekly_trend
from market4.db import today
from market4.extensions import db
from market4.formatting import vietnamese_sort_key
from market4.registry import market_days, scope
from market4.registry.markets import MARKET_CLASSES, MARKET_KINDS, Market
from market4.vocabulary import Role


@dataclass(frozen=True)
class MarketRow:
    """One line of the market table: the figures plus what a reader needs beside them."""

    figures: MarketFigures
    commune_name: str
    kind_label: str
    meets_threshold: bool
    # Stalls paid by QR in the dashboard's reference month (None: no report yet).
    stalls_paid: int | None = None

    @property
    def paid_rate(self) -> float | None:
        return paid_share(self.stalls_paid, self.figures.stalls_total)


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
    # The drill-down: where the viewer stands (label, query args; the last is the page
    # itself) and the figures one level down, each row a link deeper.
    breadcrumb: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    children: list[AreaRow] = field(default_factory=list)
    children_level: str | None = None
    # "Paid by QR" beside "has QR" (dashboard.activity), and its monthly trend.
    paid: PaidByQr = field(default_factory=lambda: PaidByQr(None))
    paid_trend: list[MonthPoint] = field(default_factory=list)

    @property
    def paid_rate(self) -> float | None:
        return paid_share(self.paid.stalls_paid, self.figures.stalls_total)

    def child_args(self, unit: AdminUnit) -> dict[str, str]:
        """The link of a drill-down row: a commune narrows to it, a larger unit opens it."""
        if unit.level == "commune":
            return self.filters.query_args(commune_id=unit.id)
        return self.filters.query_args(area_id=unit.id, commune_id=None)

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
    root = scope.user_area(viewer)
    filters = parse_filters(
        args,
        today=today(),
        default_threshold_percent=Decimal(str(default_threshold)) * 100,
        commune_ids=_Membership(partial(_commune_in_scope, in_scope)),
        area_ids=_Membership(partial(_may_drill_into, in_scope, root)),
    )
    area = db.session.get(AdminUnit, filters.area_id) if filters.area_id else None
    in_area = scope.restrict_markets_to_area(in_scope, area)
    communes = _communes_of(in_area)
    if filters.commune_id not in communes:
        filters = replace(filters, commune_id=None)  # a commune outside the area chosen
    shown = apply_filters(in_area, filters)
    figures = figures_for_markets(shown, on=filters.day)
    paid = paid_by_qr(shown, on=filters.day)
    kind_labels = {kind: str(label) for kind, label in MARKET_KINDS.items()}  # once, not per row
    rows = _sorted_rows(
        [
            MarketRow(
                figures=m,
                commune_name=communes.get(m.commune_id, ""),
                kind_label=kind_labels.get(m.kind, m.kind),
                meets_threshold=filters.meets_threshold(m.stalls_accepting, m.stalls_total),
                stalls_paid=paid.for_market(m.market_id),
            )
            for m in figures.markets
        ],
        filters,
    )
    bank_bin = scope.user_bank_bin(viewer) if viewer.role == Role.BANK_PARTNER else None
    # Drilled down to a commune, the market table is the next level: no area rows.
    current = area or root
    drill = viewer.role != Role.MARKET_MANAGER and filters.commune_id is None
    breadcrumb = _breadcrumb(viewer, filters, root, area, communes.get(filters.commune_id))
    # One read of the rollup's day-by-day changes serves both trends: the monthly one
    # starts at the weekly one's first point, inside the weekly's half year.
    changes = (
        market_days.changes_between(
            week_ends(filters.day)[0], filters.day, market_days.market_ids_of(shown)
        )
        if with_charts
        else []
    )
    trend = (
        weekly_trend(
            shown,
            filters.day,
            totals_on_until=(figures.stalls_total, figures.stalls_accepting),
            changes=changes,
        )
        if with_charts
        else []
    )
    return Dashboard(
        filters=filters,
        area_label=" › ".join(label for label, _args in breadcrumb),
        breadcrumb=breadcrumb,
        children=drilldown.children(figures, current) if drill else [],
        children_level=drilldown.child_level(current) if drill else None,
        figures=figures,
        rows=rows,
        commune_choices=sorted(communes.items(), key=lambda item: vietnamese_sort_key(item[1])),
        trend=trend,
        paid=paid,
        paid_trend=(
            monthly_trend(
                shown,
                since=trend[0].day if trend else filters.day,
                until_month=paid.month,
                totals_on=(filters.day, figures.stalls_total, figures.stalls_accepting),
                changes=changes,
            )
            if with_charts and paid.month is not None
            else []
        ),
        banks=(
            bank_breakdown(
                shown, filters.day, only_bank_bin=bank_bin, accepting=figures.stalls_accepting
            )
            if with_charts
            else []
        ),
        banks_pooled=viewer.role == Role.BANK_PARTNER,
    )


class _Membership:
    """``unit_id in …`` answered by one query for the id asked about, where building
    the whole set (every commune of the country, for an admin) cost more than the page."""

    def __init__(self, contains: Callable[[int], bool]) -> None:
        self._contains = contains

    def __contains__(self, unit_id: object) -> bool:
        return isinstance(unit_id, int) and self._contains(unit_id)


def _commune_in_scope(markets_query: Select, commune_id: int) -> bool:
    """Whether a market in scope lies in the commune."""
    return _any_market(markets_query.where(Market.commune_id == commune_id))


def _may_drill_into(markets_query: Select, root: AdminUnit | None, unit_id: int) -> bool:
    """Whether ``vung=`` may name the unit: a province (either scheme) or legacy district
    under the viewer's own area, holding markets in scope."""
    unit = db.session.get(AdminUnit, unit_id)
    if unit is None or unit.level not in ("province", "district"):
        return False
    if not drilldown.within(unit, root) or (root is not None and unit.id == root.id):
        return False
    return _any_market(scope.restrict_markets_to_area(markets_query, unit))


def _any_market(markets_query: Select) -> bool:
    return db.session.scalar(market_days.market_ids_of(markets_query).limit(1)) is not None


def _breadcrumb(
    viewer: User,
    filters: DashboardFilters,
    root: AdminUnit | None,
    area: AdminUnit | None,
    commune_name: str | None,
) -> list[tuple[str, dict[str, str]]]:
    steps = [(_area_label(viewer), filters.query_args(area_id=None, commune_id=None))]
    for unit in drilldown.path_to(area, root):
        steps.append((_unit_label(unit), filters.query_args(area_id=unit.id, commune_id=None)))
    if commune_name and (root is None or root.level != "commune"):
        steps.append((commune_name, filters.query_args()))
    return steps


def _unit_label(unit: AdminUnit) -> str:
    if unit.scheme == SCHEME_2008:
        return _("%(area)s (cũ)", area=f"{unit.division_type} {unit.name}".strip())
    return f"{unit.division_type} {unit.name}".strip()


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
    "nhan_qr": lambda row: row.stalls_paid,
}


def _sorted_rows(rows: list[MarketRow], filters: DashboardFilters) -> list[MarketRow]:
    value = _SORT_VALUES[filters.sort]
    by_name = sorted(rows, key=_SORT_VALUES["ten"])
    valued = [(value(row), row) for row in by_name]
    # A market without stalls has no rate: it goes last whichever way the column runs.
    known = [pair for pair in valued if pair[0] is not None]
    unknown = [row for key, row in valued if key is None]
    known.sort(key=lambda pair: pair[0], reverse=filters.direction == "desc")
    return [row for _, row in known] + unknown


def _area_label(viewer: User) -> str:
    area = scope.user_area(viewer)
    if viewer.role == Role.MARKET_MANAGER:
        label = _("Các chợ bạn quản lý")
    elif area is None:
        label = _("Toàn quốc")
    elif area.scheme == SCHEME_2008:
        label = _("%(area)s (địa giới trước 01/07/2025)", area=area.full_name)
    else:
        label = area.full_name
    return label

"""``GET /api/v1/stats``: acceptance figures for staff (and admin) tokens.

The figures are ``dashboard.queries``' — the same numbers as the dashboard and
``market4 stats`` — over the caller's markets, optionally narrowed to one area; beside
them, "paid by QR" (``dashboard.activity``): stalls paid by QR in the reference month
(the latest finished month with bank reports on the markets), their share of the day's
stalls, and month by month.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from market4.api import new_blueprint
from market4.api.auth import current_user, roles_allowed
from market4.api.markets import area_dict
from market4.api.schemas import MONTHS_IN_TREND, StatsArgs, StatsSchema, lean_json
from market4.areas.models import SCHEME_2008, AdminUnit
from market4.areas.services import find_unit
from market4.dashboard import drilldown
from market4.dashboard.activity import paid_by_qr_with_trend, rate
from market4.dashboard.drilldown import AreaRow
from market4.dashboard.queries import AcceptanceFigures, figures_for_markets
from market4.db import today
from market4.errors import FieldError, NotFound, ValidationFailed
from market4.extensions import db
from market4.read_replica import read_from_replica
from market4.registry import scope
from market4.registry.activity import month_text
from market4.registry.markets import Market
from market4.registry.scope import restrict_markets_to_area
from market4.vocabulary import Role

blp = new_blueprint(
    "stats", "Acceptance figures: markets, stalls and how many accept cashless payment."
)

STATS_ROLES = (Role.AREA_STAFF, Role.ADMIN)


def _area(text: str) -> AdminUnit:
    scheme, level, code = text.split("/")
    unit = find_unit(scheme, level, code)
    if unit is None:
        raise ValidationFailed(
            [
                FieldError(
                    "area", _l("Không có đơn vị hành chính %(text)s.", text=text), "unknown_area"
                )
            ]
        )
    if unit.scheme == SCHEME_2008 and unit.level == "commune":
        raise ValidationFailed(
            [
                FieldError(
                    "area",
                    _l(
                        "Không thống kê theo xã cũ (trước 01/07/2025); hãy dùng xã mới hoặc huyện "
                        "cũ."
                    ),
                    "unsupported_area",
                )
            ]
        )
    return unit


def _outside_scope(user: Any, area: AdminUnit) -> bool:
    """Whether ``area`` holds markets the caller may not see (then it reads as missing)."""
    if user.role == Role.ADMIN:
        return False
    own_area = scope.user_area(user)
    if own_area is not None and drilldown.within(area, own_area):
        return False  # every market of a unit inside one's own area is in one's scope
    in_area = restrict_markets_to_area(select(Market.id), area)
    visible = scope.markets_query(user).with_only_columns(Market.id)
    return bool(
        db.session.scalar(
            select(func.count()).select_from(in_area.where(Market.id.not_in(visible)).subquery())
        )
    )


@blp.route("/stats")
@roles_allowed(*STATS_ROLES)
@blp.arguments(StatsArgs(), location="query", as_kwargs=True)
@blp.response(200, StatsSchema)
def get_stats(area: str | None = None, date: date | None = None):  # noqa: A002 - the query's name
    """Markets, stalls and the share accepting cashless payment on a day, and beside them
    the stalls paid by QR in the latest month the banks reported on (``paid_by_qr_*``).

    Without ``area`` the figures cover every market you may see. An area with markets
    outside your scope answers 404, like any object that is not yours.
    """
    user = current_user()
    read_from_replica()  # the token was checked on the primary; the figures may lag
    day = date or today()
    if day > today():
        raise ValidationFailed([FieldError("date", _l("Ngày chưa tới."), "future_date")])
    markets = scope.markets_query(user)
    unit = None
    if area:
        unit = _area(area)
        if _outside_scope(user, unit):
            raise NotFound(
                _l("Không có số liệu của đơn vị này trong phạm vi của bạn."), code="area_not_found"
            )
        markets = restrict_markets_to_area(markets, unit)
    figures = figures_for_markets(
        markets, on=day, kept_as=("api.stats", scope.caller_key(user), scope.area_key(unit))
    )
    rows = drilldown.children(figures, unit or scope.user_area(user))
    children = [{"area": area_dict(row.unit), **_totals(row.figures.as_dict())} for row in rows]
    answer = {
        **figures.as_dict(),
        "date": figures.on,
        "area": area_dict(unit) if unit else None,
        "children": children,
    }
    if len(figures.markets) <= drilldown.MARKETS_NAMED_IN_SQL:
        # Already read: named by id, the readers of "paid by QR" run statements built once.
        markets = [m.market_id for m in figures.markets]
    # Built with StatsSchema's keys, so written out without marshmallow's walk.
    return lean_json(_with_paid_by_qr(answer, markets, figures, rows, day))


def _totals(figures: dict[str, Any]) -> dict[str, Any]:
    keys = ("markets_total", "markets_cashless", "stalls_total", "stalls_accepting", "rate")
    return {key: figures[key] for key in keys}


def _with_paid_by_qr(
    answer: dict[str, Any],
    markets: Any,
    figures: AcceptanceFigures,
    children: list[AreaRow],
    day: date,
) -> dict[str, Any]:
    """``answer`` (the statistics as built for ``figures``, its ``markets`` and
    ``children`` in the same order as ``figures.markets`` and ``children``) with the
    "paid by QR" fields added; ``markets``: a SELECT of the markets, or their ids."""
    paid, months = paid_by_qr_with_trend(
        markets,
        totals_on=(day, figures.stalls_total, figures.stalls_accepting),
        months=MONTHS_IN_TREND,
    )

    def fields_for(markets: list[Any], total: int) -> dict[str, Any]:
        count = sum(paid.for_market(m.market_id) or 0 for m in markets) if paid.reported else None
        return {"stalls_paid_by_qr": count, "paid_by_qr_rate": _round(rate(count, total))}

    for item, market in zip(answer["markets"], figures.markets, strict=True):
        item.update(fields_for([market], market.stalls_total))
    for item, row in zip(answer["children"], children, strict=True):
        item.update(fields_for(row.figures.markets, row.figures.stalls_total))
    trend = [
        {
            "month": month_text(point.month),
            "stalls_total": point.stalls_total,
            "stalls_accepting": point.stalls_accepting,
            "rate": _round(point.rate),
            "stalls_paid_by_qr": point.stalls_paid,
            "paid_by_qr_rate": _round(point.paid_rate),
        }
        for point in months
    ]
    return {
        **answer,
        "paid_by_qr_month": month_text(paid.month) if paid.month else None,
        **fields_for(figures.markets, figures.stalls_total),
        "trend_by_month": trend,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

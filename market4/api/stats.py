"""``GET /api/v1/stats``: acceptance figures for staff (and admin) tokens.

The figures are ``dashboard.queries``' — the same numbers as the dashboard and
``market4 stats`` — over the caller's markets, optionally narrowed to one area.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from market4.api import new_blueprint
from market4.api.auth import current_user, roles_allowed
from market4.api.markets import area_dict
from market4.api.schemas import StatsArgs
from market4.api.stats_activity import StatsWithPaidSchema, with_paid_by_qr
from market4.areas.models import SCHEME_2008, AdminUnit
from market4.dashboard import drilldown
from market4.dashboard.queries import figures_for_markets
from market4.db import today
from market4.errors import FieldError, NotFound, ValidationFailed
from market4.extensions import db
from market4.read_replica import read_from_replica
from market4.registry import scope
from market4.registry.markets import Market
from market4.registry.scope import restrict_markets_to_area
from market4.vocabulary import Role

blp = new_blueprint(
    "stats", "Acceptance figures: markets, stalls and how many accept cashless payment."
)

STATS_ROLES = (Role.AREA_STAFF, Role.ADMIN)


def _area(text: str) -> AdminUnit:
    scheme, level, code = text.split("/")
    unit = db.session.scalar(select(AdminUnit).filter_by(scheme=scheme, level=level, code=code))
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
    in_area = restrict_markets_to_area(select(Market.id), area)
    visible = scope.markets_query(user).with_only_columns(Market.id)
    return bool(
        db.session.scalar(
            select(func.count()).select_from(in_area.where(Market.id.not_in(visible)).subquery())
        )
    )


@blp.route("/stats")
@roles_allowed(*STATS_ROLES)
@blp.arguments(StatsArgs, location="query", as_kwargs=True)
@blp.response(200, StatsWithPaidSchema)
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
    figures = figures_for_markets(markets, on=day)
    rows = drilldown.children(figures, unit or scope.user_area(user))
    children = [{"area": area_dict(row.unit), **_totals(row.figures.as_dict())} for row in rows]
    answer = {
        **figures.as_dict(),
        "date": figures.on,
        "area": area_dict(unit) if unit else None,
        "children": children,
    }
    # "Paid by QR" beside "has QR": its own module, additive to the answer above.
    return with_paid_by_qr(answer, markets, figures, rows, day)


def _totals(figures: dict[str, Any]) -> dict[str, Any]:
    keys = ("markets_total", "markets_cashless", "stalls_total", "stalls_accepting", "rate")
    return {key: figures[key] for key in keys}

"""``GET /api/v1/markets`` and ``GET /api/v1/markets/{code}/stalls``: where to register."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from market4.api import new_blueprint
from market4.api.auth import current_user
from market4.api.schemas import MarketPageSchema, PageArgs, StallArgs, StallPageSchema
from market4.db import today
from market4.extensions import db
from market4.formatting import vietnamese_sort_key
from market4.markets.services import stall_code_key, stalls_in_order
from market4.registry import scope
from market4.registry.markets import Market, Stall
from market4.registry.stalls import latest_status_subquery
from market4.registry.vendors import Occupancy, Vendor

blp = new_blueprint("markets", "Markets and their stalls in your scope.")


def area_dict(unit: Any) -> dict[str, str]:
    return {"scheme": unit.scheme, "level": unit.level, "code": unit.code, "name": unit.full_name}


def market_dict(market: Market) -> dict[str, Any]:
    day = today()
    return {
        "code": market.code,
        "name": market.name,
        "kind": market.kind,
        "market_class": market.market_class,
        "address": market.address,
        "commune": area_dict(market.commune),
        "in_programme": market.in_programme_on(day),
        "programme_joined_on": market.programme_joined_on,
    }


@blp.route("/markets")
@blp.arguments(PageArgs(), location="query", as_kwargs=True)
@blp.response(200, MarketPageSchema)
def list_markets(page: int, page_size: int):
    """Markets you may see, by name (Vietnamese order)."""
    query = scope.markets_query(current_user())
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    markets = sorted(
        db.session.scalars(query.options(joinedload(Market.commune))),
        key=lambda m: (vietnamese_sort_key(m.name), m.code),
    )
    chosen = markets[(page - 1) * page_size : page * page_size]
    return {
        "items": [market_dict(m) for m in chosen],
        "page": page,
        "page_size": page_size,
        "total": total,
    }


@blp.route("/markets/<string:code>/stalls")
@blp.arguments(StallArgs(), location="query", as_kwargs=True)
@blp.response(200, StallPageSchema)
def list_stalls(
    code: str, page: int, page_size: int, vacant: bool | None = None, stall_code: str | None = None
):
    """The market's stalls by code in natural order ("Sạp 2" before "Sạp 10"), with who
    (if anyone) trades there.

    ``vendor_id`` is given only for vendors you may see; for others ``occupied`` says
    the stall is taken.
    """
    user = current_user()
    market = scope.get_market_or_404(user, code)
    stalls = stalls_in_order(market)
    occupants = dict(
        db.session.execute(
            select(Occupancy.stall_id, Occupancy.vendor_id)
            .join(Stall, Stall.id == Occupancy.stall_id)
            .where(Stall.market_id == market.id, Occupancy.ended_on.is_(None))
        ).all()
    )
    if stall_code:
        key = stall_code_key(stall_code)
        stalls = [s for s in stalls if stall_code_key(s.code) == key]
    if vacant is not None:
        stalls = [s for s in stalls if (s.id not in occupants) == vacant]
    chosen = stalls[(page - 1) * page_size : page * page_size]
    statuses = _statuses([s.id for s in chosen])
    visible = set(
        db.session.scalars(
            scope.vendors_query(user)
            .with_only_columns(Vendor.id)
            .where(Vendor.id.in_([occupants[s.id] for s in chosen if s.id in occupants]))
        )
    )
    day = today()
    items = [
        {
            "id": s.id,
            "code": s.code,
            "zone": s.zone,
            "row": s.row,
            "goods_category": s.goods_category,
            "is_open": s.is_open_on(day),
            "status": statuses.get(s.id),
            "occupied": s.id in occupants,
            "vendor_id": occupants.get(s.id) if occupants.get(s.id) in visible else None,
        }
        for s in chosen
    ]
    return {"items": items, "page": page, "page_size": page_size, "total": len(stalls)}


def _statuses(stall_ids: list[int]) -> dict[int, str]:
    """Today's status of each stall, in one query (the dashboard's rule)."""
    if not stall_ids:
        return {}
    # Ranked within these stalls' markets only: PostgreSQL does not push the IN below
    # into the window, and the whole country's history is millions of rows.
    markets = select(Stall.market_id).where(Stall.id.in_(stall_ids))
    latest = latest_status_subquery(today(), of_markets=markets)
    rows = db.session.execute(
        select(latest.c.stall_id, latest.c.status).where(
            latest.c.rank == 1, latest.c.stall_id.in_(stall_ids)
        )
    )
    return dict(rows.all())

"""Reading the monthly "paid by QR" rollup straight, for tests that check it against the
reports it was built from (the product reads it through ``paid_in_reference_month`` and
``paid_by_month``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from market4.extensions import db
from market4.registry.activity import MarketActivityMonth, refresh_pending


def paid_in(month: date, market_ids: Any = None) -> dict[int, int]:
    """Stalls paid by QR in ``month``, by market id (markets without any left out)."""
    refresh_pending(db.session)
    query = select(MarketActivityMonth.market_id, MarketActivityMonth.stalls_paid).where(
        MarketActivityMonth.month == month, MarketActivityMonth.stalls_paid > 0
    )
    if market_ids is not None:
        query = query.where(MarketActivityMonth.market_id.in_(market_ids))
    return {market_id: paid for market_id, paid in db.session.execute(query)}

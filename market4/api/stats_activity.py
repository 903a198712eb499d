"""The "paid by QR" part of ``GET /api/v1/stats``, beside the "has QR" figures.

Kept apart from the statistics' own code: :func:`with_paid_by_qr` adds its fields to an
answer that is complete without them, and the schemas below extend the published ones
with those fields only. The figures are :mod:`market4.dashboard.activity`'s, the
dashboard's: stalls paid by QR in the reference month (the latest finished month with
bank reports on the markets), their share of the day's stalls, and month by month.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from marshmallow import Schema, fields

from market4.api.schemas import AreaFiguresSchema, MarketFiguresSchema, StatsSchema
from market4.dashboard.activity import monthly_trend, paid_by_qr, rate
from market4.dashboard.drilldown import AreaRow
from market4.dashboard.queries import AcceptanceFigures
from market4.registry.activity import month_text

MONTHS_IN_TREND = 6


def _paid_count() -> fields.Integer:
    return fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "Stalls paid by QR in paid_by_qr_month: open on its last day, with "
            "a vendor whose account a bank reported as having received QR payments that "
            "month. Null before any report."
        },
    )


def _paid_rate() -> fields.Float:
    return fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "stalls_paid_by_qr over stalls_total, 0–1."},
    )


class MarketFiguresWithPaidSchema(MarketFiguresSchema):
    stalls_paid_by_qr = _paid_count()
    paid_by_qr_rate = _paid_rate()


class AreaFiguresWithPaidSchema(AreaFiguresSchema):
    stalls_paid_by_qr = _paid_count()
    paid_by_qr_rate = _paid_rate()


class MonthFiguresSchema(Schema):
    month = fields.String(required=True, metadata={"example": "2026-10"})
    stalls_total = fields.Integer(
        required=True, metadata={"description": "Stalls open on the month's last day."}
    )
    stalls_accepting = fields.Integer(
        required=True, metadata={"description": "Of them, accepting (has QR) that day."}
    )
    rate = fields.Float(required=True, allow_none=True)
    stalls_paid_by_qr = fields.Integer(required=True)
    paid_by_qr_rate = fields.Float(required=True, allow_none=True)


class StatsWithPaidSchema(StatsSchema):
    paid_by_qr_month = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "YYYY-MM: the latest finished month, before the date's own, with "
            "bank reports on these markets; null before any.",
            "example": "2026-10",
        },
    )
    stalls_paid_by_qr = _paid_count()
    paid_by_qr_rate = _paid_rate()
    markets = fields.List(fields.Nested(MarketFiguresWithPaidSchema), required=True)
    children = fields.List(
        fields.Nested(AreaFiguresWithPaidSchema),
        required=True,
        metadata=StatsSchema._declared_fields["children"].metadata,
    )
    trend_by_month = fields.List(
        fields.Nested(MonthFiguresSchema),
        required=True,
        metadata={
            "description": f"Up to {MONTHS_IN_TREND} months up to paid_by_qr_month that have "
            "bank reports: has QR and paid by QR side by side."
        },
    )


def with_paid_by_qr(
    answer: dict[str, Any],
    markets_query: Any,
    figures: AcceptanceFigures,
    children: list[AreaRow],
    day: date,
) -> dict[str, Any]:
    """``answer`` (the statistics as built for ``figures``, its ``markets`` and
    ``children`` in the same order as ``figures.markets`` and ``children``) with the
    "paid by QR" fields added."""
    paid = paid_by_qr(markets_query, on=day)

    def fields_for(markets: list[Any], total: int) -> dict[str, Any]:
        count = sum(paid.for_market(m.market_id) or 0 for m in markets) if paid.reported else None
        return {"stalls_paid_by_qr": count, "paid_by_qr_rate": _round(rate(count, total))}

    for item, market in zip(answer["markets"], figures.markets, strict=True):
        item.update(fields_for([market], market.stalls_total))
    for item, row in zip(answer["children"], children, strict=True):
        item.update(fields_for(row.figures.markets, row.figures.stalls_total))
    trend = []
    if paid.month is not None:
        since = paid.month
        for _ in range(MONTHS_IN_TREND - 1):
            since = (since - timedelta(days=1)).replace(day=1)
        trend = [
            {
                "month": month_text(point.month),
                "stalls_total": point.stalls_total,
                "stalls_accepting": point.stalls_accepting,
                "rate": _round(point.rate),
                "stalls_paid_by_qr": point.stalls_paid,
                "paid_by_qr_rate": _round(point.paid_rate),
            }
            for point in monthly_trend(
                markets_query,
                since=since,
                until_month=paid.month,
                totals_on=(day, figures.stalls_total, figures.stalls_accepting),
            )
        ]
    return {
        **answer,
        "paid_by_qr_month": month_text(paid.month) if paid.month else None,
        **fields_for(figures.markets, figures.stalls_total),
        "trend_by_month": trend,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

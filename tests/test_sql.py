"""``market4.sql``'s portable pieces give the same answer on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Date, literal, select

from market4.sql import month_of


@pytest.mark.parametrize(
    ("day", "month"),
    [
        (date(2026, 11, 1), date(2026, 11, 1)),
        (date(2026, 11, 30), date(2026, 11, 1)),
        (date(2026, 12, 31), date(2026, 12, 1)),
        (date(2028, 2, 29), date(2028, 2, 1)),
        (date(2026, 3, 31), date(2026, 3, 1)),
    ],
)
def test_month_of_is_the_first_day_of_the_month(session, day, month):
    assert session.scalar(select(month_of(literal(day, Date)))) == month

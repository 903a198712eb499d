"""Week ends and the server-drawn SVG chart (no database needed)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from fractions import Fraction

from market4.dashboard.charts import rate_chart_svg, rate_charts
from market4.dashboard.trends import TrendPoint, week_ends


def test_week_ends_are_sundays_then_the_day_itself():
    monday = date(2026, 11, 23)
    days = week_ends(monday)
    assert len(days) == 26 and days[-1] == monday
    assert all(day.weekday() == 6 for day in days[:-1])
    assert all(b - a == timedelta(days=7) for a, b in zip(days[:-2], days[1:-1], strict=True))
    sunday = date(2026, 11, 22)
    assert week_ends(sunday)[-1] == sunday and week_ends(sunday)[-2] == date(2026, 11, 15)
    assert len(week_ends(sunday, weeks=4)) == 4


def sample_points() -> list[TrendPoint]:
    start = date(2026, 5, 31)
    return [TrendPoint(start + timedelta(weeks=i), 1420, min(1066, 60 * i)) for i in range(26)]


def test_the_chart_is_a_titled_picture_in_vietnamese_format():
    svg = str(rate_chart_svg(sample_points(), threshold=Fraction(4, 5), threshold_label="80%"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-labelledby="trend-title trend-desc"' in svg
    assert '<title id="trend-title">' in svg and '<desc id="trend-desc">' in svg
    assert "Từ 31/05/2026 đến 22/11/2026" in svg and "75,1%" in svg
    assert "Ngưỡng 80%" in svg and ">22/11<" in svg
    assert "1.066/1.420" in svg  # in the point's tooltip
    # Nothing fetched from outside: the only URL is the SVG namespace.
    assert svg.count("http") == 1 and "href" not in svg
    # Black and greys only, so it prints the same as it shows.
    colours = {c.lower() for c in re.findall(r'(?:stroke|fill)="(#[0-9a-fA-F]+)"', svg)}
    assert colours <= {"#000", "#333", "#555", "#c8c8c8"}


def test_no_history_draws_nothing_and_both_sizes_have_their_own_ids():
    assert str(rate_chart_svg([], threshold=Fraction(4, 5), threshold_label="80%")) == ""
    charts = rate_charts(sample_points(), threshold=Fraction(4, 5), threshold_label="80%")
    assert 'id="trend-wide"' in charts.wide and 'id="trend-narrow"' in charts.narrow

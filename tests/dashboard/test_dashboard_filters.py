"""Reading the dashboard's query arguments: defaults, both date spellings, bad values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from market4.dashboard.filters import DashboardFilters, parse_filters

TODAY = date(2026, 11, 23)
COMMUNES = {11, 12}


def parse(**args: str) -> DashboardFilters:
    return parse_filters(
        args, today=TODAY, default_threshold_percent=Decimal("80.0"), commune_ids=COMMUNES
    )


def test_no_arguments_mean_today_everything_by_name_at_the_default_threshold():
    filters = parse()
    assert (filters.day, filters.day_given) == (TODAY, False)
    assert (filters.commune_id, filters.kind, filters.market_class) == (None, None, None)
    assert (filters.sort, filters.direction) == ("ten", "asc")
    assert filters.threshold_label == "80%" and filters.notes == ()
    assert filters.query_args() == {"nguong": "80"}


@pytest.mark.parametrize("text", ["30/09/2026", "2026-09-30", "30-09-2026", " 30/9/2026 "])
def test_dates_in_vietnamese_or_iso_form(text):
    filters = parse(ngay=text)
    assert filters.day == date(2026, 9, 30) and filters.day_given and not filters.notes
    assert filters.query_args()["ngay"] == "30/09/2026"


@pytest.mark.parametrize("text", ["31/02/2026", "hôm qua", "2026-13-01", "01/01/2099"])
def test_unusable_dates_fall_back_to_today_with_a_note(text):
    filters = parse(ngay=text)
    assert filters.day == TODAY and not filters.day_given
    assert len(filters.notes) == 1


def test_threshold_accepts_a_comma_or_a_dot_and_compares_exactly():
    filters = parse(nguong="80,1")
    assert filters.threshold_percent == Decimal("80.1") and filters.threshold_label == "80,1%"
    assert parse(nguong="75.5%").threshold_label == "75,5%"
    at_80 = parse(nguong="80")
    assert at_80.meets_threshold(168, 210)  # exactly 80%: counts
    assert not filters.meets_threshold(168, 210)
    assert not at_80.meets_threshold(0, 0)  # no stalls: no rate, never "met"
    assert parse(nguong="100").meets_threshold(120, 120)


@pytest.mark.parametrize("text", ["0", "101", "-5", "abc", "1e2", "80,123", "nan"])
def test_bad_thresholds_fall_back_to_the_default(text):
    filters = parse(nguong=text)
    assert filters.threshold_percent == Decimal("80.0") and len(filters.notes) == 1


def test_choices_outside_the_lists_are_dropped_with_a_note():
    assert parse(xa="11").commune_id == 11
    assert parse(loai="night").kind == "night"
    assert parse(hang="3").market_class == 3
    for args in (
        {"xa": "99"},
        {"xa": "-1"},
        {"loai": "mall"},
        {"hang": "4"},
        {"sap_xep": "gia"},
        {"chieu": "up"},
    ):
        filters = parse(**args)
        assert len(filters.notes) == 1, args
        assert (filters.commune_id, filters.kind, filters.market_class) == (None, None, None)


def test_sorting_defaults_and_header_links():
    by_rate = parse(sap_xep="ty_le")
    assert by_rate.direction == "desc"  # numbers: largest first unless asked otherwise
    assert by_rate.sort_link_args("ty_le")["chieu"] == "asc"
    assert by_rate.sort_link_args("ten") == {"nguong": "80"}  # name A→Z is the default
    assert parse(sap_xep="xa", chieu="desc").sort_link_args("xa")["chieu"] == "asc"


def test_links_reproduce_the_filters():
    filters = parse(
        ngay="2026-09-30",
        xa="12",
        loai="street",
        hang="1",
        nguong="72,5",
        sap_xep="qr",
        chieu="asc",
    )
    again = parse(**filters.query_args())
    assert again == filters and not again.notes

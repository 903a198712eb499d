"""The stall-state query says once what every page shows: open on a date, status on a date."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from market4.db import today
from market4.extensions import db
from market4.markets import queries as market_pages
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, Stall
from market4.registry.stalls import current_status, open_on, set_stall_status, statuses_on
from market4.vendors import presenters as partner_pages
from tests import factories as f


def _open_in_sql(stall: Stall, day) -> bool:
    return bool(db.session.scalar(select(Stall.id).where(Stall.id == stall.id, open_on(day))))


def test_a_stall_is_open_from_its_opening_day_until_the_day_it_closes(session):
    day = today()
    closing_next_week = f.stall(closed_on=day + timedelta(days=7))
    opening_tomorrow = f.stall(opened_on=day + timedelta(days=1))
    closed_today = f.stall(closed_on=day)
    opened_today = f.stall(opened_on=day)

    for stall, expected in (
        (closing_next_week, True),
        (opening_tomorrow, False),
        (closed_today, False),
        (opened_today, True),
    ):
        assert stall.is_open_on(day) is expected, stall
        assert _open_in_sql(stall, day) is expected, stall


def test_the_market_page_and_the_partners_picker_agree_on_which_stalls_are_open(session):
    day = today()
    market = f.market()
    closing_next_week = f.stall(market, "A1", closed_on=day + timedelta(days=7))
    opening_tomorrow = f.stall(market, "A2", opened_on=day + timedelta(days=1))
    closed_yesterday = f.stall(market, "A3", closed_on=day - timedelta(days=1))
    plain = f.stall(market, "A4")

    on_market_page = {row.stall.id for row in market_pages.stall_rows(market) if row.is_open}
    in_picker = {row.stall.id for row in partner_pages.stall_rows(market)}

    assert on_market_page == in_picker == {closing_next_week.id, plain.id}
    assert opening_tomorrow.id not in in_picker and closed_yesterday.id not in in_picker


def test_the_status_on_a_date_is_the_latest_change_effective_by_then(session):
    day = today()
    stall = f.stall()
    never = f.stall()
    set_stall_status(stall, ACCEPTING, reason="verified", on=day - timedelta(days=3))
    set_stall_status(stall, NOT_ACCEPTING, reason="declined", on=day - timedelta(days=1))
    set_stall_status(stall, ACCEPTING, reason="verified", on=day + timedelta(days=2))

    assert current_status(stall, on=day - timedelta(days=2)) == ACCEPTING
    assert current_status(stall) == NOT_ACCEPTING
    assert current_status(stall, on=day + timedelta(days=2)) == ACCEPTING
    assert current_status(never) is None
    assert statuses_on([stall.id, never.id]) == {stall.id: NOT_ACCEPTING}
    assert statuses_on([stall.id], day + timedelta(days=5)) == {stall.id: ACCEPTING}
    rows = {row.stall.id: row.status for row in market_pages.stall_rows(stall.market)}
    assert rows[stall.id] == NOT_ACCEPTING

""" "Paid by QR" beside "has QR" on the dashboard, its exports and its trend, exact
against a commune small enough to count by hand:

- Chợ A: 5 stalls, 3 accepting since June; October reports: 2 paid, 1 not; September: 1 paid.
- Chợ B: 3 stalls, 2 accepting since June; October: 1 paid (a vendor without a placard,
  paid through the bank's own stand: paid by QR, not "has QR").

So on 23/11/2026 (October is the latest finished month): 5 có QR — 3 đang nhận tiền qua
QR, out of 8 stalls (37,5%); September: 1 of 8.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from market4.activity.services import ReportInput, report_activity
from market4.dashboard.activity import (
    counts_on_days,
    monthly_trend,
    paid_by_qr,
    paid_by_qr_with_trend,
)
from market4.dashboard.queries import acceptance_figures
from market4.extensions import db
from market4.registry.market_days import changes_between, market_ids_of
from market4.registry.markets import ACCEPTING, Market
from market4.registry.stalls import set_stall_status
from market4.vocabulary import ActivitySource
from tests import factories as f

STORY_DAY = date(2026, 11, 23)
PASSWORD = "mật khẩu đủ dài"


@pytest.fixture
def commune(app, session, monkeypatch):
    monkeypatch.setattr("market4.dashboard.report.today", lambda: STORY_DAY)
    monkeypatch.setattr("market4.activity.services.today", lambda: date(2026, 12, 4))
    home = f.commune("Ngãi Giao")
    partner = f.user("bank_partner", org=f.organisation(bank_bin=f.VCB))
    a = f.market(name="Chợ A", area=home)
    b = f.market(name="Chợ B", area=home)
    reports = []

    def stall_in(market, *, accepting, paid=None, month="2026-10"):
        stall = f.stall(market)
        registered = f.registered_vendor(stall, org=partner.organisation)
        registered.occupancy.started_on = f.LONG_AGO
        if accepting:
            set_stall_status(stall, ACCEPTING, reason="verified", on=date(2026, 6, 1))
        if paid is not None:
            reports.append(
                ReportInput(
                    account_number=registered.account.account_number,
                    month=month,
                    received=paid,
                    count_band="10-49" if paid else "0",
                )
            )
        return registered

    first = stall_in(a, accepting=True, paid=True)
    stall_in(a, accepting=True, paid=True)
    stall_in(a, accepting=True, paid=False)
    stall_in(a, accepting=False)
    stall_in(a, accepting=False)
    stall_in(b, accepting=True)
    stall_in(b, accepting=True)
    stall_in(b, accepting=False, paid=True)
    reports.append(
        ReportInput(
            account_number=first.account.account_number,
            month="2026-09",
            received=True,
            count_band="1-9",
        )
    )
    db.session.flush()
    report_activity(reports, actor=partner, source=ActivitySource.CSV, channel="web")
    staff = f.user(
        "area_staff", org=f.organisation(kind="commune_office", bank_bin=None, area=home)
    )
    staff.password_hash = generate_password_hash(PASSWORD)
    session.commit()
    return {"a": a, "b": b, "staff": staff, "partner": partner, "first": first}


def sign_in(client, user) -> None:
    response = client.post("/dang-nhap", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_cards_and_the_market_table_put_both_figures_side_by_side(client, commune):
    sign_in(client, commune["staff"])
    html = client.get("/tong-quan/").get_data(as_text=True)
    text = text_of(html)
    assert "5/8 tiểu thương — 62,5%" in text
    assert "5 có QR — 3 đang nhận tiền qua QR" in text
    assert "trong tháng 10/2026 — 37,5% số sạp" in text
    rows = {
        text_of(row).split(" TEST-")[0]: text_of(row)
        for row in re.findall(r'<th scope="row" class="market-name">(.*?)</tr>', html, re.S)
    }
    assert "2 (40,0%)" in rows["Chợ A"] and "1 (33,3%)" in rows["Chợ B"]
    assert "Nhận tiền qua QR: tháng 10/2026" in text
    by_paid = client.get("/tong-quan/?sap_xep=nhan_qr").get_data(as_text=True)
    assert re.findall(r"<span class=\"market-code\">([A-Z0-9-]+)</span>", by_paid) == [
        commune["a"].code,
        commune["b"].code,
    ]


def test_the_trend_has_a_monthly_series_beside_the_weekly_one(client, commune):
    sign_in(client, commune["staff"])
    html = client.get("/tong-quan/").get_data(as_text=True)
    # One square per month on each drawing (wide and narrow), with its figures.
    assert html.count("<rect") == 4
    assert "Tháng 10/2026: 37,5% nhận tiền qua QR (3/8)" in html
    assert "Tháng 09/2026: 12,5% nhận tiền qua QR (1/8)" in html
    assert "Nhận tiền qua QR tháng 10/2026: 37,5% (3/8 tiểu thương)." in html  # the description
    table = text_of(html.split("Bảng số liệu theo tháng")[1].split("</table>")[0])
    assert "10/2026 5 (62,5%) 3 (37,5%) 8" in table
    assert "09/2026 5 (62,5%) 1 (12,5%) 8" in table


def test_the_monthly_trend_equals_the_figures_of_each_month_end(commune):
    markets = select(Market).where(Market.id.in_([commune["a"].id, commune["b"].id]))
    points = monthly_trend(markets, since=date(2026, 6, 1), until_month=date(2026, 10, 1))
    assert [(p.month, p.stalls_total, p.stalls_accepting, p.stalls_paid) for p in points] == [
        (date(2026, 9, 1), 8, 5, 1),
        (date(2026, 10, 1), 8, 5, 3),
    ]
    days = [date(2026, 5, 31), date(2026, 6, 1), date(2026, 9, 30), date(2026, 10, 31)]
    ids = markets.with_only_columns(Market.id)
    expected = [
        (figures.stalls_total, figures.stalls_accepting)
        for figures in (
            acceptance_figures(on=day, market_ids=[commune["a"].id, commune["b"].id])
            for day in days
        )
    ]
    assert counts_on_days(days, ids) == expected
    # Counted back from a later day's totals, as the dashboard does from its headline.
    assert counts_on_days(days, ids, known=(STORY_DAY, 8, 5)) == expected


def test_markets_named_by_id_read_as_their_select(commune):
    """The statistics name their markets by id, so the readers run statements built once;
    the figures are those of the same markets as a SELECT, on any day, twice over."""
    ids = [commune["a"].id, commune["b"].id]
    markets = select(Market).where(Market.id.in_(ids))
    # Changes between and after the month ends: a stall opens in October, accepts in November.
    late = f.stall(commune["a"], opened_on=date(2026, 10, 15))
    set_stall_status(late, ACCEPTING, reason="verified", on=date(2026, 11, 10))
    db.session.flush()
    for _ in range(2):  # the second time from the kept statements
        for day in (date(2026, 9, 15), date(2026, 11, 20), STORY_DAY):
            assert paid_by_qr(ids, on=day) == paid_by_qr(markets, on=day)
            since, until = date(2026, 6, 1), date(2026, 10, 1)
            assert monthly_trend(ids, since=since, until_month=until) == monthly_trend(
                markets, since=since, until_month=until
            )
            assert changes_between(date(2026, 5, 1), day, ids) == changes_between(
                date(2026, 5, 1), day, market_ids_of(markets)
            )
            if day < date(2026, 11, 1):
                continue  # counting back starts after the months' ends
            # Counted back from the day's totals, as the statistics do.
            figures = acceptance_figures(on=day, market_ids=ids)
            known = (day, figures.stalls_total, figures.stalls_accepting)
            for named in (ids, markets):
                assert monthly_trend(
                    named, since=since, until_month=until, totals_on=known
                ) == monthly_trend(markets, since=since, until_month=until)
    assert paid_by_qr([commune["b"].id], on=STORY_DAY).stalls_paid == 1
    assert paid_by_qr([], on=STORY_DAY).month is None


def test_the_statistics_read_in_one_statement_what_the_readers_read_apart(commune):
    """The API's statistics take "paid by QR" and its months from one statement
    (``paid_by_qr_with_trend``): the same as ``paid_by_qr`` and ``monthly_trend`` over the
    months up to the reference month, with a month reported long before (February, among
    the latest reported but outside the window) and a stall opening between two of the
    months and accepting after them."""
    report_activity(
        [
            ReportInput(
                account_number=commune["first"].account.account_number,
                month="2026-02",
                received=True,
                count_band="1-9",
            )
        ],
        actor=commune["partner"],
        source=ActivitySource.CSV,
        channel="web",
    )
    late = f.stall(commune["a"], opened_on=date(2026, 10, 1))  # the day after a month end
    set_stall_status(late, ACCEPTING, reason="verified", on=date(2026, 11, 10))
    db.session.flush()
    ids = [commune["a"].id, commune["b"].id]
    markets = select(Market).where(Market.id.in_(ids))
    days = (STORY_DAY, date(2026, 10, 20), date(2026, 4, 2), date(2026, 2, 10))
    for day, months in [(day, months) for day in days for months in (6, 2, 1)]:
        figures = acceptance_figures(on=day, market_ids=ids)
        known = (day, figures.stalls_total, figures.stalls_accepting)
        paid = paid_by_qr(markets, on=day)
        expected = []
        if paid.month is not None:
            since = paid.month
            for _ in range(months - 1):
                since = (since - timedelta(days=1)).replace(day=1)
            expected = monthly_trend(markets, since=since, until_month=paid.month)
        for named in (ids, markets):
            assert paid_by_qr_with_trend(named, totals_on=known, months=months) == (
                paid,
                expected,
            ), (day, months)
    # What the cases above cover: February in the window or out of it, and no report yet.
    assert paid_by_qr(ids, on=date(2026, 4, 2)).month == date(2026, 2, 1)
    trend = paid_by_qr_with_trend(ids, totals_on=(STORY_DAY, 9, 6), months=6)[1]
    assert [point.month for point in trend] == [date(2026, 9, 1), date(2026, 10, 1)]
    assert paid_by_qr_with_trend(ids, totals_on=(date(2026, 2, 10), 9, 5), months=6) == (
        paid_by_qr(ids, on=date(2026, 2, 10)),
        [],
    )


def test_the_exports_carry_the_paid_columns(client, commune):
    sign_in(client, commune["staff"])
    body = client.get("/tong-quan/xuat.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][8:12] == [
        "Tỉ lệ (%)",
        "Số sạp nhận tiền qua QR",
        "Tỉ lệ nhận tiền qua QR (%)",
        "Tháng nhận tiền qua QR",
    ]
    by_code = {row[0]: row for row in rows[1:-1]}
    assert by_code[commune["a"].code][6:12] == ["5", "3", "60.0", "2", "40.0", "2026-10"]
    assert by_code[commune["b"].code][6:12] == ["3", "2", "66.7", "1", "33.3", "2026-10"]
    assert rows[-1][6:12] == ["8", "5", "62.5", "3", "37.5", "2026-10"]

    workbook = load_workbook(io.BytesIO(client.get("/tong-quan/xuat.xlsx").get_data()))
    table = workbook.worksheets[0]
    totals = [cell.value for cell in table[table.max_row]]
    assert totals[6:11] == [8, 5, 0.625, 3, 0.375]
    assert table.cell(row=table.max_row, column=11).number_format == "0.0%"
    about = {row[0]: row[1] for row in workbook.worksheets[1].iter_rows(values_only=True)}
    assert about["Tháng nhận tiền qua QR"].date() == date(2026, 10, 1)


def test_before_any_report_the_dashboard_says_so(client, commune, monkeypatch):
    monkeypatch.setattr("market4.dashboard.report.today", lambda: date(2026, 9, 20))
    sign_in(client, commune["staff"])
    text = text_of(client.get("/tong-quan/").get_data(as_text=True))
    assert "5 có QR — chưa có báo cáo nhận tiền qua QR của ngân hàng" in text
    rows = list(
        csv.reader(io.StringIO(client.get("/tong-quan/xuat.csv").get_data().decode("utf-8-sig")))
    )
    assert rows[-1][9:12] == ["", "", ""]

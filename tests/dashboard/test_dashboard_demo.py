"""The dashboard on the demo district, as each demo user sees it, on both databases.

Seeding takes a second or two, so these tests are few and each checks a whole story.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from market4.areas.models import SCHEME_2025
from market4.areas.services import find_unit
from market4.auth.models import Organisation, User
from market4.dashboard.breakdown import OTHER_BANKS, bank_breakdown
from market4.dashboard.queries import acceptance_figures
from market4.dashboard.trends import weekly_trend
from market4.demo.seed import seed
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, Market, Stall, StallStatusChange
from market4.registry.vendors import PaymentAccount
from tests.rollups import paid_in

PASSWORD = "market4-demo"
PROVINCE = "socongthuong@demo.market4.vn"
DISTRICT = "huyenchauduc@demo.market4.vn"
COMMUNE = "xangaigiao@demo.market4.vn"
MANAGER = "quanlycho@demo.market4.vn"
AGRIBANK = "agribank@demo.market4.vn"
ADMIN = "admin@demo.market4.vn"
ALL_CODES = {
    "CD-NGAIGIAO",
    "CD-DEM-NGAIGIAO",
    "CD-KIMLONG",
    "CD-BINHGIA",
    "CD-SUOINGHE",
    "CD-XUANSON",
    "CD-LANGLON",
    "CD-NGHIATHANH",
    "CD-DABAC",
    "CD-PHO-HUNGVUONG",
    "CD-BAUCHINH",
    "CD-QUANGTHANH",
    "CD-SONBINH",
    "CD-XABANG",
    "CD-TTTM-NGAIGIAO",
}
NGAI_GIAO_CODES = {
    "CD-NGAIGIAO",
    "CD-DEM-NGAIGIAO",
    "CD-SUOINGHE",
    "CD-PHO-HUNGVUONG",
    "CD-TTTM-NGAIGIAO",
}
# The demo's status history ends on 20/11/2026; "today" is frozen just after it, so the
# figures and the weekly series are the same whatever the machine's clock says.
STORY_DAY = date(2026, 11, 23)


@pytest.fixture
def demo(app, session, monkeypatch):
    monkeypatch.setattr("market4.dashboard.report.today", lambda: STORY_DAY)
    seed()
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # What autovacuum does in production: without statistics the planner takes the
        # fresh tables for empty and picks nested loops that make every page take ~0.5 s.
        session.execute(text("ANALYZE"))


def market_id(code: str) -> int:
    from market4.extensions import db

    return db.session.scalar(select(Market.id).where(Market.code == code))


def sign_in(client, email: str) -> None:
    response = client.post("/dang-nhap", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def page(client, query: str = "") -> str:
    response = client.get(f"/tong-quan/?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def codes_in(html: str) -> list[str]:
    """Market codes in the table, in row order."""
    return re.findall(r'<span class="market-code">([A-Z0-9-]+)</span>', html)


def csv_rows(client, query: str = "") -> tuple[bytes, list[list[str]]]:
    response = client.get(f"/tong-quan/xuat.csv?{query}")
    assert response.status_code == 200
    body = response.get_data()
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in ("/tong-quan/", "/tong-quan/xuat.csv", "/tong-quan/xuat.xlsx"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/dang-nhap")


def test_staff_without_an_area_see_an_empty_dashboard_not_everything(client, session):
    # The services refuse such a user, but an office can lose its area after the fact.
    office = Organisation(kind="commune_office", name="UBND xã chưa gán địa bàn")
    session.add(
        User(
            email="lac@example.vn",
            name="Cán bộ chưa gán",
            role="area_staff",
            organisation=office,
            password_hash=generate_password_hash("correct horse battery"),
        )
    )
    session.commit()
    client.post("/dang-nhap", data={"email": "lac@example.vn", "password": "correct horse battery"})
    for path in ("/tong-quan/", "/tong-quan/?sap_xep=ty_le&xa=1", "/tong-quan/xuat.xlsx"):
        assert client.get(path).status_code == 200, path
    html = client.get("/tong-quan/").get_data(as_text=True)
    assert "0/0 chợ" in html and "Không có chợ nào" in html
    _, rows = csv_rows(client)
    assert len(rows) == 2  # header and totals only


def test_province_and_district_staff_see_the_whole_district(client, demo):
    for email, area in ((PROVINCE, "Thành phố Hồ Chí Minh"), (DISTRICT, "Huyện Châu Đức")):
        sign_in(client, email)
        html = page(client)
        assert "1.066/1.420 tiểu thương — 75,1%" in html
        assert "10/15 chợ" in html
        assert "5/15 chợ đạt ngưỡng 80%" in html
        assert "Số liệu ngày 23/11/2026" in html
        assert area in html
        assert set(codes_in(html)) == ALL_CODES and len(codes_in(html)) == 15
        # Default order: by name as a Vietnamese reader expects (Đá Bạc among the Ds).
        assert codes_in(html)[:5] == [
            "CD-BAUCHINH",
            "CD-BINHGIA",
            "CD-DABAC",
            "CD-DEM-NGAIGIAO",
            "CD-KIMLONG",
        ]
        assert "<svg" in html and "<title id=" in html and "Bảng số liệu theo tuần" in html
        client.post("/dang-xuat")


def test_commune_staff_see_only_their_commune(client, demo, session):
    sign_in(client, COMMUNE)
    html = page(client)
    assert set(codes_in(html)) == NGAI_GIAO_CODES
    ngai_giao = acceptance_figures(area=find_unit(SCHEME_2025, "commune", "26575"))
    accepting, total = ngai_giao.stalls_accepting, ngai_giao.stalls_total
    assert f"{accepting}/{total} tiểu thương" in html.replace(".", "")
    # Asking for another commune (in the province, outside their scope) widens nothing.
    kim_long = session.scalar(select(Market.commune_id).where(Market.code == "CD-KIMLONG"))
    html = page(client, f"xa={kim_long}")
    assert set(codes_in(html)) == NGAI_GIAO_CODES
    assert "không thuộc phạm vi của bạn" in html
    _, rows = csv_rows(client, f"xa={kim_long}")
    assert {row[0] for row in rows[1:-1]} == NGAI_GIAO_CODES


def test_other_roles_see_their_scope(app, client, demo):
    # Market names link to the market's page once one exists; a stand-in until then.
    stand_in = "markets.show" not in app.view_functions
    if stand_in:
        app.add_url_rule("/cho/<code>", endpoint="markets.show", view_func=lambda code: code)
    sign_in(client, MANAGER)
    if stand_in:
        assert '<a href="/cho/CD-NGAIGIAO">Chợ Ngãi Giao</a>' in page(client)
    assert set(codes_in(page(client))) == {"CD-NGAIGIAO", "CD-DEM-NGAIGIAO"}
    _, rows = csv_rows(client)
    assert {row[0] for row in rows[1:-1]} == {"CD-NGAIGIAO", "CD-DEM-NGAIGIAO"}
    client.post("/dang-xuat")

    sign_in(client, ADMIN)
    assert set(codes_in(page(client))) == ALL_CODES
    # The English interface still answers (its catalogue is compiled centrally).
    english = client.get("/tong-quan/", headers={"Accept-Language": "en"})
    assert english.status_code == 200 and 'lang="en"' in english.get_data(as_text=True)
    client.post("/dang-xuat")

    # A bank partner sees their own bank by name and every other bank pooled.
    sign_in(client, AGRIBANK)
    html = page(client)
    assert set(codes_in(html)) == ALL_CODES
    banks = html[html.index('id="banks-heading"') :]
    assert "Agribank" in banks and "Các ngân hàng, ví khác" in banks
    for other in ("Vietcombank", "BIDV", "VietinBank", "MoMo"):
        assert other not in banks


def test_filters_sorting_and_threshold(client, demo):
    sign_in(client, PROVINCE)
    assert codes_in(page(client, "loai=night")) == ["CD-DEM-NGAIGIAO"]
    assert set(codes_in(page(client, "hang=2"))) == {"CD-NGAIGIAO", "CD-KIMLONG"}
    assert "Lọc: Hạng 2" in page(client, "hang=2")

    by_rate = codes_in(page(client, "sap_xep=ty_le&chieu=desc"))
    assert by_rate[:3] == ["CD-DEM-NGAIGIAO", "CD-NGAIGIAO", "CD-SUOINGHE"]
    assert by_rate[-1] == "CD-TTTM-NGAIGIAO"
    by_stalls = codes_in(page(client, "sap_xep=sap&chieu=asc"))
    assert by_stalls[0] == "CD-SONBINH" and by_stalls[-1] == "CD-NGAIGIAO"
    # The sorted column's header links to the other direction, keeping the filters.
    html = page(client, "loai=traditional&sap_xep=qr&chieu=desc")
    assert 'aria-sort="descending"' in html
    assert re.search(
        r'href="/tong-quan/\?[^"]*loai=traditional[^"]*sap_xep=qr&amp;chieu=asc"', html
    )

    # Kim Long is exactly 80% (168/210): it counts at 80%, not at 80.1%.
    assert "5/15 chợ đạt ngưỡng 80%" in page(client, "nguong=80")
    assert "4/15 chợ đạt ngưỡng 80,1%" in page(client, "nguong=80,1")
    assert "10/15 chợ đạt ngưỡng 75%" in page(client, "nguong=75")
    assert "Ngưỡng 75%" in page(client, "nguong=75")

    # Past dates show the history, in either spelling; bad values are ignored with a
    # note, never a 500.
    for spelling in ("2026-04-30", "30/04/2026"):
        html = page(client, f"ngay={spelling}")
        assert "0/1.420 tiểu thương — 0,0%" in html and "Số liệu ngày 30/04/2026" in html
    for bad in (
        "ngay=31/02/2026",
        "ngay=01/01/2099",
        "nguong=abc",
        "nguong=0",
        "nguong=1e9",
        "hang=7",
        "loai=<script>",
        "xa=abc",
        "xa=-1",
        "sap_xep=x",
        "chieu=up",
        "nguong=%ff",
        "xa=²",
        "hang=²",
    ):
        response = client.get(f"/tong-quan/?{bad}")
        assert response.status_code == 200, bad
        html = response.get_data(as_text=True)
        assert "đã được bỏ qua" in html, bad
        assert "<script>" not in html.split("<main", 1)[1], bad
    for bad in ("ngay=x", "nguong=-5", "hang=0", "xa=²"):
        assert client.get(f"/tong-quan/xuat.xlsx?{bad}").status_code == 200
    # A NUL is refused at the door for every page (market4.security.input_guard).
    refused = client.get("/tong-quan/?ngay=%00")
    assert refused.status_code == 400 and "NUL" in refused.get_data(as_text=True)


def test_weekly_trend_equals_acceptance_figures(app, demo, session):
    stalls = list(session.scalars(select(Stall).order_by(Stall.id).limit(3)))
    # Edge cases the one-pass computation must agree on: a stall closed mid-series,
    # two changes on one day (the later row wins), a change far in the future.
    stalls[0].closed_on = date(2026, 9, 15)
    for status in (ACCEPTING, NOT_ACCEPTING):
        session.add(
            StallStatusChange(
                stall=stalls[1], status=status, reason="verified", effective_on=date(2026, 10, 4)
            )
        )
    session.add(
        StallStatusChange(
            stall=stalls[2], status=ACCEPTING, reason="verified", effective_on=date(2027, 1, 1)
        )
    )
    session.flush()

    day = date(2026, 11, 23)
    ngai_giao = find_unit(SCHEME_2025, "commune", "26575")
    for markets, area in (
        (select(Market), None),
        (select(Market).where(Market.commune_id == ngai_giao.id), ngai_giao),
    ):
        points = weekly_trend(markets, day)
        assert len(points) == 26 and points[-1].day == day
        assert all(p.day.weekday() == 6 for p in points[:-1])
        assert points[0].day > day - timedelta(weeks=26)
        for point in points:
            figures = acceptance_figures(on=point.day, area=area)
            assert (point.stalls_total, point.stalls_accepting) == (
                figures.stalls_total,
                figures.stalls_accepting,
            ), point.day
    # A mid-week day ends the series on itself; the history before it is unchanged.
    wednesday = weekly_trend(select(Market), date(2026, 8, 5))
    assert wednesday[-1].day == date(2026, 8, 5)
    assert (
        wednesday[-1].stalls_accepting == acceptance_figures(on=date(2026, 8, 5)).stalls_accepting
    )


def test_csv_export(client, demo):
    sign_in(client, DISTRICT)
    response = client.get("/tong-quan/xuat.csv?sap_xep=ty_le&chieu=desc")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="tong-quan-2026-11-23.csv"'
    )
    body, rows = csv_rows(client, "sap_xep=ty_le&chieu=desc")
    assert body.startswith(b"\xef\xbb\xbf")
    assert rows[0] == [
        "Mã chợ",
        "Tên chợ",
        "Xã/phường",
        "Loại chợ",
        "Hạng",
        "Chợ 4.0",
        "Số sạp",
        "Số sạp chấp nhận TTKDTM",
        "Tỉ lệ (%)",
        "Số sạp nhận tiền qua QR",
        "Tỉ lệ nhận tiền qua QR (%)",
        "Tháng nhận tiền qua QR",
        "Đạt ngưỡng",
    ]
    assert len(rows) == 1 + 15 + 1
    # "Paid by QR" in October, the last month the demo banks reported before 23/11.
    paid = paid_in(date(2026, 10, 1))
    night_paid = paid[market_id("CD-DEM-NGAIGIAO")]
    assert rows[1] == [
        "CD-DEM-NGAIGIAO",
        "Chợ đêm Ngãi Giao",
        "Xã Ngãi Giao",
        "Chợ đêm",
        "3",
        "Có",
        "120",
        "120",
        "100.0",
        str(night_paid),
        f"{night_paid / 120 * 100:.1f}",
        "2026-10",
        "Có",
    ]
    assert rows[-1][1] == "Tổng cộng (15 chợ)"
    total_paid = sum(paid.values())
    assert rows[-1][5:] == [
        "10",
        "1420",
        "1066",
        "75.1",
        str(total_paid),
        f"{total_paid / 1420 * 100:.1f}",
        "2026-10",
        "5",
    ]
    assert sum(int(row[9]) for row in rows[1:-1]) == total_paid
    assert sum(int(row[7]) for row in rows[1:-1]) == 1066
    filtered = csv_rows(client, "loai=street")[1]
    assert [row[0] for row in filtered[1:-1]] == ["CD-PHO-HUNGVUONG"]


def test_xlsx_export(client, demo):
    sign_in(client, PROVINCE)
    response = client.get("/tong-quan/xuat.xlsx?nguong=75")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="tong-quan-2026-11-23.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.get_data()))
    table = workbook.worksheets[0]
    header = [cell.value for cell in table[1]]
    assert header[0] == "Mã chợ" and header[-1] == "Đạt ngưỡng"
    assert all(cell.font.bold for cell in table[1])
    assert table.freeze_panes == "A2"
    assert table.max_row == 1 + 15 + 1
    night = next(row for row in table.iter_rows(min_row=2) if row[0].value == "CD-DEM-NGAIGIAO")
    assert night[6].value == 120 and isinstance(night[6].value, int)
    assert night[8].value == 1.0 and night[8].number_format == "0.0%"
    totals = [cell.value for cell in table[table.max_row]]
    assert totals[1] == "Tổng cộng (15 chợ)"
    assert totals[5:8] == [10, 1420, 1066]
    assert totals[8] == pytest.approx(1066 / 1420)
    assert totals[9] == sum(paid_in(date(2026, 10, 1)).values())
    assert totals[10] == pytest.approx(totals[9] / 1420)
    assert totals[11].date() == date(2026, 10, 1)
    assert table.cell(row=table.max_row, column=12).number_format == "mm/yyyy"
    assert totals[12] == 10  # markets at or above 75%
    about = {row[0]: row[1] for row in workbook.worksheets[1].iter_rows(values_only=True)}
    assert about["Số liệu ngày"].date() == date(2026, 11, 23)
    assert about["Ngưỡng đạt (tỉ lệ sạp chấp nhận)"] == 0.75
    assert about["Khu vực"] == "Thành phố Hồ Chí Minh"


def test_bank_breakdown_adds_up_and_no_account_number_leaks(client, demo, session):
    for day in (date(2026, 8, 1), date(2026, 11, 23)):
        rows = bank_breakdown(select(Market), day)
        assert sum(row.stalls for row in rows) == acceptance_figures(on=day).stalls_accepting
        pooled = bank_breakdown(select(Market), day, only_bank_bin="970405")
        assert [row.bin for row in pooled] == ["970405", None]
        assert pooled[1].kind == OTHER_BANKS
        assert sum(row.stalls for row in pooled) == sum(row.stalls for row in rows)

    numbers = set(session.scalars(select(PaymentAccount.account_number)))
    assert len(numbers) > 1000
    for email in (ADMIN, AGRIBANK, PROVINCE):
        sign_in(client, email)
        html = page(client)
        banks = html[html.index('id="banks-heading"') :]
        shown = [
            int(n.replace(".", "")) for n in re.findall(r'<td class="num">([\d.]+)</td>', banks)
        ]
        assert sum(shown[:-1]) == shown[-1] == 1066
        downloads = [client.get(f"/tong-quan/xuat.{ext}").get_data() for ext in ("csv", "xlsx")]
        sheet_text = " ".join(
            str(cell.value)
            for sheet in load_workbook(io.BytesIO(downloads[1]))
            for row in sheet.iter_rows()
            for cell in row
        )
        everything = html + downloads[0].decode("utf-8-sig") + sheet_text
        leaked = {number for number in numbers if number in everything}
        assert not leaked, (email, sorted(leaked)[:3])
        client.post("/dang-xuat")


def test_the_drill_down_goes_country_province_commune_and_back(client, demo):
    """Admin: a row per province, a row per commune below it, then the commune's markets;
    the rows add up to the figures above them and the breadcrumb leads back up."""
    sign_in(client, "admin@demo.market4.vn")
    country = page(client)
    assert "Theo tỉnh/thành phố" in country and "Toàn quốc" in country
    province_link = re.search(
        r'<a href="/tong-quan/\?(vung=\d+[^"]*)">Thành phố Hồ Chí Minh', country
    )
    province = page(client, province_link.group(1).replace("&amp;", "&"))
    assert "Theo xã/phường" in province
    assert '<span aria-current="page">Thành phố Hồ Chí Minh</span>' in province
    areas = re.search(r'aria-labelledby="areas-heading">.*?</section>', province, re.S).group(0)
    totals = [
        int(n.replace(".", ""))
        for n in re.findall(
            r'<td class="num">([\d.]+)</td>\s*<td class="num">[\d.]+</td>\s*<td class="num">[\d,]+%',
            areas,
        )
    ]
    assert sum(totals) == 1420  # stall counts per commune add up to the district's
    commune_link = re.search(r'<a href="/tong-quan/\?([^"]*xa=\d+[^"]*)">Xã Ngãi Giao', province)
    commune = page(client, commune_link.group(1).replace("&amp;", "&"))
    assert set(codes_in(commune)) == NGAI_GIAO_CODES
    assert "areas-heading" not in commune  # the market table is the last level
    crumbs = re.search(r'<nav class="breadcrumb dash-breadcrumb".*?</nav>', commune, re.S).group(0)
    assert re.findall(r">([^<>]+)</a>", crumbs) == ["Toàn quốc", "Thành phố Hồ Chí Minh"]
    assert '<span aria-current="page">Xã Ngãi Giao</span>' in crumbs


def test_a_drill_down_outside_the_scope_is_ignored_and_said(client, demo, session):
    sign_in(client, COMMUNE)
    province = session.scalar(select(Market.commune_id).where(Market.code == "CD-KIMLONG"))
    html = page(client, f"vung={province}")
    assert set(codes_in(html)) == NGAI_GIAO_CODES
    assert "không thuộc phạm vi của bạn" in html


def test_figures_equal_a_recount_from_history_on_random_days_and_areas(demo, session):
    """The ranked query (narrowed to an area's stalls) against the per-stall rule."""
    import random

    from market4.areas.models import AdminUnit
    from market4.registry.scope import restrict_markets_to_area
    from market4.registry.stalls import statuses_on

    rng = random.Random(12)
    communes = session.scalars(
        select(AdminUnit).where(AdminUnit.id.in_(select(Market.commune_id)))
    ).all()
    areas = [None, communes[0].parent, *rng.sample(communes, 3)]
    for _ in range(6):
        day = STORY_DAY - timedelta(days=rng.randrange(0, 400))
        for area in areas:
            figures = acceptance_figures(on=day, area=area)
            market_ids = session.scalars(restrict_markets_to_area(select(Market.id), area)).all()
            stalls = [
                stall
                for stall in session.scalars(select(Stall).where(Stall.market_id.in_(market_ids)))
                if stall.is_open_on(day)
            ]
            statuses = statuses_on([stall.id for stall in stalls], day)
            accepting = sum(1 for stall in stalls if statuses.get(stall.id) == ACCEPTING)
            assert (figures.stalls_total, figures.stalls_accepting) == (len(stalls), accepting), (
                day,
                area,
            )


def test_the_market_table_is_paged_in_sorted_order_with_the_filters_kept(client, demo, monkeypatch):
    monkeypatch.setattr("market4.dashboard.views.MARKETS_PER_PAGE", 6)
    sign_in(client, PROVINCE)
    everything, _ = csv_rows(client, "sap_xep=ty_le&chieu=desc")
    in_order = [row[0] for row in csv.reader(io.StringIO(everything.decode("utf-8-sig")))][1:]
    pages = [page(client, f"sap_xep=ty_le&chieu=desc&trang={n}") for n in (1, 2, 3)]
    assert [len(codes_in(html)) for html in pages] == [6, 6, 3]
    assert sum((codes_in(html) for html in pages), []) == [
        code for code in in_order if code.startswith("CD-")
    ]
    assert "Trang 2 / 3" in pages[1] and "1.066/1.420 tiểu thương" in pages[1]  # totals: all
    assert re.search(r'href="[^"]*sap_xep=ty_le[^"]*trang=3', pages[1])
    assert codes_in(page(client, "trang=99")) == codes_in(page(client, "trang=3"))

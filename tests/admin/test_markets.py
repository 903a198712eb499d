"""Markets: unique URL-safe codes, a 2025 commune, an optional 2008 district, join date."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from market4.audit.models import AuditEvent
from market4.registry.markets import Market

NEW_MARKET = {
    "code": "cd-kimlong",
    "name": "Cho\u031b\u0323 Kim Long",  # lower case, and NFD as typed on a Mac
    "kind": "traditional",
    "market_class": "2",
    "address": "Ấp Kim Bình",
    "commune": "2025/commune/26575",
    "legacy_district": "Châu Đức",
    "programme_joined_on": "15/06/2026",
}


def market_coded(session, code: str) -> Market | None:
    return session.scalar(select(Market).where(Market.code == code))


def test_created_market_appears_in_stats(admin_client, session, runner, areas):
    response = admin_client.post("/quan-tri/cho/moi", data=NEW_MARKET)
    assert response.status_code == 302
    market = market_coded(session, "CD-KIMLONG")
    assert market.name == "Ch\u1ee3 Kim Long"  # stored in NFC
    assert (
        market.commune_id == areas.ngai_giao.id and market.legacy_district_id == areas.chau_duc.id
    )
    assert market.programme_joined_on == date(2026, 6, 15) and market.market_class == 2

    result = runner.invoke(args=["stats", "--json"])
    assert result.exit_code == 0, result.output
    codes = {row["code"] for row in json.loads(result.output)["markets"]}
    assert "CD-KIMLONG" in codes

    event = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "Market"))
    assert event.action == "create" and event.after["code"] == "CD-KIMLONG"
    assert event.after["programme_joined_on"] == "2026-06-15"


def test_duplicate_code_is_shown_next_to_the_code(admin_client, session, areas, error_next_to):
    admin_client.post("/quan-tri/cho/moi", data=NEW_MARKET)
    page = admin_client.post(
        "/quan-tri/cho/moi", data={**NEW_MARKET, "code": "CD-KIMLONG "}
    ).get_data(as_text=True)
    assert error_next_to(page, "code") == "Mã chợ CD-KIMLONG đã được dùng."
    assert len(list(session.scalars(select(Market)))) == 1


def test_code_must_be_url_safe(admin_client, areas, error_next_to):
    page = admin_client.post(
        "/quan-tri/cho/moi", data={**NEW_MARKET, "code": "CHỢ KIM LONG"}
    ).get_data(as_text=True)
    assert "chữ in hoa không dấu" in error_next_to(page, "code")


def test_commune_must_be_a_2025_commune_and_district_a_2008_district(
    admin_client, areas, error_next_to
):
    page = admin_client.post(
        "/quan-tri/cho/moi",
        data={**NEW_MARKET, "commune": "2008/commune/26575", "legacy_district": "2025/province/79"},
    ).get_data(as_text=True)
    assert error_next_to(page, "commune") == "Chọn một xã/phường/đặc khu theo địa giới 2025."
    assert "trước 01/07/2025" in error_next_to(page, "legacy_district")
    page = admin_client.post("/quan-tri/cho/moi", data={**NEW_MARKET, "commune": ""}).get_data(
        as_text=True
    )
    assert error_next_to(page, "commune") == "Chọn một xã/phường/đặc khu theo địa giới 2025."


def test_dates_are_dd_mm_yyyy_with_a_vietnamese_error(admin_client, areas, error_next_to):
    page = admin_client.post(
        "/quan-tri/cho/moi", data={**NEW_MARKET, "programme_joined_on": "31/02/2026"}
    ).get_data(as_text=True)
    assert (
        error_next_to(page, "programme_joined_on")
        == "Ngày không hợp lệ, hãy nhập theo dạng ngày/tháng/năm (vd. 22/11/2026)."
    )


def test_edit_a_market(admin_client, session, areas):
    admin_client.post("/quan-tri/cho/moi", data=NEW_MARKET)
    market = market_coded(session, "CD-KIMLONG")
    page = admin_client.get(f"/quan-tri/cho/{market.id}").get_data(as_text=True)
    assert 'value="15/06/2026"' in page and "Xã Ngãi Giao, Thành phố Hồ Chí Minh" in page
    response = admin_client.post(
        f"/quan-tri/cho/{market.id}",
        data={**NEW_MARKET, "code": "CD-KIMLONG", "programme_joined_on": "", "legacy_district": ""},
    )
    assert response.status_code == 302
    assert market.programme_joined_on is None and market.legacy_district_id is None
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.object_type == "Market", AuditEvent.action == "update")
    )
    assert (
        event.before["programme_joined_on"] == "2026-06-15"
        and event.after["programme_joined_on"] is None
    )


def test_list_search_and_filters(admin_client, areas):
    admin_client.post("/quan-tri/cho/moi", data=NEW_MARKET)
    admin_client.post(
        "/quan-tri/cho/moi",
        data={
            **NEW_MARKET,
            "code": "CD-DEM",
            "name": "Chợ đêm Ngãi Giao",
            "kind": "night",
            "programme_joined_on": "",
        },
    )
    assert ">CD-DEM</code>" in admin_client.get("/quan-tri/cho?q=cho+dem").get_data(as_text=True)
    page = admin_client.get("/quan-tri/cho?programme=1").get_data(as_text=True)
    assert ">CD-KIMLONG</code>" in page and ">CD-DEM</code>" not in page
    page = admin_client.get("/quan-tri/cho?kind=night").get_data(as_text=True)
    assert ">CD-KIMLONG</code>" not in page and ">CD-DEM</code>" in page
    page = admin_client.get(f"/quan-tri/cho?commune={areas.ngai_giao.id}").get_data(as_text=True)
    assert ">CD-KIMLONG</code>" in page and ">CD-DEM</code>" in page

"""The placard pages: overview, printing a market or a stall, PNG, revoke, inspector, access."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from market4.auth.models import Organisation, User
from market4.auth.services import create_user
from market4.db import today
from market4.domain.vietqr import Transfer, encode
from market4.markets import services as market_services
from market4.placards import services
from market4.registry.markets import Market, Stall
from market4.registry.placards import Placard
from market4.registry.stalls import current_occupant
from market4.registry.vendors import PaymentAccount
from tests import factories as f

PASSWORD = "mật khẩu đủ dài"


@dataclass
class World:
    market: Market
    other_market: Market
    stall_id: int
    vacant_stall_id: int
    account_id: int
    manager: User


def make_user(email: str, role: str, organisation: Organisation | None = None, markets=()) -> User:
    user = create_user(
        email=email, name="Người dùng thử", role=role, password=PASSWORD, organisation=organisation
    )
    user.markets = list(markets)
    return user


def sign_in(client, user: User) -> None:
    assert (
        client.post("/dang-nhap", data={"email": user.email, "password": PASSWORD}).status_code
        == 302
    )


@pytest.fixture
def world(session) -> World:
    market, other = f.market(name="Chợ Ngãi Giao"), f.market(name="Chợ Kim Long")
    result = f.registered_vendor(
        f.stall(market, "Sạp 1"), display_name="Nguyễn Thị Đào", account_number="0071001234567"
    )
    vacant = f.stall(market, "Sạp 2")
    f.registered_vendor(f.stall(other, "Sạp 1"))
    board = f.organisation(kind="market_board", bank_bin=None)
    manager = make_user("quanly@example.vn", "market_manager", board, [market])
    return World(market, other, result.occupancy.stall.id, vacant.id, result.account.id, manager)


@pytest.fixture
def manager_client(client, world):
    sign_in(client, world.manager)
    return client


def live(session, stall_id: int) -> list[Placard]:
    return list(
        session.scalars(
            select(Placard).where(
                Placard.stall_id == stall_id, Placard.status.in_(("issued", "posted"))
            )
        )
    )


def test_overview_lists_stalls_and_the_reprint_list(manager_client, world):
    page = manager_client.get(f"/bang-ma/cho/{world.market.code}").get_data(as_text=True)
    assert "Chợ Ngãi Giao" in page and "Sạp 1" in page and "Sạp 2" in page
    assert "Cần in (1)" in page and "Chưa in bảng mã" in page


def test_the_stall_table_is_paged_and_the_summary_counts_every_stall(manager_client, world):
    market = world.market
    for n in range(3, 151):
        f.stall(market, f"Sạp {n}")
    first = manager_client.get(f"/bang-ma/cho/{market.code}").get_data(as_text=True)
    assert first.count('<tr id="sap-') == 100 and "Trang 1 / 2" in first
    assert "<strong>150</strong>" in first  # the summary still counts all 150 stalls
    second = manager_client.get(f"/bang-ma/cho/{market.code}?trang=2").get_data(as_text=True)
    assert second.count('<tr id="sap-') == 50 and 'rel="prev"' in second


def test_printing_a_market_downloads_one_pdf_and_records_the_placards(
    manager_client, world, session
):
    response = manager_client.post(
        f"/bang-ma/cho/{world.market.code}/in", data={"layout": "a4x2", "cover_page": "y"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=bang-ma-{world.market.code}-{today().isoformat()}.pdf"
    )
    [placard] = live(session, world.stall_id)
    assert (placard.layout, placard.printed_by_id, placard.status) == (
        "a4x2",
        world.manager.id,
        "issued",
    )
    page = manager_client.get(f"/bang-ma/cho/{world.market.code}").get_data(as_text=True)
    assert placard.serial in page and "Cần in (0)" in page


def test_only_outdated_with_nothing_to_print_says_so(manager_client, world):
    manager_client.post(f"/bang-ma/cho/{world.market.code}/in", data={"layout": "a4x4"})
    response = manager_client.post(
        f"/bang-ma/cho/{world.market.code}/in",
        data={"layout": "a4x4", "scope": "needed"},
        follow_redirects=True,
    )
    assert "Không có sạp nào để in bảng mã." in response.get_data(as_text=True)


def test_reprinting_posted_placards_asks_first_and_says_how_many(manager_client, world, session):
    from market4.markets import services as markets

    manager_client.post(f"/bang-ma/cho/{world.market.code}/in", data={"layout": "a4x4"})
    [placard] = live(session, world.stall_id)
    markets.record_visit(placard.stall, "placard_posted", actor=None)
    session.commit()
    page = manager_client.get(f"/bang-ma/cho/{world.market.code}").get_data(as_text=True)
    assert re.search(
        r'<input checked[^>]*value="needed"', page
    )  # the safe choice is the default  # the safe choice is the default
    before = session.scalar(select(func.count(Placard.id)))
    asked = manager_client.post(
        f"/bang-ma/cho/{world.market.code}/in", data={"layout": "a4x4", "scope": "all"}
    )
    assert asked.status_code == 409
    text = asked.get_data(as_text=True)
    assert (
        "1 bảng mã đang dán sẽ hết hiệu lực" in text
        and 'name="confirm_superseding" type="hidden" value="1"' in text
    )
    assert session.scalar(select(func.count(Placard.id))) == before and placard.status == "posted"
    preview = manager_client.post(
        f"/bang-ma/cho/{world.market.code}/in",
        data={"layout": "a4x4", "scope": "all", "action": "preview"},
    )
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert session.scalar(select(func.count(Placard.id))) == before  # a preview issues nothing
    done = manager_client.post(
        f"/bang-ma/cho/{world.market.code}/in",
        data={"layout": "a4x4", "scope": "all", "confirm_superseding": "1"},
    )
    assert done.status_code == 200 and done.mimetype == "application/pdf"
    assert placard.status == "superseded"


def test_a_refused_layout_is_shown_next_to_the_field_and_nothing_is_issued(
    manager_client, world, session, monkeypatch
):
    from market4.domain import placard_layout

    monkeypatch.setattr(placard_layout, "MIN_MODULE_MM", 5.0)
    response = manager_client.post(f"/bang-ma/cho/{world.market.code}/in", data={"layout": "a4x4"})
    assert response.status_code == 422
    assert 'id="layout-error"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Placard.id))) == 0


def test_stall_pdf_png_revoke_and_the_inspector(manager_client, world, session):
    response = manager_client.post(
        f"/bang-ma/cho/{world.market.code}/in", data={"layout": "a6", "stall_id": world.stall_id}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    [placard] = live(session, world.stall_id)
    assert placard.layout == "a6"

    png = manager_client.get(f"/bang-ma/sap/{world.stall_id}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    found = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(png.data)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert [code.text for code in found] == [placard.payload]
    assert manager_client.get(f"/bang-ma/sap/{world.vacant_stall_id}.png").status_code == 404

    match = manager_client.get("/bang-ma/kiem-tra", query_string={"payload": placard.payload})
    text = match.get_data(as_text=True)
    assert "<h2>KHỚP</h2>" in text and "<h2>KHÔNG KHỚP</h2>" not in text
    assert "Sạp 1" in text and "Chợ Ngãi Giao" in text and "NGUYEN THI DAO" in text
    assert "Vietcombank" in text and "••••4567" in text and placard.serial in text
    verdict = text[text.index('<section class="verdict') : text.index("</section>")]
    assert "0071001234567" not in verdict  # the QR carries it, but the registry does not repeat it

    assert manager_client.get(f"/bang-ma/{placard.id}/thu-hoi").status_code == 200
    bad = manager_client.post(f"/bang-ma/{placard.id}/thu-hoi", data={"reason": "other"})
    assert bad.status_code == 400 and 'id="note-error"' in bad.get_data(as_text=True)
    done = manager_client.post(f"/bang-ma/{placard.id}/thu-hoi", data={"reason": "swapped"})
    assert done.status_code == 302
    assert (placard.status, placard.end_reason) == ("revoked", "swapped")

    revoked = manager_client.get("/bang-ma/kiem-tra", query_string={"payload": placard.payload})
    assert "<h2>KHÔNG KHỚP</h2>" in revoked.get_data(as_text=True)
    assert "Mã này đã bị thu hồi." in revoked.get_data(as_text=True)
    stranger = encode(Transfer(bin=f.VCB, account="0071009999999"))
    unknown = manager_client.get("/bang-ma/kiem-tra", query_string={"payload": stranger}).get_data(
        as_text=True
    )
    assert "<h2>KHÔNG KHỚP</h2>" in unknown and "Mã này không có trong sổ đăng ký." in unknown
    invalid = manager_client.get(
        "/bang-ma/kiem-tra", query_string={"payload": "xin chào"}
    ).get_data(as_text=True)
    assert "<h2>KHÔNG KHỚP</h2>" in invalid and "không phải mã VietQR" in invalid


def urls(market: Market, stall_id: int, placard_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("GET", f"/bang-ma/cho/{market.code}", {}),
        ("POST", f"/bang-ma/cho/{market.code}/in", {"layout": "a4x4"}),
        (
            "POST",
            f"/bang-ma/cho/{market.code}/in",
            {"layout": "a6", "stall_id": stall_id, "action": "preview"},
        ),
        ("POST", f"/bang-ma/cho/{market.code}/cai-dat", {"mask_account": "y"}),
        ("GET", f"/bang-ma/sap/{stall_id}.png", {}),
        ("GET", f"/bang-ma/{placard_id}/thu-hoi", {}),
        ("POST", f"/bang-ma/{placard_id}/thu-hoi", {"reason": "lost"}),
    ]


def test_who_may_print(client, world, session):
    other_stall = services.needs_reprint(world.other_market)[0]
    other_placard = services.issue_placard(other_stall, placard_account_of(other_stall), actor=None)
    routes = urls(world.other_market, other_stall.id, other_placard.id)

    for method, url, _ in routes:  # signed out: sign in first
        response = client.open(url, method=method)
        assert response.status_code == 302 and response.headers["Location"].startswith(
            "/dang-nhap"
        ), url

    sign_in(client, world.manager)  # manager of another market: it does not exist for them
    for method, url, data in routes:
        assert client.open(url, method=method, data=data).status_code == 404, (method, url)
    client.post("/dang-xuat")

    area = f.commune()
    staff = make_user(
        "xa@example.vn",
        "area_staff",
        f.organisation(kind="commune_office", bank_bin=None, area=area),
    )
    partner = make_user("nh@example.vn", "bank_partner", f.organisation(bank_bin=f.VCB))
    for user in (staff, partner):
        sign_in(client, user)
        for method, url, data in routes:
            assert client.open(url, method=method, data=data).status_code == 403, (
                user.role,
                method,
                url,
            )
        assert (
            client.get("/bang-ma/kiem-tra").status_code == 200
        )  # everyone signed in may check a scan
        client.post("/dang-xuat")
    assert other_placard.status == "issued"
    assert len(live(session, other_stall.id)) == 1

    admin = make_user("admin@example.vn", "admin", f.organisation(kind="operator", bank_bin=None))
    sign_in(client, admin)
    assert client.get(f"/bang-ma/cho/{world.other_market.code}").status_code == 200
    assert (
        client.post(
            f"/bang-ma/cho/{world.other_market.code}/in", data={"layout": "a4x4", "scope": "all"}
        ).status_code
        == 200
    )


def placard_account_of(stall):
    return current_occupant(stall).placard_account


def test_the_inspector_hides_details_outside_the_users_scope(client, world, session):
    stall = services.needs_reprint(world.other_market)[0]
    placard = services.issue_placard(stall, placard_account_of(stall), actor=None)
    sign_in(client, world.manager)
    page = client.get("/bang-ma/kiem-tra", query_string={"payload": placard.payload}).get_data(
        as_text=True
    )
    assert "<h2>KHỚP</h2>" in page and "ngoài phạm vi" in page and placard.serial not in page


def test_a_refusal_is_flashed_in_english_after_the_language_switch(manager_client, world):
    manager_client.post(f"/bang-ma/cho/{world.market.code}/in", data={"layout": "a4x4"})
    manager_client.post("/ngon-ngu/en", data={"next": "/"})
    response = manager_client.post(
        f"/bang-ma/cho/{world.market.code}/in",
        data={"layout": "a4x4", "scope": "needed"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "There are no stalls to print placards for." in page
    assert "Không có sạp nào để in bảng mã." not in page


def test_the_stall_table_filters_by_zone_row_text_and_placard_state(manager_client, world):
    market = world.market
    places = [("Nhà lồng A", "Dãy 1"), ("Nhà lồng A", "Dãy 2"), ("Khu B", "Dãy 1")]
    kiosks = [f.stall(market, f"Ki-ốt {n}", zone=z, row=r) for n, (z, r) in enumerate(places)]
    issued = f.registered_vendor(kiosks[0], display_name="Trần Văn Bình")
    posted = f.registered_vendor(kiosks[1], display_name="Lê Thị Hoa")
    services.issue_placard(kiosks[0], issued.account, actor=None)
    services.issue_placard(kiosks[1], posted.account, actor=None)
    market_services.record_visit(kiosks[1], "placard_posted", actor=None)  # checked today
    url = f"/bang-ma/cho/{market.code}"

    def stalls(query: str) -> set[str]:
        page = manager_client.get(f"{url}?{query}").get_data(as_text=True)
        return set(re.findall(r'<th scope="row"[^>]*>([^<]+)</th>', page))

    assert stalls("") == {"Sạp 1", "Sạp 2", "Ki-ốt 0", "Ki-ốt 1", "Ki-ốt 2"}
    assert stalls("zone=Nhà+lồng+A") == {"Ki-ốt 0", "Ki-ốt 1"}
    assert stalls("zone=Nhà+lồng+A&row=Dãy+2") == {"Ki-ốt 1"}
    assert stalls("q=binh") == {"Ki-ốt 0"}  # the vendor's name, without diacritics
    assert stalls("q=KI-OT+2") == {"Ki-ốt 2"}
    assert stalls("status=issued") == {"Ki-ốt 0"}
    assert stalls("status=posted") == {"Ki-ốt 1"}
    assert stalls("status=visit") == {"Ki-ốt 0"}  # printed, never checked at the stall
    assert stalls("status=no_account") == {"Sạp 2", "Ki-ốt 2"}
    assert stalls("status=reprint") == {"Sạp 1"}
    assert stalls("status=reprint&zone=Khu+B") == set()

    assert stalls("status=+posted+") == {"Ki-ốt 1"}
    assert stalls("status=+&zone=+") == stalls("")  # blank is "all", as the empty choice

    page = manager_client.get(f"{url}?status=nonsense").get_data(as_text=True)
    assert "Lựa chọn không hợp lệ." in page and page.count('<tr id="sap-') == 5
    assert "Không có sạp nào khớp bộ lọc." in manager_client.get(f"{url}?q=zzz").text
    summary = manager_client.get(f"{url}?status=posted").get_data(as_text=True)
    # The summary still counts the whole market, with a link to each list.
    assert re.search(r"<strong>5</strong>\s*sạp", summary)
    assert "status=visit" in summary and "status=reprint" in summary


def test_revoking_from_the_stall_page_returns_to_the_stall(manager_client, world, session):
    stall = session.get(Stall, world.stall_id)
    account = session.get(PaymentAccount, world.account_id)
    placard = services.issue_placard(stall, account, actor=None)
    session.commit()
    stall_url = f"/cho/{world.market.code}/sap/{stall.id}"
    assert 'name="back" value="stall"' in manager_client.get(stall_url).get_data(as_text=True)
    # Opened from the stall's code check, the revoke page carries the way back too.
    page = manager_client.get(f"/bang-ma/{placard.id}/thu-hoi?back=stall").get_data(as_text=True)
    assert re.search(r'name="back"[^>]*value="stall"', page)
    done = manager_client.post(
        f"/bang-ma/{placard.id}/thu-hoi", data={"reason": "lost", "back": "stall"}
    )
    assert done.status_code == 302 and done.headers["Location"] == stall_url
    # Anything else (or nothing) goes to the market's placards, never somewhere given.
    other = services.issue_placard(stall, account, actor=None)
    session.commit()
    done = manager_client.post(
        f"/bang-ma/{other.id}/thu-hoi", data={"reason": "lost", "back": "https://evil.example/"}
    )
    assert done.headers["Location"] == f"/bang-ma/cho/{world.market.code}"

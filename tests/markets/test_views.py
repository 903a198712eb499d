"""The market and stall pages (/cho): who may read and change what, and what each change does.

Small worlds come from ``tests.factories``; the demo district is seeded once, in the test
that needs a real 260-stall market. Users are signed in by writing the Flask-Login
session directly, so these tests do not spend time hashing passwords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from market4.auth.models import User
from market4.dashboard.queries import acceptance_figures
from market4.db import today
from market4.demo.seed import seed
from market4.markets import forms, services
from market4.placards import services as placards
from market4.registry.markets import (
    ACCEPTING,
    NOT_ACCEPTING,
    VISIT_OUTCOMES,
    Market,
    Stall,
    StallStatusChange,
)
from market4.registry.placards import Placard
from market4.registry.vendors import Occupancy
from tests import factories as f
from tests.clients import sign_in_directly

TODAY = lambda: today().strftime("%d/%m/%Y")  # noqa: E731 - read at call time, not import


@dataclass
class World:
    market: Market  # managed by ``manager``
    other: Market  # in the same commune, not managed by ``manager``
    stall: Stall  # in ``market``, a Vietcombank vendor with an issued placard
    vacant: Stall
    users: dict[str, User]


@pytest.fixture
def world(session) -> World:
    area = f.commune()
    market, other = f.market(area=area), f.market(name="Chợ Kim Long", area=area)
    stall = f.stall(market, "Sạp 1", zone="Nhà lồng A")
    result = f.registered_vendor(stall, display_name="Nguyễn Thị Đào")
    placards.issue_placard(stall, result.account, actor=None)
    vacant = f.stall(market, "Sạp 2", zone="Nhà lồng A")
    f.stall(other, "Sạp 1")
    manager = f.user("market_manager", f.organisation("market_board", area=area))
    manager.markets.append(market)
    users = {
        "admin": f.user("admin", f.organisation("operator")),
        "manager": manager,
        "partner": f.user("bank_partner", f.organisation(bank_bin=f.AGRIBANK)),
        "staff": f.user("area_staff", f.organisation("commune_office", area=area)),
    }
    session.flush()
    return World(market, other, stall, vacant, users)


sign_in = sign_in_directly


def figures(market: Market) -> tuple[int, int]:
    [row] = acceptance_figures(market_ids=[market.id]).markets
    return row.stalls_total, row.stalls_accepting


def changes_count(session) -> int:
    return session.scalar(select(func.count()).select_from(StallStatusChange))


# --- who may read and write ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "manager", "partner", "staff"])
def test_every_role_with_the_market_in_scope_reads_its_pages(client, world, role):
    sign_in(client, world.users[role])
    code = world.market.code
    listing = client.get("/cho/")
    assert listing.status_code == 200 and code in listing.text
    assert client.get(f"/cho/?q={code}").status_code == 200
    page = client.get(f"/cho/{code}")
    assert page.status_code == 200 and "Sạp 1" in page.text
    stall_page = client.get(f"/cho/{code}/sap/{world.stall.id}")
    assert stall_page.status_code == 200
    may_write = role in ("admin", "manager")
    assert ("Ghi nhận kiểm tra tại sạp" in stall_page.text) is may_write
    assert ("Thêm sạp" in page.text) is may_write


def test_the_market_list_shows_only_the_managers_markets(client, world):
    sign_in(client, world.users["manager"])
    listing = client.get("/cho/").text
    assert world.market.code in listing and world.other.code not in listing
    sign_in(client, world.users["admin"])
    assert world.other.code in client.get("/cho/").text


def _write_requests(world: World, market: Market, stall: Stall) -> list[tuple[str, str, dict]]:
    base = f"/cho/{market.code}/sap"
    return [
        ("get", f"{base}/moi", {}),
        ("post", f"{base}/moi", {"code": "Sạp 99"}),
        ("get", f"{base}/{stall.id}/sua", {}),
        ("post", f"{base}/{stall.id}/sua", {"code": "Sạp 98"}),
        ("post", f"{base}/{stall.id}/dong", {"closed_on": TODAY()}),
        ("post", f"{base}/{stall.id}/kiem-tra", {"outcome": "declined", "visited_on": TODAY()}),
        ("post", f"{base}/{stall.id}/roi-sap", {"ended_on": TODAY()}),
        ("post", f"{base}/{stall.id}/gan", {"vendor_id": "1", "started_on": TODAY()}),
        ("post", f"{base}/{stall.id}/chuyen", {"to_stall_id": str(stall.id), "moved_on": TODAY()}),
    ]


@pytest.mark.parametrize("who, expected", [("partner", 403), ("staff", 403), (None, 302)])
def test_read_only_roles_and_strangers_cannot_write(client, session, world, who, expected):
    sign_in(client, world.users[who] if who else None)
    before = changes_count(session)
    for method, url, data in _write_requests(world, world.market, world.stall):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == expected, (method, url)
        if expected == 302:
            assert "/dang-nhap" in response.headers["Location"]
    assert changes_count(session) == before
    assert world.stall.code == "Sạp 1" and world.stall.closed_on is None


def test_a_manager_gets_404_on_a_market_they_do_not_manage_and_nothing_changes(
    client, session, world
):
    sign_in(client, world.users["manager"])
    [foreign_stall] = session.scalars(select(Stall).where(Stall.market_id == world.other.id)).all()
    assert client.get(f"/cho/{world.other.code}").status_code == 404
    assert client.get(f"/cho/{world.other.code}/sap/{foreign_stall.id}").status_code == 404
    # A stall of another market reached through the manager's own market code: 404 too.
    assert client.get(f"/cho/{world.market.code}/sap/{foreign_stall.id}").status_code == 404
    before = changes_count(session)
    for method, url, data in _write_requests(world, world.other, foreign_stall):
        assert getattr(client, method)(url, data=data).status_code == 404, (method, url)
    assert changes_count(session) == before
    assert (
        session.scalar(
            select(func.count()).select_from(Stall).where(Stall.market_id == world.other.id)
        )
        == 1
    )
    assert foreign_stall.code == "Sạp 1" and foreign_stall.closed_on is None


# --- stalls -----------------------------------------------------------------------------------


def test_manager_adds_a_stall_and_a_duplicate_code_is_refused_next_to_the_field(
    client, session, world
):
    sign_in(client, world.users["manager"])
    url = f"/cho/{world.market.code}/sap/moi"
    assert client.get(url).status_code == 200
    added = client.post(
        url,
        data={"code": "Sạp 10", "zone": "Nhà lồng B", "row": "Dãy 2", "goods_category": "Rau củ"},
    )
    assert added.status_code == 302
    stall = services.find_stall(world.market, "Sạp 10")
    assert (stall.zone, stall.row, stall.goods_category) == ("Nhà lồng B", "Dãy 2", "Rau củ")
    assert added.headers["Location"].endswith(f"/cho/{world.market.code}/sap/{stall.id}")
    refused = client.post(url, data={"code": "SẠP 10"})
    assert refused.status_code == 422
    error = re.search(r'<p class="error" id="code-error">([^<]*)</p>', refused.text)
    assert error and "Chợ đã có sạp mã “Sạp 10”" in error.group(1)
    assert 'aria-invalid="true"' in refused.text
    unknown = client.post(url, data={"code": "Sạp 11", "goods_category": "xe máy"})
    assert unknown.status_code == 422 and 'id="goods_category-error"' in unknown.text


def test_renaming_a_stall_supersedes_its_placard(client, session, world):
    sign_in(client, world.users["manager"])
    [placard] = placards.live_placards(world.stall)
    edit_url = f"/cho/{world.market.code}/sap/{world.stall.id}/sua"
    assert "bảng mã đang dán hết hiệu lực" in client.get(edit_url).text
    response = client.post(
        edit_url, data={"code": "Sạp 1A", "zone": "Nhà lồng A"}, follow_redirects=True
    )
    assert response.status_code == 200 and "bảng mã cũ hết hiệu lực, cần in lại" in response.text
    assert world.stall.code == "Sạp 1A"
    assert session.get(Placard, placard.id).status == "superseded"
    assert world.stall in placards.needs_reprint(world.market)
    assert "Cần in lại bảng mã" in client.get(f"/cho/{world.market.code}/sap/{world.stall.id}").text


def test_closing_a_stall_takes_it_out_of_the_counts(client, session, world):
    sign_in(client, world.users["manager"])
    services.record_visit(world.stall, "placard_posted", actor=None)
    assert figures(world.market) == (2, 1)
    url = f"/cho/{world.market.code}/sap/{world.stall.id}/dong"
    assert client.post(url, data={"closed_on": "1/1/2020"}).status_code == 422  # before it opened
    # A date that is no date says so, and only so (not "please fill this in").
    invalid = client.post(url, data={"closed_on": "31/02/2026"})
    assert invalid.status_code in (400, 422)
    assert "Ngày không hợp lệ, hãy nhập theo dạng ngày/tháng/năm" in invalid.text
    assert "Vui lòng điền mục này." not in invalid.text
    assert "Vui lòng điền mục này." in client.post(url, data={"closed_on": ""}).text
    assert client.post(url, data={"closed_on": TODAY()}).status_code == 302
    assert world.stall.closed_on == today()
    assert services.current_occupant(world.stall) is None
    # Closed from today: it no longer counts, neither as a stall nor as accepting.
    assert figures(world.market) == (1, 0)
    page = client.get(f"/cho/{world.market.code}").text
    assert "<strong>Sạp 1</strong>" not in page
    assert "<strong>Sạp 1</strong>" in client.get(f"/cho/{world.market.code}?status=closed").text


# --- who trades where ------------------------------------------------------------------------


def test_manager_finds_a_vendor_moves_them_and_confirms_replacing_an_occupant(
    client, session, world
):
    sign_in(client, world.users["manager"])
    code, vendor = world.market.code, services.current_occupant(world.stall)
    found = client.get(f"/cho/{code}/sap/{world.vacant.id}?q=nguyen thi dao").text
    assert "Nguyễn Thị Đào" in found and "Chuyển từ Sạp 1 sang đây" in found
    # The vendor of a market the manager does not manage is not found.
    stranger = f.registered_vendor(f.stall(world.other), display_name="Trần Văn Lạ").vendor
    assert "Trần Văn Lạ" not in client.get(f"/cho/{code}/sap/{world.vacant.id}?q=tran van la").text

    moved = client.post(
        f"/cho/{code}/sap/{world.stall.id}/chuyen",
        data={"to_stall_id": str(world.vacant.id), "moved_on": TODAY()},
    )
    assert moved.status_code == 302
    assert services.current_occupant(world.vacant) == vendor
    assert services.current_occupant(world.stall) is None

    newcomer = f.registered_vendor(world.stall, display_name="Lê Văn Mới").vendor
    assign_url = f"/cho/{code}/sap/{world.vacant.id}/gan"
    data = {"vendor_id": str(newcomer.id), "started_on": TODAY()}
    confirm = client.post(assign_url, data=data)
    assert confirm.status_code == 409
    assert (
        "“Sạp 2” đang có người" in confirm.text
        and 'name="replace_occupant" value="y"' in confirm.text
    )
    assert services.current_occupant(world.vacant) == vendor  # nothing changed yet
    assert client.post(assign_url, data={**data, "replace_occupant": "y"}).status_code == 302
    assert services.current_occupant(world.vacant) == newcomer
    assert (
        client.post(
            assign_url, data={"vendor_id": str(stranger.id), "started_on": TODAY()}
        ).status_code
        == 404
    )


def test_manager_ends_an_occupancy(client, session, world):
    sign_in(client, world.users["manager"])
    url = f"/cho/{world.market.code}/sap/{world.stall.id}/roi-sap"
    assert client.post(url, data={"ended_on": TODAY()}).status_code == 302
    assert services.current_occupant(world.stall) is None
    assert services.current_status(world.stall) == NOT_ACCEPTING
    ended = session.scalar(select(Occupancy).where(Occupancy.stall_id == world.stall.id))
    assert ended.ended_on == today()


# --- verification visits ------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome, status, accepting, live",
    [
        ("placard_posted", ACCEPTING, 1, "posted"),
        ("test_payment_ok", ACCEPTING, 1, "issued"),
        ("declined", NOT_ACCEPTING, 0, "issued"),
        ("vendor_left", NOT_ACCEPTING, 0, "superseded"),
        ("placard_missing", NOT_ACCEPTING, 0, "revoked"),
        ("placard_swapped", NOT_ACCEPTING, 0, "revoked"),
    ],
)
def test_each_visit_outcome_moves_the_status_and_the_figures(
    client, session, world, outcome, status, accepting, live
):
    sign_in(client, world.users["manager"])
    [placard] = placards.live_placards(world.stall)
    assert figures(world.market) == (2, 0)
    response = client.post(
        f"/cho/{world.market.code}/sap/{world.stall.id}/kiem-tra",
        data={"outcome": outcome, "visited_on": TODAY(), "note": "ghi chú"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert services.current_status(world.stall) == status
    assert figures(world.market) == (2, accepting)
    assert session.get(Placard, placard.id).status == live
    label = "Đang nhận QR" if status == ACCEPTING else "Chưa nhận QR"
    assert f"Trạng thái sạp: {label}." in response.text


def test_a_refused_visit_shows_the_reason_next_to_the_form(client, session, world):
    sign_in(client, world.users["manager"])
    vendor_stall = f.stall(world.market, "Sạp 3")
    f.registered_vendor(vendor_stall)  # registered, but no placard printed yet
    url = f"/cho/{world.market.code}/sap/{vendor_stall.id}/kiem-tra"
    response = client.post(url, data={"outcome": "placard_posted", "visited_on": TODAY()})
    assert response.status_code == 409
    alert = re.search(
        r'<div class="error" role="alert" id="visit-error">(.*?)</div>', response.text, re.S
    )
    assert alert and "Chưa in bảng mã cho tài khoản hiện tại" in alert.group(1)
    assert services.current_status(vendor_stall) is None
    vacant = client.post(
        f"/cho/{world.market.code}/sap/{world.vacant.id}/kiem-tra",
        data={"outcome": "test_payment_ok", "visited_on": TODAY()},
    )
    assert vacant.status_code == 409 and "chưa có tiểu thương" in vacant.text
    bad = client.post(url, data={"outcome": "danced", "visited_on": "32/13/2026"})
    assert (
        bad.status_code == 422
        and "Lựa chọn không hợp lệ." in bad.text
        and 'id="visited_on-error"' in bad.text
    )


# --- what each role may read -------------------------------------------------------------


def test_a_bank_partner_never_sees_another_banks_digits_or_customers(client, session, world):
    vcb_account = placards.live_placards(world.stall)[0].payment_account
    agri_stall = f.stall(world.market, "Sạp 4")
    agri = f.registered_vendor(
        agri_stall,
        bank_bin=f.AGRIBANK,
        display_name="Phạm Văn Nông",
        account_number="1234567890123",
    )
    sign_in(client, world.users["partner"])
    page = client.get(f"/cho/{world.market.code}").text
    assert f"…{agri.account.last4}" in page and "Phạm Văn Nông" in page
    assert f"…{vcb_account.last4}" not in page and vcb_account.account_number not in page
    assert "Nguyễn Thị Đào" not in page and "Vietcombank" not in page
    # Searching by the hidden name finds nothing: the filter only reads what is shown.
    assert "<strong>Sạp 1</strong>" not in client.get(f"/cho/{world.market.code}?q=Đào").text
    stall_page = client.get(f"/cho/{world.market.code}/sap/{world.stall.id}").text
    assert vcb_account.last4 not in stall_page and "Nguyễn Thị Đào" not in stall_page
    assert (
        agri.account.account_number
        in client.get(f"/cho/{world.market.code}/sap/{agri_stall.id}").text
    )

    sign_in(client, world.users["manager"])
    managed = client.get(f"/cho/{world.market.code}").text
    assert f"Vietcombank …{vcb_account.last4}" in managed and "Nguyễn Thị Đào" in managed
    assert (
        vcb_account.account_number
        not in client.get(f"/cho/{world.market.code}/sap/{world.stall.id}").text
    )

    sign_in(client, world.users["staff"])
    staff_page = client.get(f"/cho/{world.market.code}").text
    assert "Vietcombank" in staff_page and f"…{vcb_account.last4}" not in staff_page


def test_the_market_page_filters_by_zone_status_and_search(client, session, world):
    sign_in(client, world.users["manager"])
    f.stall(world.market, "Ki-ốt 7", zone="Khu ngoài")
    url = f"/cho/{world.market.code}"
    assert "<strong>Sạp 2</strong>" in client.get(f"{url}?status=vacant").text
    assert "<strong>Sạp 1</strong>" not in client.get(f"{url}?status=vacant").text
    f.registered_vendor(f.stall(world.market, "Sạp 5"))  # registered, no placard printed yet
    reprint = client.get(f"{url}?status=reprint").text
    assert "<strong>Sạp 5</strong>" in reprint and "<strong>Sạp 1</strong>" not in reprint
    by_zone = client.get(f"{url}?zone=Khu+ngoài").text
    assert "<strong>Ki-ốt 7</strong>" in by_zone and "<strong>Sạp 2</strong>" not in by_zone
    assert "<strong>Sạp 1</strong>" in client.get(f"{url}?q=thi dao").text  # diacritics optional
    assert "<strong>Sạp 1</strong>" in client.get(f"{url}?q=Nguyễn Thị Đào").text
    assert "<strong>Sạp 2</strong>" not in client.get(f"{url}?q=Nguyễn Thị Đào").text


def test_the_demo_market_of_260_stalls_in_natural_order(client, session):
    seed()
    manager = session.scalar(select(User).where(User.email == "quanlycho@demo.market4.vn"))
    sign_in(client, manager)
    page = client.get("/cho/CD-NGAIGIAO")
    assert page.status_code == 200
    assert "260 sạp · Trang 1 / 3" in page.text  # a hundred stalls per page
    assert page.text.count('<td data-label="Mã sạp"') == 100
    pages = "".join(client.get(f"/cho/CD-NGAIGIAO?trang={n}").text for n in (1, 2, 3))
    assert pages.count('<td data-label="Mã sạp"') == 260
    assert pages.index("<strong>Sạp 2</strong>") < pages.index("<strong>Sạp 10</strong>")
    listing = client.get("/cho/").text
    assert "CD-NGAIGIAO" in listing and "CD-DEM-NGAIGIAO" in listing and "CD-KIMLONG" not in listing
    # The demo manager does not manage Chợ Kim Long: 404, and nothing is created there.
    assert client.get("/cho/CD-KIMLONG").status_code == 404
    assert client.post("/cho/CD-KIMLONG/sap/moi", data={"code": "Sạp 999"}).status_code == 404
    kim_long = session.scalar(select(Market).where(Market.code == "CD-KIMLONG"))
    assert services.find_stall(kim_long, "Sạp 999") is None


def test_visit_labels_say_what_the_models_say():
    assert {key: str(label) for key, label in forms.VISIT_LABELS.items()} == VISIT_OUTCOMES


def test_a_long_market_is_paged_and_filtered_by_row(client, world):
    """A hundred stalls per page (a thousand-stall market on a phone); filters travel
    with the page links; the row filter keeps only that row."""
    for n in range(3, 206):
        f.stall(world.market, f"Sạp {n}", zone="Nhà lồng B", row=f"Dãy {n % 2 + 1}")
    sign_in_directly(client, world.users["admin"])
    first = client.get(f"/cho/{world.market.code}").text
    assert "205 sạp · Trang 1 / 3" in first
    assert first.count('data-label="Mã sạp"') == 100
    assert f'href="/cho/{world.market.code}?trang=2"' in first
    last = client.get(f"/cho/{world.market.code}?zone=Nh%C3%A0+l%E1%BB%93ng+B&trang=3").text
    assert "203 sạp · Trang 3 / 3" in last and last.count('data-label="Mã sạp"') == 3
    assert "zone=Nh%C3%A0+l%E1%BB%93ng+B&amp;trang=2" in last  # the filter is kept
    beyond = client.get(f"/cho/{world.market.code}?trang=99").text
    assert "Trang 3 / 3" in beyond  # clamped, not an empty page
    row = client.get(f"/cho/{world.market.code}?row=D%C3%A3y+1").text
    codes = re.findall(r"<strong>(Sạp \d+)</strong>", row)
    assert codes and all(int(code.split()[1]) % 2 == 0 for code in codes)

"""The bank partner's vendor pages over HTTP, on SQLite and PostgreSQL.

A small world per test (one Agribank branch with an area, a Vietcombank branch, a
market in the area, one outside it); the demo district only where a test needs real
volumes (no other bank's number anywhere on the Agribank partner's pages).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from market4.auth.models import User
from market4.demo.seed import seed
from market4.markets import services as markets
from market4.placards import services as placards
from market4.registry.markets import Stall
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from tests import factories as f
from tests.vendors.conftest import PASSWORD, World


def signed_in(app, user: User, password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/dang-nhap", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def next_to(html: str, field_id: str, kind: str = "error") -> str:
    """The message the page shows beside ``field_id`` (kind "error" or "warning")."""
    marker = f'id="{field_id}-{kind}">'
    assert marker in html, f"no {kind} shown next to {field_id}"
    start = html.index(marker) + len(marker)
    return html[start : html.index("</p>", start)]


def counts(session) -> tuple[int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Vendor, PaymentAccount, Occupancy)
    )


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Nguyễn Thị Bích Thủy",
        "bank_style_name": "",
        "phone": f.phone(),
        "account_number": f"0012{f.next_number():09d}",
        "holder_name": "",
        "goods_category": "Rau củ",
        "partner_reference": "",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def register_url(world: World, stall: Stall | None = None) -> str:
    return f"/tieu-thuong/dang-ky/{world.market.code}/{(stall or world.stall).id}"


def agribank_vendor(world: World, at: Stall | None = None, **overrides):
    return f.registered_vendor(
        at or f.stall(world.market),
        org=world.agribank.organisation,
        bank_bin=f.AGRIBANK,
        **overrides,
    )


# --- who may come in ----------------------------------------------------------------------


def test_signed_out_visitors_go_to_sign_in(client, world):
    for path in ("/tieu-thuong/", "/tieu-thuong/dang-ky", register_url(world), "/tieu-thuong/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"], path
    response = client.post("/tieu-thuong/kiem-tra", json={})
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_area_staff_are_refused(app, world):
    client = signed_in(app, world.staff)
    for path in ("/tieu-thuong/", "/tieu-thuong/dang-ky", register_url(world)):
        assert client.get(path).status_code == 403, path
    assert client.post(register_url(world), data=form_data()).status_code == 403
    assert client.post("/tieu-thuong/kiem-tra", json={}).status_code == 403


# --- registering ----------------------------------------------------------------------------


def test_partner_finds_market_and_stall_then_registers(app, session, world):
    client = signed_in(app, world.agribank)
    markets_page = client.get("/tieu-thuong/dang-ky?q=ngai giao").get_data(as_text=True)
    assert world.market.code in markets_page and world.outside.code not in markets_page
    stalls_page = client.get(f"/tieu-thuong/dang-ky?cho={world.market.code}").get_data(as_text=True)
    assert "Sạp 7" in stalls_page and "Trống" in stalls_page and register_url(world) in stalls_page
    jump = client.get(f"/tieu-thuong/dang-ky?cho={world.market.code}&sap={world.stall.id}")
    assert jump.status_code == 302 and jump.headers["Location"].endswith(register_url(world))

    form = client.get(register_url(world)).get_data(as_text=True)
    assert "Agribank" in form and 'name="bank_bin"' not in form  # the partner's bank is fixed
    consent = re.search(r'<input[^>]*name="consent"[^>]*>', form).group(0)
    assert "checked" not in consent  # never pre-ticked (Law 91/2025)
    assert "91/2025" in form

    response = client.post(
        register_url(world), data=form_data(account_number="0012 3456 78901", phone="0912 000 777")
    )
    assert response.status_code == 302
    vendor = session.scalar(select(Vendor).where(Vendor.phone_e164 == "+84912000777"))
    assert response.headers["Location"].endswith(f"/tieu-thuong/{vendor.id}")
    account = vendor.accounts[0]
    assert (account.bank_bin, account.account_number) == (f.AGRIBANK, "0012345678901")  # zeros kept
    assert vendor.bank_style_name == "NGUYEN THI BICH THUY" and vendor.consent_at is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã đăng ký Nguyễn Thị Bích Thủy tại Sạp 7" in page and "0012345678901" in page


def test_stall_search_filters_vacant_and_not_accepting(app, world):
    occupied = f.stall(world.market, "Sạp 12")
    f.registered_vendor(occupied, bank_bin=f.VCB, display_name="Đỗ Thị Lan")
    mine = agribank_vendor(world, f.stall(world.market, "Sạp 14"), display_name="Võ Văn Bảy")
    client = signed_in(app, world.agribank)
    base = f"/tieu-thuong/dang-ky?cho={world.market.code}"
    listing = client.get(base).get_data(as_text=True)
    # A Vietcombank-only customer stays unnamed to Agribank; its own customer is named.
    assert "Đỗ Thị Lan" not in listing and "Đang có tiểu thương" in listing
    assert mine.vendor.display_name in listing
    vacant = client.get(base + "&trong=y").get_data(as_text=True)
    assert "Sạp 7" in vacant and "Sạp 12" not in vacant
    found = client.get(base + "&tim=vo van bay").get_data(as_text=True)  # accents optional
    assert "Sạp 14" in found and "Sạp 7" not in found
    assert "Sạp 12" not in client.get(base + "&tim=do thi lan").get_data(as_text=True)
    assert "Sạp 12" in client.get(base + "&chua_nhan=y").get_data(
        as_text=True
    )  # never accepted yet


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("display_name", "", "Cần nhập tên tiểu thương"),
        ("display_name", "123", "Tên phải có chữ cái"),
        ("phone", "912345678", "mất số 0 ở đầu"),
        ("phone", "01234567890", "11 số"),
        ("phone", "", "Cần nhập số điện thoại"),
        ("account_number", "9.70E+15", "dạng số mũ"),
        ("account_number", "12345.0", "số thập phân"),
        ("account_number", "", "Cần nhập số tài khoản"),
        ("consent", None, "Cần có sự đồng ý"),
    ],
)
def test_each_error_is_shown_next_to_its_field_in_vietnamese(
    app, session, world, field, value, words
):
    client = signed_in(app, world.agribank)
    before = counts(session)
    response = client.post(register_url(world), data=form_data(**{field: value}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert words in next_to(html, field)
    assert 'aria-invalid="true"' in html
    assert counts(session) == before


def test_every_bad_field_is_reported_at_once(app, world):
    client = signed_in(app, world.agribank)
    html = client.post(
        register_url(world),
        data=form_data(display_name="", phone="912345678", account_number="9.70E+15", consent=None),
    ).get_data(as_text=True)
    for field in ("display_name", "phone", "account_number", "consent"):
        assert next_to(html, field)


def test_same_bank_account_is_a_duplicate_and_nothing_is_created(app, session, world):
    existing = agribank_vendor(world)
    client = signed_in(app, world.agribank)
    before = counts(session)
    response = client.post(
        register_url(world), data=form_data(account_number=existing.account.account_number)
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Tài khoản ngân hàng này đã được đăng ký" in next_to(html, "account_number")
    assert f'href="/tieu-thuong/{existing.vendor.id}"' in html  # their own: linked
    assert counts(session) == before


def test_a_phone_at_another_bank_is_not_looked_up(app, session, world):
    other_bank = f.registered_vendor(f.stall(world.market), bank_bin=f.VCB)
    client = signed_in(app, world.agribank)
    phone = "0" + other_bank.vendor.phone_e164[3:]
    response = client.post(register_url(world), data=form_data(phone=phone))
    assert response.status_code == 302  # registered: whom Vietcombank serves is not said
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Số điện thoại đã được đăng ký" not in shown


def test_same_phone_warns_then_registers_once_acknowledged(app, session, world):
    other_bank = agribank_vendor(world)
    phone = "0" + other_bank.vendor.phone_e164[3:]
    client = signed_in(app, world.agribank)
    before = counts(session)
    response = client.post(register_url(world), data=form_data(phone=phone))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # Refused until acknowledged: an error (listed in the summary), the box to tick beside it.
    assert "Số điện thoại đã được đăng ký" in next_to(html, "phone")
    assert 'name="acknowledge_phone"' in html
    assert other_bank.account.account_number not in html
    assert counts(session) == before

    response = client.post(register_url(world), data=form_data(phone=phone, acknowledge_phone="y"))
    assert response.status_code == 302
    assert counts(session) == (before[0] + 1, before[1] + 1, before[2] + 1)
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Số điện thoại đã được đăng ký cho tiểu thương khác" in shown  # flashed as a warning


def test_at_an_occupied_stall_a_bank_adds_the_occupants_account_or_asks_the_board(
    app, session, world
):
    occupied = f.stall(world.market, "Sạp 9")
    old = f.registered_vendor(occupied, bank_bin=f.VCB, display_name="Lê Thị Hạnh")
    client = signed_in(app, world.agribank)
    url = register_url(world, occupied)
    page = client.get(url).get_data(as_text=True)
    assert (
        "Thêm tài khoản cho tiểu thương đang ở sạp" in page
        and "Gửi đề nghị cho ban quản lý chợ" in page
    )
    before = counts(session)
    response = client.post(url, data=form_data())  # someone else: refused, no way to evict
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(
        r'role="alert" id="occupied">\s*<p><strong>Họ tên hoặc số điện thoại không khớp', html
    )
    assert 'name="replace_occupant"' not in html
    assert counts(session) == before and markets.current_occupant(occupied).id == old.vendor.id

    phone = "0" + old.vendor.phone_e164[3:]
    response = client.post(url, data=form_data(display_name="LE THI HANH", phone=phone))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tieu-thuong/{old.vendor.id}")
    assert counts(session) == (before[0], before[1] + 1, before[2])  # an account, not a person
    added = session.scalar(
        select(PaymentAccount).where(
            PaymentAccount.vendor_id == old.vendor.id, PaymentAccount.bank_bin == f.AGRIBANK
        )
    )
    assert not added.is_on_placard and old.account.is_on_placard  # the VCB placard keeps paying
    assert "Đã thêm tài khoản cho Lê Thị Hạnh" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_only_an_admin_replaces_the_occupant_from_the_form(app, session, world):
    occupied = f.stall(world.market, "Sạp 9")
    old = f.registered_vendor(occupied, bank_bin=f.VCB)
    client = signed_in(app, world.admin)
    url = register_url(world, occupied)
    data = form_data(bank_bin=f.AGRIBANK)
    html = client.post(url, data=data).get_data(as_text=True)
    assert 'name="replace_occupant"' in html
    response = client.post(url, data={**data, "replace_occupant": "y"})
    assert response.status_code == 302
    assert markets.current_occupant(occupied).display_name == "Nguyễn Thị Bích Thủy"
    assert old.occupancy.ended_on is not None


def test_admin_chooses_the_bank(app, session, world):
    client = signed_in(app, world.admin)
    assert 'name="bank_bin"' in client.get(register_url(world)).get_data(as_text=True)
    response = client.post(register_url(world), data=form_data(bank_bin=f.VCB, phone="0912000888"))
    assert response.status_code == 302
    vendor = session.scalar(select(Vendor).where(Vendor.phone_e164 == "+84912000888"))
    assert vendor.accounts[0].bank_bin == f.VCB


def test_partner_cannot_register_outside_their_area(app, world):
    client = signed_in(app, world.agribank)
    stall = f.stall(world.outside)
    assert client.get(f"/tieu-thuong/dang-ky/{world.outside.code}/{stall.id}").status_code == 404
    assert client.get(f"/tieu-thuong/dang-ky?cho={world.outside.code}").status_code == 404
    # A stall of another market under this market's code.
    assert client.get(f"/tieu-thuong/dang-ky/{world.market.code}/{stall.id}").status_code == 404


# --- the live check ----------------------------------------------------------------------------


def test_check_returns_folded_name_and_field_problems(app, world):
    client = signed_in(app, world.agribank)
    answer = client.post(
        "/tieu-thuong/kiem-tra",
        json={
            "display_name": "Nguyễn Thị Bích Thủy",
            "phone": "912345678",
            "account_number": "9.70E+15",
        },
    ).get_json()
    name = answer["fields"]["bank_style_name"]
    assert name["folded"] == name["value"] == "NGUYEN THI BICH THUY"
    assert "mất số 0" in answer["fields"]["phone"]["errors"][0]
    assert "số mũ" in answer["fields"]["account_number"]["errors"][0]
    assert answer["duplicates"] == []


def test_check_reports_duplicates_without_revealing_other_banks(app, world):
    mine = agribank_vendor(world)
    theirs = f.registered_vendor(f.stall(world.market), bank_bin=f.VCB)
    client = signed_in(app, world.agribank)
    answer = client.post(
        "/tieu-thuong/kiem-tra",
        json={
            "display_name": "Lê Văn Tám",
            "phone": "0" + theirs.vendor.phone_e164[3:],
            "account_number": mine.account.account_number,
        },
    ).get_json()
    found = {d["field"]: d for d in answer["duplicates"]}
    assert found["account_number"]["links"] == [f"/tieu-thuong/{mine.vendor.id}"]
    assert "phone" not in found  # a Vietcombank vendor's phone finds nothing from Agribank
    # The Vietcombank number is a duplicate only at Vietcombank, never seen from Agribank.
    answer = client.post(
        "/tieu-thuong/kiem-tra",
        json={"display_name": "Lê Văn Tám", "account_number": theirs.account.account_number},
    ).get_json()
    assert answer["duplicates"] == []


def test_check_on_the_edit_page_does_not_flag_the_vendors_own_data(app, world):
    mine = agribank_vendor(world)
    client = signed_in(app, world.agribank)
    answer = client.post(
        "/tieu-thuong/kiem-tra",
        json={
            "display_name": mine.vendor.display_name,
            "phone": mine.vendor.phone_e164,
            "account_number": mine.account.account_number,
            "account_id": str(mine.account.id),
            "vendor_id": str(mine.vendor.id),
        },
    ).get_json()
    assert answer["duplicates"] == []


def test_check_is_csrf_protected(app, world):
    client = signed_in(app, world.agribank)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/tieu-thuong/kiem-tra", json={"display_name": "An"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- other banks' vendors and accounts are out of reach ------------------------------------------


def test_partner_cannot_read_or_change_another_banks_vendor(app, session, world):
    theirs = f.registered_vendor(
        f.stall(world.market), bank_bin=f.VCB, display_name="Phạm Văn Bình"
    )
    client = signed_in(app, world.agribank)
    vendor_id, account_id = theirs.vendor.id, theirs.account.id
    assert client.get(f"/tieu-thuong/{vendor_id}").status_code == 404
    assert client.get(f"/tieu-thuong/{vendor_id}/sua").status_code == 404
    assert (
        client.post(f"/tieu-thuong/{vendor_id}/sua", data={"display_name": "Tên khác"}).status_code
        == 404
    )
    assert (
        client.post(
            f"/tieu-thuong/tai-khoan/{account_id}/ngung", data={"reason": "thử"}
        ).status_code
        == 404
    )
    session.expire_all()
    assert session.get(Vendor, vendor_id).display_name == "Phạm Văn Bình"
    assert session.get(PaymentAccount, account_id).status == "active"


def test_vendor_page_shows_only_the_partners_own_bank(app, session, world):
    result = agribank_vendor(world)
    other = PaymentAccount(
        vendor=result.vendor,
        bank_bin=f.VCB,
        account_number="5550001112223",
        holder_name="NGUYEN THI DAO",
    )
    session.add(other)
    session.flush()
    html = (
        signed_in(app, world.agribank)
        .get(f"/tieu-thuong/{result.vendor.id}")
        .get_data(as_text=True)
    )
    assert result.account.account_number in html
    assert "5550001112223" not in html and "Vietcombank" not in html
    manager_html = (
        signed_in(app, world.manager).get(f"/tieu-thuong/{result.vendor.id}").get_data(as_text=True)
    )
    assert "…2223" in manager_html and "5550001112223" not in manager_html
    assert result.account.account_number not in manager_html


def test_lists_by_role(app, world):
    mine = agribank_vendor(world, display_name="Trần Thị Hoa")
    theirs = f.registered_vendor(f.stall(world.market), bank_bin=f.VCB, display_name="Võ Văn Kiệt")
    partner = signed_in(app, world.agribank).get("/tieu-thuong/").get_data(as_text=True)
    assert "Trần Thị Hoa" in partner and mine.account.account_number in partner
    assert "Võ Văn Kiệt" not in partner and theirs.account.account_number not in partner
    manager = signed_in(app, world.manager).get("/tieu-thuong/").get_data(as_text=True)
    assert "Trần Thị Hoa" in manager and "Võ Văn Kiệt" in manager
    assert mine.account.account_number not in manager and f"…{mine.account.last4}" in manager
    admin = signed_in(app, world.admin).get("/tieu-thuong/?q=vo van").get_data(as_text=True)
    assert theirs.account.account_number in admin and "Trần Thị Hoa" not in admin


# --- editing and deactivating ---------------------------------------------------------------------


def test_edit_of_the_account_supersedes_the_placard(app, session, world):
    result = agribank_vendor(world)
    stall = result.occupancy.stall
    placard = placards.issue_placard(stall, result.account, actor=None)
    markets.record_visit(stall, "placard_posted", actor=None)
    assert stall not in placards.needs_reprint(world.market)
    client = signed_in(app, world.agribank)
    form = client.get(f"/tieu-thuong/{result.vendor.id}/sua").get_data(as_text=True)
    assert "in và dán bảng mới" in form
    response = client.post(
        f"/tieu-thuong/{result.vendor.id}/sua",
        data={
            "display_name": result.vendor.display_name,
            "bank_style_name": result.vendor.bank_style_name,
            "phone": "0" + result.vendor.phone_e164[3:],
            "account_number": "0099887766554",
            "holder_name": result.account.holder_name,
        },
    )
    assert response.status_code == 302
    assert result.account.account_number == "0099887766554"
    assert placard.status == "superseded"
    assert stall in placards.needs_reprint(world.market)
    assert "cần in lại" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_edit_shows_errors_next_to_fields(app, session, world):
    result = agribank_vendor(world)
    client = signed_in(app, world.agribank)
    response = client.post(
        f"/tieu-thuong/{result.vendor.id}/sua",
        data={
            "display_name": "",
            "bank_style_name": "",
            "phone": "912345678",
            "account_number": "9.70E+15",
            "holder_name": "",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("display_name", "phone", "account_number"):
        assert next_to(html, field)
    session.expire_all()
    assert session.get(Vendor, result.vendor.id).display_name == "Nguyễn Thị Đào"


def test_deactivate_needs_a_reason_then_closes_the_account(app, session, world):
    result = agribank_vendor(world)
    client = signed_in(app, world.agribank)
    url = f"/tieu-thuong/tai-khoan/{result.account.id}/ngung"
    response = client.post(url, data={"reason": "  "})
    assert response.status_code == 422
    assert "Cần ghi lý do" in next_to(response.get_data(as_text=True), "reason")
    assert result.account.status == "active"
    response = client.post(url, data={"reason": "Tiểu thương đóng tài khoản"})
    assert response.status_code == 302
    assert result.account.status == "closed" and result.account.closed_at is not None
    assert (
        client.post(url, data={"reason": "lần hai"}).status_code == 302
    )  # already closed: flashed
    assert "Tài khoản đã đóng" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_manager_may_read_but_not_edit_accounts(app, world):
    result = agribank_vendor(world)
    client = signed_in(app, world.manager)
    assert client.get(f"/tieu-thuong/{result.vendor.id}").status_code == 200
    assert client.get(f"/tieu-thuong/{result.vendor.id}/sua").status_code == 403
    assert (
        client.post(
            f"/tieu-thuong/tai-khoan/{result.account.id}/ngung", data={"reason": "x"}
        ).status_code
        == 403
    )


# --- the demo district: another bank's numbers never reach the Agribank partner ----------------------


def test_agribank_pages_never_contain_other_banks_numbers(app, session):
    seed()
    session.flush()
    partner = session.scalar(select(User).where(User.email == "agribank@demo.market4.vn"))
    client = signed_in(app, partner, "market4-demo")
    others = list(
        session.scalars(select(PaymentAccount).where(PaymentAccount.bank_bin != f.AGRIBANK))
    )
    vietcombank = next(a for a in others if a.bank_bin == f.VCB)
    # A vendor with accounts at Agribank and at another bank.
    shared = next(a for a in others if any(b.bank_bin == f.AGRIBANK for b in a.vendor.accounts))
    pages = [client.get("/tieu-thuong/").get_data(as_text=True)]
    while 'rel="next"' in pages[-1]:
        pages.append(client.get(f"/tieu-thuong/?trang={len(pages) + 1}").get_data(as_text=True))
    assert len(pages) >= 9  # 445 Agribank accounts, 50 a page
    # Searching for another bank's number finds nothing (the page only echoes the query).
    searched = client.get(f"/tieu-thuong/?q={vietcombank.account_number}").get_data(as_text=True)
    assert ">0 tài khoản<" in searched and "<tbody>" not in searched
    pages.append(client.get(f"/tieu-thuong/{shared.vendor_id}").get_data(as_text=True))
    only_elsewhere = next(
        a for a in others if all(b.bank_bin != f.AGRIBANK for b in a.vendor.accounts)
    )
    assert client.get(f"/tieu-thuong/{only_elsewhere.vendor_id}").status_code == 404
    html = "\n".join(pages)
    assert vietcombank.account_number not in html
    assert shared.account_number not in html
    leaked = [a.account_number for a in others if a.account_number in html]
    assert leaked == []
    mine = session.scalars(
        select(PaymentAccount.account_number).where(PaymentAccount.bank_bin == f.AGRIBANK)
    )
    assert all(number in html for number in mine)  # every one of their own, across the pages

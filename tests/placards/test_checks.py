"""The check of what is posted at a stall: matches, another stall's code, an old placard,
an unregistered (stuck-on) code; recorded as a visit, and what each viewer may read."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.auth.services import create_user
from market4.domain.placard_png import render_qr_png
from market4.domain.vietqr import Transfer, encode
from market4.errors import PermissionDenied
from market4.markets import services as markets
from market4.placards import checks, services
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, StallStatusChange, VerificationVisit
from tests import factories as f
from tests.clients import PASSWORD, signed_in


def posted(result):
    stall = result.occupancy.stall
    placard = services.issue_placard(stall, result.account, actor=None)
    markets.record_visit(stall, "placard_posted", actor=None)
    return placard


def state(session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (VerificationVisit, StallStatusChange, AuditEvent)
    )


def test_the_stalls_own_placard_matches_and_confirms_an_issued_one_as_posted(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    placard = services.issue_placard(stall, result.account, actor=None)
    check = checks.check_posted_code(stall, placard.payload, actor=None)
    assert (check.verdict, check.placard, check.own_stand) == ("matches", placard, False)
    assert placard.status == "posted" and markets.current_status(stall) == ACCEPTING
    assert check.visit.outcome == "code_matches" and check.visit.found_placard_id == placard.id


def test_a_genuine_placard_of_another_stall_is_a_swap(session):
    market = f.market()
    eleven, twelve = (
        f.registered_vendor(f.stall(market, "Sạp 11")),
        f.registered_vendor(f.stall(market, "Sạp 12")),
    )
    placard_11 = posted(eleven)
    posted(twelve)
    stall_12 = twelve.occupancy.stall
    check = checks.check_posted_code(stall_12, placard_11.payload, actor=None)
    assert (check.verdict, check.other_stall.code) == ("other_stall", "Sạp 11")
    assert markets.current_status(stall_12) == NOT_ACCEPTING  # until it is fixed
    assert (
        check.visit.outcome == "code_other_stall"
        and check.visit.scanned_payload == placard_11.payload
    )
    fixed = checks.check_posted_code(stall_12, services.payload_for(twelve.account), actor=None)
    assert fixed.verdict == "matches" and markets.current_status(stall_12) == ACCEPTING


def test_the_vendors_own_bank_stand_matches_even_in_another_tag_order(session):
    result = f.registered_vendor(account_number="0071001234567")
    stall = result.occupancy.stall
    # A bank app's stand: holder name in 59, lower-case CRC, a purpose: another payload, same account.
    stand = encode(
        Transfer(
            bin=f.VCB, account="0071001234567", merchant_name="NGUYEN THI DAO", purpose="Ban hang"
        )
    )
    stand = stand[:-4] + stand[-4:].lower()
    check = checks.check_posted_code(stall, stand, actor=None)
    assert (check.verdict, check.own_stand, check.account) == ("matches", True, result.account)
    assert markets.current_status(stall) == ACCEPTING


def test_an_old_placard_and_a_closed_account_are_outdated(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    old = posted(result)
    from market4.vendors import services as vendors

    vendors.update_registration(
        result.account, {"account_number": "0071009999999"}, organisation=None, actor=None
    )
    check = checks.check_posted_code(stall, old.payload, actor=None)
    assert (check.verdict, check.placard) == ("outdated", old)
    assert markets.current_status(stall) == NOT_ACCEPTING


def test_an_unregistered_code_is_a_stuck_on_fake(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    posted(result)
    fake = encode(Transfer(bin=f.VCB, account="0071000000666"))
    check = checks.check_posted_code(stall, fake, actor=None)
    assert check.verdict == "unregistered" and check.visit.outcome == "code_unregistered"
    assert markets.current_status(stall) == NOT_ACCEPTING
    last = session.scalars(
        select(StallStatusChange)
        .where(StallStatusChange.stall_id == stall.id)
        .order_by(StallStatusChange.id.desc())
    ).first()
    assert last.reason == "wrong_code_found"


def test_invalid_text_records_nothing_and_a_dynamic_code_without_amount_is_read(session):
    result = f.registered_vendor(account_number="0071001234567")
    stall = result.occupancy.stall
    before = state(session)
    assert checks.check_posted_code(stall, "xin chào", actor=None).verdict == "invalid"
    assert state(session) == before
    canonical = encode(Transfer(bin=f.VCB, account="0071001234567"))
    dynamic = canonical.replace("010211", "010212", 1)[:-4]
    from market4.domain.vietqr import checksum

    dynamic += checksum(dynamic)
    check = checks.check_posted_code(stall, dynamic, actor=None)
    assert check.verdict == "matches" and [w.code for w in check.warnings] == [
        "dynamic_without_amount"
    ]


def test_a_read_only_check_writes_nothing_and_a_refused_role_changes_nothing(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    placard = posted(result)
    before = state(session)
    assert checks.check_posted_code(stall, placard.payload, actor=None, record=False).visit is None
    office = f.organisation(kind="commune_office", bank_bin=None)
    staff = f.user("area_staff", org=office)
    with pytest.raises(PermissionDenied):
        checks.check_posted_code(stall, placard.payload, actor=staff)
    outsider = f.user(
        "bank_partner", org=f.organisation(bank_bin=f.AGRIBANK, area=f.commune("Xã khác"))
    )
    with pytest.raises(PermissionDenied) as info:
        checks.check_posted_code(stall, placard.payload, actor=outsider)
    assert info.value.code == "outside_area"
    assert state(session) == before


@pytest.fixture
def people(session):
    market = f.market(name="Chợ Ngãi Giao")
    area = market.commune
    bidv = f.registered_vendor(
        f.stall(market, "Sạp 11"),
        bank_bin="970418",
        account_number="12010000123456",
        display_name="Trần Thị Mai",
    )
    agri = f.registered_vendor(
        f.stall(market, "Sạp 12"),
        bank_bin=f.AGRIBANK,
        account_number="1500205123456",
        display_name="Lê Văn Tám",
    )
    bidv_placard, agri_placard = posted(bidv), posted(agri)
    partner = create_user(
        email="agri@example.vn",
        name="Agribank",
        role="bank_partner",
        password=PASSWORD,
        organisation=f.organisation(bank_bin=f.AGRIBANK, area=area),
    )
    manager = create_user(
        email="ql@example.vn",
        name="Quản lý",
        role="market_manager",
        password=PASSWORD,
        organisation=f.organisation(kind="market_board", bank_bin=None),
    )
    manager.markets.append(market)
    staff = create_user(
        email="xa@example.vn",
        name="Cán bộ xã",
        role="area_staff",
        password=PASSWORD,
        organisation=f.organisation(kind="commune_office", bank_bin=None, area=area),
    )
    return {
        "market": market,
        "bidv": bidv,
        "agri": agri,
        "bidv_placard": bidv_placard,
        "agri_placard": agri_placard,
        "partner": partner,
        "manager": manager,
        "staff": staff,
    }


def test_the_page_answers_for_this_stall_and_never_shows_another_banks_holder(app, session, people):
    client = signed_in(app, people["partner"])
    stall_12 = people["agri"].occupancy.stall
    url = f"/bang-ma/sap/{stall_12.id}/kiem-tra"
    assert "Kiểm tra mã đang dán tại Sạp 12" in client.get(url).get_data(as_text=True)
    swapped = client.post(url, data={"payload": people["bidv_placard"].payload})
    text = swapped.get_data(as_text=True)
    assert swapped.status_code == 200 and "MÃ CỦA SẠP KHÁC" in text and "Sạp 11" in text
    assert "TRAN THI MAI" not in text  # another bank's holder name is never shown to a bank
    assert "Đã ghi nhận lần kiểm tra" in text
    stall_11 = people["bidv"].occupancy.stall
    match = client.post(
        f"/bang-ma/sap/{stall_11.id}/kiem-tra", data={"payload": people["bidv_placard"].payload}
    )
    assert "KHỚP với Sạp 11" in match.get_data(as_text=True)
    assert "TRAN THI MAI" not in match.get_data(as_text=True)
    manager_view = signed_in(app, people["manager"]).post(
        f"/bang-ma/sap/{stall_11.id}/kiem-tra", data={"payload": people["bidv_placard"].payload}
    )
    assert "TRAN THI MAI" in manager_view.get_data(
        as_text=True
    )  # the market board knows its vendors


def test_a_photo_of_the_posted_code_is_read_on_the_server(app, session, people):
    stall = people["agri"].occupancy.stall
    png = render_qr_png(people["agri_placard"].payload, module_px=8)
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buffer, "JPEG", quality=85)
    client = signed_in(app, people["manager"])
    response = client.post(
        f"/bang-ma/sap/{stall.id}/kiem-tra",
        content_type="multipart/form-data",
        data={"photo": (io.BytesIO(buffer.getvalue()), "anh.jpg")},
    )
    assert "KHỚP với Sạp 12" in response.get_data(as_text=True)
    blank = client.post(
        f"/bang-ma/sap/{stall.id}/kiem-tra",
        content_type="multipart/form-data",
        data={"photo": (io.BytesIO(b"not an image"), "anh.jpg")},
    )
    assert blank.status_code == 422 and "Không mở được ảnh" in blank.get_data(as_text=True)


def test_a_phone_sized_photo_is_not_refused_for_its_size(app, session, people):
    """A phone camera's JPEG is several MB, far above the 1 MB other forms accept."""
    stall = people["agri"].occupancy.stall
    qr = Image.open(io.BytesIO(render_qr_png(people["agri_placard"].payload, module_px=12)))
    grain = Image.frombytes("L", (2400, 1800), os.urandom(2400 * 1800)).convert("RGB")
    grain.paste(qr.convert("RGB"), (800, 500))
    buffer = io.BytesIO()
    grain.save(buffer, "JPEG", quality=95)
    assert buffer.tell() > 2 * 1024 * 1024
    # Encoded here: the test client would spool a big upload to a temporary file it never
    # closes.
    boundary = "market4-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
            f'filename="anh.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + buffer.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = signed_in(app, people["manager"]).post(
        f"/bang-ma/sap/{stall.id}/kiem-tra",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 200
    assert "KHỚP với Sạp 12" in response.get_data(as_text=True)


def test_area_staff_see_the_answer_without_recording_it(app, session, people):
    stall = people["agri"].occupancy.stall
    client = signed_in(app, people["staff"])
    before = state(session)
    response = client.post(
        f"/bang-ma/sap/{stall.id}/kiem-tra", data={"payload": people["bidv_placard"].payload}
    )
    text = response.get_data(as_text=True)
    assert "MÃ CỦA SẠP KHÁC" in text and "không ghi nhận" in text
    assert state(session) == before


def test_the_bank_partners_list_flags_a_stall_where_a_wrong_code_was_found(app, session, people):
    stall = people["agri"].occupancy.stall
    checks.check_posted_code(
        stall, encode(Transfer(bin=f.VCB, account="0071000000666")), actor=None
    )
    session.commit()
    page = signed_in(app, people["partner"]).get("/tieu-thuong/").get_data(as_text=True)
    assert "Mã lạ tại sạp" in page
    checks.check_posted_code(stall, people["agri_placard"].payload, actor=None)
    session.commit()
    assert "Mã lạ tại sạp" not in signed_in(app, people["partner"]).get("/tieu-thuong/").get_data(
        as_text=True
    )

"""Registering, changing and closing vendor registrations (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from market4.audit.models import AuditEvent
from market4.dashboard.queries import acceptance_figures
from market4.domain.vietqr import decode
from market4.errors import Conflict, Duplicate, PermissionDenied, Problems, ValidationFailed
from market4.markets import services as markets
from market4.placards import services as placards
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, StallStatusChange
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vendors import services
from tests import factories as f


def row_counts(session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Vendor, PaymentAccount, Occupancy, AuditEvent, StallStatusChange)
    )


def accepting_on_market(market) -> int:
    return acceptance_figures(market_ids=[market.id]).markets[0].stalls_accepting


def posted_placard(result, actor=None):
    """Issue and post a placard for a fresh registration: the stall then accepts."""
    stall = result.occupancy.stall
    placard = placards.issue_placard(stall, result.account, actor=actor)
    markets.record_visit(stall, "placard_posted", actor=actor)
    return placard


# --- registration ----------------------------------------------------------------------


def test_registration_happy_path(session):
    stall = f.stall(goods_category=None)
    bank = f.organisation(bank_bin=f.VCB)
    actor = f.user(org=bank)
    data = f.registration(
        stall,
        display_name="  Nguyễn   Thị Đào ",
        phone="0912 345 678",
        account_number="0071-0012-34567",
        goods_category="rau cu",
        partner_reference="VCB-1",
    )

    result = services.register_vendor(data, organisation=bank, actor=actor)

    vendor, account, occupancy = result.vendor, result.account, result.occupancy
    assert (vendor.display_name, vendor.bank_style_name, vendor.phone_e164) == (
        "Nguyễn Thị Đào",
        "NGUYEN THI DAO",
        "+84912345678",
    )
    assert vendor.consent_at is not None and vendor.registered_by_org_id == bank.id
    assert (account.bank_bin, account.account_number, account.holder_name, account.kind) == (
        f.VCB,
        "0071001234567",
        "NGUYEN THI DAO",
        "bank",
    )
    assert account.is_on_placard and account.status == "active" and not account.is_card
    assert account.partner_reference == "VCB-1"
    assert account.verified_at is not None  # the bank vouches for its own customer
    assert (occupancy.stall_id, occupancy.vendor_id, occupancy.ended_on) == (
        stall.id,
        vendor.id,
        None,
    )
    assert stall.goods_category == "Rau củ"
    assert markets.current_occupant(stall) is vendor
    assert vendor.placard_account is account
    assert result.warnings == ()
    actions = set(session.execute(select(AuditEvent.action, AuditEvent.object_type)))
    assert {
        ("register", "Vendor"),
        ("create", "PaymentAccount"),
        ("assign", "Occupancy"),
    } <= actions
    # Bank data is sensitive: the audit log keeps only the last digits.
    logged = session.scalar(
        select(AuditEvent.after).where(AuditEvent.object_type == "PaymentAccount")
    )
    assert logged["account_number"] == "…4567"


def test_wallet_and_card_kinds_come_from_the_directory_and_the_number(session):
    wallet = f.registered_vendor(bank_bin=f.MOMO, account_number="0912000999")
    assert wallet.account.kind == "wallet"
    card = f.registered_vendor(account_number="9704 3600 1234 5672")
    assert card.account.is_card and card.account.kind == "bank"
    assert decode(placards.payload_for(card.account)).transfer.service == "QRIBFTTC"


def test_registration_by_market_and_stall_code(session):
    stall = f.stall(code="Sạp 12")
    data = f.registration(None, market=stall.market, stall_code="SẠP  12")
    result = services.register_vendor(data, organisation=f.organisation(), actor=None)
    assert result.occupancy.stall_id == stall.id


def test_every_validation_error_is_reported_with_its_field_and_nothing_is_written(session):
    stall = f.stall()
    bank = f.organisation()
    before = row_counts(session)
    data = f.registration(
        None,
        market=stall.market,
        stall_code="Sạp không có",
        display_name="",
        phone="912345678",
        bank_bin="999999",
        account_number="9.70E+15",
        goods_category="xe máy",
        consent_given=False,
    )
    with pytest.raises(ValidationFailed) as info:
        services.register_vendor(data, organisation=bank, actor=None)
    codes = {(e.field, e.code) for e in info.value.errors}
    assert codes == {
        ("display_name", "required"),
        ("phone", "phone_leading_zero_lost"),
        ("account_number", "account_number_scientific"),
        ("goods_category", "unknown_goods_category"),
        ("bank_bin", "unknown_bank"),
        ("stall_code", "unknown_stall"),
        ("consent", "consent_required"),
    }
    assert not session.new and not session.dirty  # nothing was even added, let alone flushed
    assert row_counts(session) == before


def test_the_same_bank_account_is_a_duplicate_not_an_invalid_row(session):
    first = f.registered_vendor()
    before = row_counts(session)
    again = f.registration(
        f.stall(),
        account_number=" "
        + first.account.account_number[:4]
        + "-"
        + first.account.account_number[4:],
    )
    with pytest.raises(Duplicate) as info:
        services.register_vendor(again, organisation=f.organisation(), actor=None)
    duplicate = info.value
    assert not isinstance(duplicate, ValidationFailed)
    assert (duplicate.code, duplicate.field, duplicate.object_type) == (
        "duplicate_account",
        "account_number",
        "PaymentAccount",
    )
    assert duplicate.object_ids == (first.account.id,)
    assert duplicate.as_dict()["vendor_ids"] == [first.vendor.id]
    assert row_counts(session) == before


def test_the_same_number_at_another_bank_is_another_account(session):
    number = f.account_number(f.AGRIBANK)  # 13 digits: valid at both banks
    first = f.registered_vendor(account_number=number)
    other = f.registered_vendor(bank_bin=f.AGRIBANK, account_number=number)
    assert other.account.id != first.account.id


def test_same_phone_is_a_warning_unless_strict(session):
    first = f.registered_vendor(phone="0912 000 111")
    second = f.registered_vendor(phone="+84912000111")
    assert [w.code for w in second.warnings] == ["duplicate_phone"]
    with pytest.raises(Duplicate) as info:
        services.register_vendor(
            f.registration(f.stall(), phone="0912000111"),
            organisation=f.organisation(),
            actor=None,
            strict_phone=True,
        )
    assert info.value.field == "phone"
    assert set(info.value.object_ids) == {first.vendor.id, second.vendor.id}


def test_a_bank_partner_registers_only_at_its_own_bank(session):
    agribank = f.organisation(bank_bin=f.AGRIBANK)
    before = row_counts(session)
    with pytest.raises(PermissionDenied) as info:
        services.register_vendor(
            f.registration(f.stall(), bank_bin=f.VCB), organisation=agribank, actor=None
        )
    assert info.value.code == "other_bank"
    assert row_counts(session) == before


def test_monitoring_offices_may_not_register(session):
    office = f.organisation(kind="commune_office", bank_bin=None)
    with pytest.raises(PermissionDenied):
        services.register_vendor(f.registration(f.stall()), organisation=office, actor=None)
    # A market board records who trades where, never an account number (auth.policy).
    board = f.organisation(kind="market_board", bank_bin=None)
    with pytest.raises(PermissionDenied) as info:
        services.register_vendor(
            f.registration(f.stall(), bank_bin=f.AGRIBANK), organisation=board, actor=None
        )
    assert info.value.code == "manager_no_accounts"
    # The system (CLI, no organisation) registers at any bank, without vouching for it.
    result = services.register_vendor(
        f.registration(f.stall(), bank_bin=f.AGRIBANK), organisation=None, actor=None
    )
    assert result.account.verified_at is None  # only the bank itself vouches


def test_an_occupied_stall_is_a_conflict_and_nothing_is_written(session):
    first = f.registered_vendor()
    stall = first.occupancy.stall
    before = row_counts(session)
    with pytest.raises(Conflict) as info:
        services.register_vendor(f.registration(stall), organisation=f.organisation(), actor=None)
    assert info.value.code == "stall_occupied"
    # The refusal names no one: the caller may be another bank.
    assert (
        "vendor_id" not in info.value.details
        and first.vendor.display_name not in info.value.message
    )
    assert row_counts(session) == before


def test_replacing_the_occupant_ends_the_old_occupancy_and_its_placards(session):
    first = f.registered_vendor()
    stall = first.occupancy.stall
    old_placard = posted_placard(first)
    assert markets.current_status(stall) == ACCEPTING

    with pytest.raises(PermissionDenied) as info:  # a bank asks the market board instead
        services.register_vendor(
            f.registration(stall, display_name="Trần Văn Ơn"),
            organisation=f.organisation(),
            actor=None,
            replace_occupant=True,
        )
    assert info.value.code == "bank_no_occupancy" and first.occupancy.ended_on is None
    second = services.register_vendor(
        f.registration(stall, display_name="Trần Văn Ơn"),
        organisation=None,
        actor=None,
        replace_occupant=True,
    )

    assert first.occupancy.ended_on is not None
    assert markets.current_occupant(stall) is second.vendor
    assert old_placard.status == "superseded"
    assert markets.current_status(stall) == NOT_ACCEPTING
    assert placards.needs_reprint(stall.market) == [stall]


def test_a_closed_stall_cannot_be_registered(session):
    stall = f.stall()
    markets.close_stall(stall, actor=None)
    with pytest.raises(Conflict) as info:
        services.register_vendor(f.registration(stall), organisation=f.organisation(), actor=None)
    assert info.value.code == "stall_closed"


def national(phone_e164: str) -> str:
    return "0" + phone_e164[3:]


def three_conflicts(bank):
    """A registration at an occupied stall with another vendor's phone and another
    vendor's bank account (all three at ``bank``, so a branch of it may be told)."""
    occupant = f.registered_vendor(org=bank, display_name="Lê Thị Hạnh")
    phone_owner = f.registered_vendor(org=bank, display_name="Phạm Văn Sáu")
    account_owner = f.registered_vendor(org=bank, display_name="Đỗ Thị Lan")
    data = f.registration(
        occupant.occupancy.stall,
        display_name="Trần Văn Ơn",
        phone=national(phone_owner.vendor.phone_e164),
        account_number=account_owner.account.account_number,
    )
    return data, (occupant, phone_owner, account_owner)


def test_every_reason_to_refuse_a_registration_is_reported_at_once(session):
    bank = f.organisation()
    data, others = three_conflicts(bank)
    before = row_counts(session)

    with pytest.raises(Problems) as info:
        services.register_vendor(data, organisation=bank, actor=None, strict_phone=True)
    refused = info.value
    assert (refused.status, refused.code) == (409, "conflict")
    assert [(e.field, e.code) for e in refused.errors] == [
        ("stall_code", "stall_occupied"),
        ("account_number", "duplicate_account"),
        ("phone", "duplicate_phone"),
    ]
    stall, phone_owner, account_owner = others[0].occupancy.stall, others[1], others[2]
    by_code = {e.code: e.message for e in refused.errors}
    # Each names the value and the rule, never the other person.
    assert by_code["stall_occupied"].startswith(f"{stall.code} đang có tiểu thương khác")
    assert national(phone_owner.vendor.phone_e164)[:4] in by_code["duplicate_phone"]
    assert account_owner.account.account_number in by_code["duplicate_account"].replace(" ", "")
    assert not any(
        other.vendor.display_name in message for other in others for message in by_code.values()
    )
    assert row_counts(session) == before

    # Without strictness (the API, an acknowledged form) the phone only warns, and the
    # warning goes with the refusal.
    with pytest.raises(Problems) as info:
        services.register_vendor(data, organisation=bank, actor=None)
    assert [e.code for e in info.value.errors] == ["stall_occupied", "duplicate_account"]
    assert [w.code for w in info.value.warnings] == ["duplicate_phone"]

    # A field to fix as well: 422, with the conflicts still listed.
    with pytest.raises(Problems) as info:
        services.register_vendor(
            replace(data, consent_given=False), organisation=bank, actor=None, strict_phone=True
        )
    assert (info.value.status, info.value.code) == (422, "validation_failed")
    assert [e.code for e in info.value.errors] == [
        "consent_required",
        "stall_occupied",
        "duplicate_account",
        "duplicate_phone",
    ]
    assert row_counts(session) == before


def test_a_field_to_fix_does_not_hide_whether_it_is_the_stalls_vendor(session):
    bank = f.organisation()
    occupant = f.registered_vendor(org=bank, display_name="Lê Thị Hạnh")
    stall, phone = occupant.occupancy.stall, national(occupant.vendor.phone_e164)
    # The occupant's own name and phone, a bad account number: only the number is wrong.
    with pytest.raises(ValidationFailed) as info:
        services.register_vendor(
            f.registration(stall, display_name="Lê Thị Hạnh", phone=phone, account_number="1.2E+9"),
            organisation=bank,
            actor=None,
            strict_phone=True,
        )
    assert info.value.codes == {"account_number_scientific"}
    # Someone else's name with a broken phone: the stall is someone else's all the same.
    with pytest.raises(Problems) as info:
        services.register_vendor(
            f.registration(stall, display_name="Trần Văn Ơn", phone="0912"),
            organisation=bank,
            actor=None,
        )
    assert [e.code for e in info.value.errors] == ["phone_length", "stall_occupied"]
    # The occupant's name with a broken phone: whether it is them cannot be told yet.
    with pytest.raises(ValidationFailed):
        services.register_vendor(
            f.registration(stall, display_name="Lê Thị Hạnh", phone="0912"),
            organisation=bank,
            actor=None,
        )


# --- changes ---------------------------------------------------------------------------


def test_an_account_change_supersedes_the_placard_and_the_stall_needs_a_reprint(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    placard = posted_placard(result)
    assert accepting_on_market(stall.market) == 1
    assert placards.needs_reprint(stall.market) == []

    update = services.update_registration(
        result.account,
        {"account_number": "2222 3333 4444"},
        organisation=f.organisation(),
        actor=None,
    )

    assert result.account.account_number == "222233334444"
    assert update.superseded == (placard,) and placard.status == "superseded"
    assert placard.end_reason == "account changed"
    assert markets.current_status(stall) == NOT_ACCEPTING
    change = session.scalars(
        select(StallStatusChange).order_by(StallStatusChange.id.desc())
    ).first()
    assert change.reason == "placard_superseded"
    assert placards.needs_reprint(stall.market) == [stall]
    assert accepting_on_market(stall.market) == 0
    assert update.changed == {"account_number": "…4444"}


def test_a_holder_name_change_supersedes_too_but_a_phone_change_does_not(session):
    result = f.registered_vendor()
    placard = posted_placard(result)
    services.update_registration(
        result.vendor,
        {"phone": "0912 999 888", "display_name": "Nguyễn Thị Đào Hoa"},
        organisation=f.organisation(),
        actor=None,
    )
    assert result.vendor.phone_e164 == "+84912999888"
    assert (
        result.vendor.bank_style_name == "NGUYEN THI DAO HOA"
    )  # it was the folded name, so it follows
    assert placard.status == "posted"
    services.update_registration(
        result.vendor,
        {"holder_name": "nguyễn thị đào hoa"},
        organisation=f.organisation(),
        actor=None,
    )
    assert result.account.holder_name == "NGUYEN THI DAO HOA"
    assert placard.status == "superseded"


def test_update_refuses_duplicates_bad_values_and_other_banks(session):
    first = f.registered_vendor()
    second = f.registered_vendor()
    with pytest.raises(Duplicate) as info:
        services.update_registration(
            second.account,
            {"account_number": first.account.account_number},
            organisation=f.organisation(),
            actor=None,
        )
    assert info.value.object_ids == (first.account.id,)
    with pytest.raises(ValidationFailed) as invalid:
        services.update_registration(
            second.vendor,
            {"phone": "912345678", "colour": "red"},
            organisation=f.organisation(),
            actor=None,
        )
    assert {(e.field, e.code) for e in invalid.value.errors} == {
        ("phone", "phone_leading_zero_lost"),
        ("colour", "unknown_field"),
    }
    with pytest.raises(PermissionDenied):
        services.update_registration(
            second.account,
            {"holder_name": "X Y"},
            organisation=f.organisation(bank_bin=f.AGRIBANK),
            actor=None,
        )
    with pytest.raises(PermissionDenied):
        services.update_registration(
            second.account,
            {"bank_bin": f.AGRIBANK},
            organisation=f.organisation(bank_bin=f.VCB),
            actor=None,
        )


def test_deactivation_closes_the_account_and_the_stall_stops_accepting(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    placard = posted_placard(result)

    services.deactivate_registration(
        result.account,
        organisation=f.organisation(),
        actor=None,
        reason="Tiểu thương đóng tài khoản",
    )

    assert result.account.status == "closed" and result.account.closed_at is not None
    assert placard.status == "superseded"
    assert markets.current_status(stall) == NOT_ACCEPTING
    change = session.scalars(
        select(StallStatusChange).order_by(StallStatusChange.id.desc())
    ).first()
    assert change.reason == "account_closed"
    assert result.vendor.placard_account is None
    assert placards.needs_reprint(stall.market) == []  # nothing left to print
    with pytest.raises(Conflict):
        services.deactivate_registration(
            result.account, organisation=f.organisation(), actor=None, reason="x"
        )


def test_deactivation_needs_a_reason(session):
    result = f.registered_vendor()
    with pytest.raises(ValidationFailed):
        services.deactivate_registration(
            result.account, organisation=f.organisation(), actor=None, reason=" "
        )
    assert result.account.status == "active"


# --- queries ---------------------------------------------------------------------------


def test_find_duplicates_normalises_its_inputs(session):
    first = f.registered_vendor(phone="0912000222", account_number="5555 6666 77")
    report = services.find_duplicates(f.VCB, "5555-6666-77", "+84 912 000 222")
    assert report.account_ids == [first.account.id]
    assert report.phone_vendor_ids == [first.vendor.id]
    assert services.find_duplicates(f.AGRIBANK, "5555666677", "garbage").is_empty


def test_visible_accounts_query_limits_bank_partners_to_their_bin(session):
    area = f.commune()
    at_vcb = f.registered_vendor(f.stall(f.market(area=area)))
    at_agribank = f.registered_vendor(bank_bin=f.AGRIBANK)

    def visible(org):
        return set(session.scalars(services.visible_accounts_query(org)))

    assert visible(f.organisation(bank_bin=f.VCB)) == {at_vcb.account}
    assert visible(f.organisation(bank_bin=f.AGRIBANK)) == {at_agribank.account}
    assert visible(f.organisation(kind="operator", bank_bin=None)) >= {
        at_vcb.account,
        at_agribank.account,
    }
    assert visible(f.organisation(kind="commune_office", bank_bin=None, area=area)) == {
        at_vcb.account
    }
    assert visible(f.organisation(kind="commune_office", bank_bin=None)) == set()

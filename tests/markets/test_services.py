"""Stalls, occupancy and verification visits, and how they move the acceptance figures."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market4.dashboard.queries import acceptance_figures
from market4.db import today
from market4.errors import Conflict, ValidationFailed
from market4.markets import services
from market4.placards import services as placards
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, StallStatusChange, VerificationVisit
from market4.vendors import services as vendor_services
from tests import factories as f


def figures(market) -> tuple[int, int]:
    [m] = acceptance_figures(market_ids=[market.id]).markets
    return m.stalls_total, m.stalls_accepting


def last_reason(session, stall) -> str:
    return session.scalars(
        select(StallStatusChange.reason)
        .where(StallStatusChange.stall_id == stall.id)
        .order_by(StallStatusChange.id.desc())
    ).first()


def vendor_with_placard(stall=None):
    result = f.registered_vendor(stall)
    placard = placards.issue_placard(result.occupancy.stall, result.account, actor=None)
    return result, placard


# --- stalls ----------------------------------------------------------------------------


def test_create_stall_normalises_and_refuses_duplicate_codes(session):
    market = f.market()
    stall = services.create_stall(
        market,
        unicodedata.normalize("NFD", " Sạp  1 "),
        zone="Nhà lồng A",
        row="Dãy 1",
        goods_category="thit",
        actor=None,
    )
    assert (stall.code, stall.zone, stall.row, stall.goods_category) == (
        "Sạp 1",
        "Nhà lồng A",
        "Dãy 1",
        "Thịt",
    )
    assert stall.opened_on == today()
    for clash in ("SẠP 1", "sạp 1", unicodedata.normalize("NFD", "Sạp 1")):
        with pytest.raises(Conflict) as info:
            services.create_stall(market, clash, actor=None)
        assert info.value.code == "duplicate_stall_code"
        assert info.value.details["stall_id"] == stall.id
    # Codes are unique per market only.
    assert services.create_stall(f.market(), "Sạp 1", actor=None).code == "Sạp 1"


def test_create_stall_reports_every_bad_field(session):
    with pytest.raises(ValidationFailed) as info:
        services.create_stall(f.market(), "", zone="Z" * 61, goods_category="xe máy", actor=None)
    assert info.value.fields == {"code", "zone", "goods_category"}


def test_renaming_a_stall_supersedes_its_placards(session):
    result, placard = vendor_with_placard()
    stall = result.occupancy.stall
    services.record_visit(stall, "placard_posted", actor=None)

    services.update_stall(stall, zone="Khu B", actor=None)
    assert placard.status == "posted"  # the zone is not printed

    services.update_stall(stall, code="Sạp 99", actor=None)
    assert placard.status == "superseded"
    assert services.current_status(stall) == NOT_ACCEPTING
    assert last_reason(session, stall) == "placard_superseded"
    assert placards.needs_reprint(stall.market) == [stall]


def test_renaming_to_an_existing_code_is_a_conflict(session):
    market = f.market()
    f.stall(market, "Sạp 1")
    other = f.stall(market, "Sạp 2")
    with pytest.raises(Conflict):
        services.update_stall(other, code="sạp 1", actor=None)
    assert services.update_stall(other, code="SẠP 2", actor=None).code == "SẠP 2"  # itself is fine


def test_close_stall(session):
    result, placard = vendor_with_placard()
    stall = result.occupancy.stall
    services.record_visit(stall, "placard_posted", actor=None)
    assert figures(stall.market) == (1, 1)

    services.close_stall(stall, actor=None)

    assert stall.closed_on == today()
    assert result.occupancy.ended_on == today()
    assert placard.status == "superseded"
    assert (
        services.current_status(stall) == NOT_ACCEPTING
        and last_reason(session, stall) == "stall_closed"
    )
    assert figures(stall.market) == (0, 0)  # a closed stall leaves the counts
    assert placards.needs_reprint(stall.market) == []
    with pytest.raises(Conflict):
        services.close_stall(stall, actor=None)


def test_stalls_sort_naturally_by_code_whatever_their_zone(session):
    market = f.market()
    for zone, code in [
        ("Khu B", "Sạp 1"),
        ("Khu A", "Sạp 10"),
        ("Khu A", "Sạp 2"),
        (None, "Sạp 0"),
        ("khu a", "Sạp 3"),
    ]:
        f.stall(market, code, zone=zone)
    ordered = [(s.zone, s.code) for s in services.stalls_in_order(market)]
    assert ordered == [
        (None, "Sạp 0"),
        ("Khu B", "Sạp 1"),
        ("Khu A", "Sạp 2"),
        ("khu a", "Sạp 3"),
        ("Khu A", "Sạp 10"),
    ]
    assert services.find_stall(market, "SẠP 10").code == "Sạp 10"


# --- occupancy ---------------------------------------------------------------------------


def test_assign_vendor_is_idempotent_and_refuses_an_occupied_stall(session):
    first = f.registered_vendor()
    stall = first.occupancy.stall
    assert services.assign_vendor(stall, first.vendor, actor=None) is first.occupancy
    second = f.registered_vendor()
    with pytest.raises(Conflict) as info:
        services.assign_vendor(stall, second.vendor, actor=None)
    assert info.value.code == "stall_occupied"
    assert services.current_occupant(stall) is first.vendor


def test_move_vendor_vacates_one_stall_and_needs_a_placard_at_the_other(session):
    market = f.market()
    result, placard = vendor_with_placard(f.stall(market, "Sạp 1"))
    old = result.occupancy.stall
    services.record_visit(old, "placard_posted", actor=None)
    new = f.stall(market, "Sạp 2")

    occupancy = services.move_vendor(result.vendor, old, new, actor=None)

    assert occupancy.stall_id == new.id and services.current_occupant(new) is result.vendor
    assert services.current_occupant(old) is None
    assert placard.status == "superseded"
    assert (
        services.current_status(old) == NOT_ACCEPTING and last_reason(session, old) == "vendor_left"
    )
    assert placards.needs_reprint(market) == [new]
    with pytest.raises(Conflict):
        services.move_vendor(result.vendor, old, new, actor=None)  # no longer at the old stall


def test_end_occupancy(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    ended = services.end_occupancy(stall, actor=None)
    assert ended is result.occupancy and ended.ended_on == today()
    assert services.current_occupant(stall) is None
    assert services.end_occupancy(stall, actor=None) is None


# --- visits ----------------------------------------------------------------------------


def test_placard_posted_needs_a_vendor_an_account_and_a_printed_placard(session):
    stall = f.stall()
    with pytest.raises(Conflict) as vacant:
        services.record_visit(stall, "placard_posted", actor=None)
    assert vacant.value.code == "stall_vacant"
    result = f.registered_vendor(stall)
    with pytest.raises(Conflict) as unprinted:
        services.record_visit(stall, "placard_posted", actor=None)
    assert unprinted.value.code == "no_live_placard"
    vendor_services.deactivate_registration(
        result.account, organisation=None, actor=None, reason="x", channel="cli"
    )
    with pytest.raises(Conflict) as closed:
        services.record_visit(stall, "test_payment_ok", actor=None)
    assert closed.value.code == "no_placard_account"
    assert session.scalar(select(VerificationVisit.id)) is None


def test_visits_move_the_status_and_the_dashboard(session):
    market = f.market()
    result, placard = vendor_with_placard(f.stall(market))
    stall = result.occupancy.stall
    f.stall(market)  # a second, vacant stall
    manager = f.user(role="market_manager", org=f.organisation(kind="market_board", bank_bin=None))
    manager.markets.append(market)
    assert figures(market) == (2, 0)

    visit = services.record_visit(stall, "placard_posted", actor=manager, note=" dán ở cột ")
    assert (visit.placard_id, visit.outcome, visit.note, visit.recorded_by_id) == (
        placard.id,
        "placard_posted",
        "dán ở cột",
        manager.id,
    )
    assert placard.status == "posted" and placard.posted_at is not None
    assert figures(market) == (2, 1)

    services.record_visit(stall, "declined", actor=manager)
    assert figures(market) == (2, 0) and last_reason(session, stall) == "declined"

    services.record_visit(stall, "test_payment_ok", actor=manager)
    assert figures(market) == (2, 1) and last_reason(session, stall) == "test_payment_ok"


def test_visit_dates_are_effective_dates(session):
    result, _ = vendor_with_placard()
    stall = result.occupancy.stall
    week_ago = today() - timedelta(days=7)
    services.record_visit(stall, "placard_posted", actor=None, on=week_ago)
    assert services.current_status(stall, on=week_ago - timedelta(days=1)) is None
    assert services.current_status(stall, on=week_ago) == ACCEPTING
    [m] = acceptance_figures(on=week_ago, market_ids=[stall.market_id]).markets
    assert m.stalls_accepting == 1


@pytest.mark.parametrize("outcome", ["placard_missing", "placard_swapped"])
def test_missing_or_swapped_placards_are_revoked_for_good(session, outcome):
    result, placard = vendor_with_placard()
    stall = result.occupancy.stall
    services.record_visit(stall, "placard_posted", actor=None)

    visit = services.record_visit(stall, outcome, actor=None)

    assert visit.placard_id == placard.id
    assert placard.status == "revoked" and placard.end_reason == outcome
    assert (
        services.current_status(stall) == NOT_ACCEPTING
        and last_reason(session, stall) == "placard_revoked"
    )
    assert placards.needs_reprint(stall.market) == [stall]
    with pytest.raises(Conflict):
        placards.mark_posted(placard, actor=None)  # never trusted again
    with pytest.raises(Conflict):
        services.record_visit(stall, "placard_posted", actor=None)


def test_vendor_left_ends_the_occupancy(session):
    result, placard = vendor_with_placard()
    stall = result.occupancy.stall
    services.record_visit(stall, "placard_posted", actor=None)
    services.record_visit(stall, "vendor_left", actor=None)
    assert result.occupancy.ended_on == today()
    assert placard.status == "superseded"
    assert (
        services.current_status(stall) == NOT_ACCEPTING
        and last_reason(session, stall) == "vendor_left"
    )
    assert placards.needs_reprint(stall.market) == []


def test_unknown_outcomes_and_closed_stalls_are_refused(session):
    stall = f.stall()
    with pytest.raises(ValidationFailed) as info:
        services.record_visit(stall, "happy", actor=None)
    assert info.value.fields == {"outcome"}
    services.close_stall(stall, actor=None, on=today() - timedelta(days=30))
    with pytest.raises(Conflict):
        services.record_visit(stall, "declined", actor=None)


def test_a_new_person_starts_at_a_stall_without_an_account(session):
    from market4.errors import PermissionDenied
    from market4.registry.vendors import PaymentAccount, Vendor

    market = f.market()
    stall = f.stall(market, "Sạp 5")
    manager = f.user(role="market_manager", org=f.organisation(kind="market_board", bank_bin=None))
    manager.markets.append(market)
    with pytest.raises(ValidationFailed) as invalid:
        services.add_new_vendor(
            stall, display_name="", phone="912345678", consent_given=False, actor=manager
        )
    assert {e.field for e in invalid.value.errors} == {"display_name", "phone", "consent"}
    partner = f.user(role="bank_partner", org=f.organisation(bank_bin=f.AGRIBANK))
    with pytest.raises(PermissionDenied):
        services.add_new_vendor(
            stall,
            display_name="Đinh Thị Mới",
            phone="0912000777",
            consent_given=True,
            actor=partner,
        )
    assert session.scalar(select(func.count()).select_from(Vendor)) == 0
    occupancy = services.add_new_vendor(
        stall, display_name="Đinh Thị Mới", phone="0912000777", consent_given=True, actor=manager
    )
    vendor = occupancy.vendor
    assert (vendor.bank_style_name, vendor.phone_e164) == ("DINH THI MOI", "+84912000777")
    assert services.current_occupant(stall) is vendor
    assert session.scalar(select(func.count()).select_from(PaymentAccount)) == 0
    with pytest.raises(Conflict):  # someone trades there now: replacing is explicit
        services.add_new_vendor(
            stall, display_name="Lê Văn Khác", phone="0912000778", consent_given=True, actor=manager
        )


# --- which stalls need a visit ------------------------------------------------------------


def test_needs_a_visit_when_never_checked_long_ago_or_a_problem_was_found(session):
    from market4.markets.queries import stall_rows

    market = f.market()
    stalls = {name: f.stall(market, code=name) for name in "ABCDE"}
    for name in "ABCD":
        vendor_with_placard(stalls[name])
    services.record_visit(stalls["B"], "placard_posted", actor=None)  # checked today
    services.record_visit(
        stalls["C"], "placard_posted", actor=None, on=today() - timedelta(days=90)
    )
    services.record_visit(stalls["D"], "placard_posted", actor=None)
    session.add(VerificationVisit(stall_id=stalls["D"].id, outcome="code_other_stall"))
    session.flush()
    f.registered_vendor(stalls["E"])  # no placard yet: print first, nothing to check
    needing = {row.stall.code for row in stall_rows(market) if row.needs_visit}
    assert needing == {"A", "C", "D"}


def test_the_market_page_filters_the_stalls_that_need_a_visit(client, session):
    from tests.clients import sign_in_directly

    market = f.market()
    checked, unchecked = f.stall(market, code="Sạp 1"), f.stall(market, code="Sạp 2")
    for stall in (checked, unchecked):
        vendor_with_placard(stall)
    services.record_visit(checked, "placard_posted", actor=None)
    sign_in_directly(client, f.user(role="admin"))
    html = client.get(f"/cho/{market.code}?status=visit").get_data(as_text=True)
    assert "Sạp 2" in html and "Sạp 1" not in html.split("Danh sách sạp")[1]
    assert "Cần đến kiểm tra <strong>1</strong>" in html


def test_messages_name_a_stall_without_doubling_its_word(app):
    from market4.registry.stalls import stall_name

    with app.test_request_context():
        assert str(stall_name("Sạp 12")) == "Sạp 12"
        assert str(stall_name("Ki-ốt 7")) == "Ki-ốt 7"
        assert str(stall_name("quầy 3")) == "quầy 3"
        assert str(stall_name("A12")) == "Sạp A12"
        assert str(stall_name("Sạp12")) == "Sạp12"
        assert str(stall_name("Kim 3")) == "Sạp Kim 3"  # "Ki…" alone is not "Ki-ốt"


def test_a_closed_stall_is_named_once_in_the_refusal(session):
    market = f.market()
    stall = f.stall(market, code="Sạp 1")
    services.close_stall(stall, on=today(), actor=None)
    with pytest.raises(Conflict) as refused:
        services.close_stall(stall, on=today(), actor=None)
    assert "Sạp Sạp" not in str(refused.value.message)

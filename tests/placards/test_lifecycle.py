"""The placard lifecycle: issue, reprint, supersede, revoke, post, and what needs reprinting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from market4.audit.models import AuditEvent
from market4.domain.vietqr import decode
from market4.errors import Conflict
from market4.markets import services as markets
from market4.placards import services
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING
from market4.registry.placards import Placard
from market4.vendors import services as vendor_services
from tests import factories as f


def audit_actions(session, placard) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "Placard", AuditEvent.object_id == str(placard.id))
            .order_by(AuditEvent.id)
        )
    )


def test_payload_is_a_static_vietqr_for_the_account(session):
    result = f.registered_vendor(account_number="0071001234567")
    transfer = decode(services.payload_for(result.account)).transfer
    assert (transfer.bin, transfer.account, transfer.service, transfer.initiation) == (
        f.VCB,
        "0071001234567",
        "QRIBFTTA",
        "static",
    )
    assert transfer.amount is None and transfer.purpose is None


def test_serials_follow_their_own_scheme_beside_the_demo_one(session):
    assert services.next_serial() == "P0000001"
    result = f.registered_vendor()
    session.add(
        Placard(
            serial="CD0009999",
            stall=result.occupancy.stall,
            payment_account=result.account,
            payload="x",
            status="superseded",
        )
    )
    session.flush()
    assert services.next_serial() == "P0000001"
    first = services.issue_placard(result.occupancy.stall, result.account, actor=None)
    second = services.issue_placard(result.occupancy.stall, result.account, actor=None)
    assert (first.serial, second.serial) == ("P0000001", "P0000002")
    assert services.next_serial() == "P0000003"


def test_issue_records_the_payload_and_an_audit_event(session):
    result = f.registered_vendor()
    actor = f.user()
    placard = services.issue_placard(
        result.occupancy.stall, result.account, layout="a4x4", actor=actor
    )
    assert (placard.status, placard.version, placard.layout, placard.printed_by_id) == (
        "issued",
        1,
        "a4x4",
        actor.id,
    )
    assert placard.payload == services.payload_for(result.account)
    assert services.live_placard(result.occupancy.stall) is placard
    assert audit_actions(session, placard) == ["issue"]


def test_a_reprint_of_the_same_qr_supersedes_the_old_sheet_but_keeps_acceptance(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    old = services.issue_placard(stall, result.account, actor=None)
    markets.record_visit(stall, "placard_posted", actor=None)

    new = services.issue_placard(stall, result.account, actor=None)

    assert new.version == 2 and new.payload == old.payload and new.status == "issued"
    assert old.status == "superseded" and old.end_reason == f"reprinted by {new.serial}"
    assert markets.current_status(stall) == ACCEPTING  # the QR on the stall still pays the vendor
    assert services.live_placards(stall) == [new]
    assert audit_actions(session, old) == ["issue", "post", "supersede"]
    assert services.needs_reprint(stall.market) == []


def test_issue_refuses_what_must_not_be_printed(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    stranger = f.registered_vendor()
    with pytest.raises(Conflict) as info:
        services.issue_placard(stall, stranger.account, actor=None)
    assert info.value.code == "account_not_at_stall"
    vendor_services.deactivate_registration(
        result.account, organisation=None, actor=None, reason="x", channel="cli"
    )
    with pytest.raises(Conflict) as closed:
        services.issue_placard(stall, result.account, actor=None)
    assert closed.value.code == "account_closed"
    assert session.scalar(select(Placard.id)) is None


def test_supersede_needs_a_stall_or_an_account(session):
    with pytest.raises(ValueError):
        services.supersede_placards(reason="x", actor=None)


def test_revoke_takes_the_stall_out_of_acceptance(session):
    result = f.registered_vendor()
    stall = result.occupancy.stall
    placard = services.issue_placard(stall, result.account, actor=None)
    services.mark_posted(placard, actor=None)
    assert markets.current_status(stall) == ACCEPTING and placard.posted_at is not None

    services.revoke_placard(placard, reason="lost", actor=None)

    assert (placard.status, placard.end_reason) == ("revoked", "lost")
    assert placard.ended_at is not None
    assert markets.current_status(stall) == NOT_ACCEPTING
    assert services.live_placard(stall) is None
    assert services.needs_reprint(stall.market) == [stall]
    assert audit_actions(session, placard) == ["issue", "post", "revoke"]
    with pytest.raises(Conflict):
        services.revoke_placard(placard, reason="again", actor=None)

    reprint = services.issue_placard(stall, result.account, actor=None)
    assert reprint.version == 2 and placard.status == "revoked"  # revoked stays revoked
    assert services.needs_reprint(stall.market) == []


def test_revoking_an_unposted_sheet_of_an_unaccepting_stall_changes_no_status(session):
    result = f.registered_vendor()
    placard = services.issue_placard(result.occupancy.stall, result.account, actor=None)
    services.revoke_placard(placard, reason="lost before posting", actor=None)
    assert markets.current_status(result.occupancy.stall) is None


def test_needs_reprint_covers_missing_outdated_and_lost_placards(session):
    market = f.market()
    printed = f.registered_vendor(f.stall(market, "Sạp 1"))
    never_printed = f.registered_vendor(f.stall(market, "Sạp 10"))
    outdated = f.registered_vendor(f.stall(market, "Sạp 2"))
    f.stall(market, "Sạp 3")  # vacant: nothing to print
    no_account = f.registered_vendor(f.stall(market, "Sạp 4"))
    vendor_services.deactivate_registration(
        no_account.account, organisation=None, actor=None, reason="x", channel="cli"
    )
    for result in (printed, outdated):
        services.issue_placard(result.occupancy.stall, result.account, actor=None)
    # An account changed behind the placard's back (e.g. imported data): still caught.
    outdated.account.account_number = "999888777"
    session.flush()

    assert services.needs_reprint(market) == [
        outdated.occupancy.stall,
        never_printed.occupancy.stall,
    ]


def test_mark_posted_refuses_an_outdated_placard(session):
    result = f.registered_vendor()
    placard = services.issue_placard(result.occupancy.stall, result.account, actor=None)
    result.account.account_number = "999888777"
    session.flush()
    with pytest.raises(Conflict) as info:
        services.mark_posted(placard, actor=None)
    assert info.value.code == "placard_outdated"
    assert placard.status == "issued"

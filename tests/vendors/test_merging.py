"""Merging duplicated vendor records: candidates, preview, what moves, placards, refusals."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from market4.audit.models import AuditEvent
from market4.errors import Conflict, ValidationFailed
from market4.extensions import db
from market4.placards import services as placards
from market4.registry.imports import ImportBatch, ImportRow
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, StallStatusChange
from market4.registry.placards import Placard
from market4.registry.stalls import current_status
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vendors import merging
from market4.vendors import services as vendor_services
from tests import factories as f


def posted_placard(result) -> Placard:
    """A placard for the registration's account, posted on its stall (the stall accepts)."""
    placard = placards.issue_placard(result.occupancy.stall, result.account, actor=None)
    return placards.mark_posted(placard, actor=None)


def import_row(vendor: Vendor) -> ImportRow:
    batch = ImportBatch(
        bank_bin=f.VCB,
        filename="x.csv",
        file_sha256="0" * 64,
        file_format="csv",
        summary={},
        status="committed",
    )
    row = ImportRow(batch=batch, row_number=2, outcome="create", vendor_id=vendor.id)
    db.session.add_all([batch, row])
    db.session.flush()
    return row


def snapshot(session) -> tuple:
    """Everything a merge could change, to prove a refusal changed nothing."""
    session.flush()
    session.expire_all()
    return (
        session.scalar(select(func.count(AuditEvent.id))),
        session.scalar(select(func.count(StallStatusChange.id))),
        tuple(
            session.execute(
                select(
                    Vendor.id,
                    Vendor.is_active,
                    Vendor.merged_into_id,
                    Vendor.phone_e164,
                    Vendor.consent_at,
                ).order_by(Vendor.id)
            )
        ),
        tuple(
            session.execute(
                select(
                    PaymentAccount.id, PaymentAccount.vendor_id, PaymentAccount.is_on_placard
                ).order_by(PaymentAccount.id)
            )
        ),
        tuple(session.execute(select(Occupancy.id, Occupancy.vendor_id).order_by(Occupancy.id))),
        tuple(session.execute(select(Placard.id, Placard.status).order_by(Placard.id))),
        tuple(session.execute(select(ImportRow.id, ImportRow.vendor_id).order_by(ImportRow.id))),
    )


def merge_events(session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "merge")))


# --- candidates ------------------------------------------------------------------------------


def test_duplicate_groups_follow_the_rule(session):
    market = f.market()
    # Registered again at the same stall ("replace"): same phone, same name.
    first = f.registered_vendor(f.stall(market))
    second = f.registered_again(first)
    posted_placard(second)
    # Same phone, different names: relatives sharing a phone, or a typo.
    shared = f.phone()
    mother = f.registered_vendor(f.stall(market), phone=shared, display_name="Lê Thị Hoa")
    daughter = f.registered_vendor(f.stall(market), phone=shared, display_name="Trần Thị Mai")
    # No phone on one of them, same folded name, same market.
    old = f.registered_vendor(f.stall(market), display_name="Phạm Văn Tư")
    new = f.registered_vendor(f.stall(market), display_name="Pham Van Tu")
    old.vendor.phone_e164 = None
    # Not candidates: same name without phone but in another market; same name, different
    # phones; a vendor already merged.
    elsewhere = f.registered_vendor(display_name="Phạm Văn Tư")
    elsewhere.vendor.phone_e164 = None
    f.registered_vendor(f.stall(market), display_name="Lê Thị Hoa")
    merged = f.registered_vendor(f.stall(market), phone=first.vendor.phone_e164)
    merged.vendor.is_active, merged.vendor.merged_into_id = False, first.vendor.id
    session.flush()

    groups = merging.duplicate_groups()

    found = {(g.rule, g.key): [c.vendor.id for c in g.members] for g in groups}
    assert found == {
        (merging.SAME_PHONE_SAME_NAME, first.vendor.phone_e164): [
            second.vendor.id,
            first.vendor.id,
        ],
        (merging.SAME_PHONE, mother.vendor.phone_e164): [mother.vendor.id, daughter.vendor.id],
        (merging.SAME_NAME_NO_PHONE, "PHAM VAN TU"): [old.vendor.id, new.vendor.id],
    }
    assert [g.rule for g in groups][0] == merging.SAME_PHONE_SAME_NAME and groups[0].likely
    top = groups[0]
    # The record whose placard is on the stall is suggested as the one to keep.
    assert top.keep.has_live_placard and top.keep.stalls == (second.occupancy.stall,)
    assert top.duplicates[0].has_placard_account and not top.duplicates[0].has_live_placard
    assert top.duplicates[0].stalls == ()


def test_duplicate_groups_use_a_constant_number_of_queries(session):
    def count_queries() -> int:
        statements = []

        def log(*_args):
            statements.append(1)

        bind = session.connection()
        event.listen(bind, "before_cursor_execute", log)
        try:
            merging.duplicate_groups()
        finally:
            event.remove(bind, "before_cursor_execute", log)
        return len(statements)

    pair = f.registered_vendor()
    f.registered_again(pair)
    few = count_queries()
    for _ in range(6):
        f.registered_again(f.registered_vendor())
    nameless = f.registered_vendor(display_name="Võ Văn Ba")
    f.registered_vendor(f.stall(nameless.occupancy.stall.market), display_name="Vo Van Ba")
    nameless.vendor.phone_e164 = None
    session.flush()
    assert len(merging.duplicate_groups()) == 8
    assert 4 <= few <= 6 and count_queries() <= 6


# --- merging ---------------------------------------------------------------------------------


def test_merge_moves_accounts_occupancies_and_import_rows_and_reprints(session):
    market = f.market()
    keep = f.registered_vendor(f.stall(market, "Sạp 1"))
    keep_placard = posted_placard(keep)
    # The same person registered again by another bank at a second stall.
    dup = f.registered_vendor(
        f.stall(market, "Sạp 2"),
        phone=keep.vendor.phone_e164,
        bank_bin=f.AGRIBANK,
    )
    dup_placard = posted_placard(dup)
    extra = PaymentAccount(
        vendor=dup.vendor,
        bank_bin=f.MOMO,
        account_number="0912000999",
        holder_name="NGUYEN THI DAO",
        kind="wallet",
    )
    session.add(extra)
    old_stall = f.stall(market, "Sạp 9")
    past = Occupancy(
        stall_id=old_stall.id,
        vendor_id=dup.vendor.id,
        started_on=f.LONG_AGO,
        ended_on=f.LONG_AGO + timedelta(days=30),
    )
    session.add(past)
    row = import_row(dup.vendor)
    assert current_status(dup.occupancy.stall) == ACCEPTING

    preview = merging.merge_preview(keep.vendor, dup.vendor)
    assert [a.id for a in preview.accounts] == [dup.account.id, extra.id]
    assert {o.id for o in preview.occupancies} == {dup.occupancy.id, past.id}
    assert preview.import_row_ids == (row.id,)
    assert (preview.placard_account, preview.demoted_account) == (keep.account, dup.account)
    assert preview.superseded_placards == (dup_placard,)
    assert preview.stalls_to_print == (dup.occupancy.stall,)
    assert "reprint_needed" in {w.code for w in preview.warnings}
    assert preview.needs_reprint
    assert dup.vendor.is_active and dup_placard.status == "posted"  # a preview writes nothing

    actor = f.user("admin")
    result = merging.merge_vendors(keep.vendor, dup.vendor, actor=actor)

    session.expire_all()
    assert {a.id for a in keep.vendor.accounts} == {keep.account.id, dup.account.id, extra.id}
    assert keep.vendor.placard_account == keep.account
    assert dup.account.is_on_placard is False and dup.account.status == "active"
    assert {o.id for o in keep.vendor.occupancies} == {keep.occupancy.id, dup.occupancy.id, past.id}
    assert session.get(ImportRow, row.id).vendor_id == keep.vendor.id
    assert (dup.vendor.is_active, dup.vendor.merged_into_id) == (False, keep.vendor.id)
    assert dup.vendor.accounts == [] and dup.vendor.occupancies == []
    # The duplicate's placard is superseded; the stall waits for a reprint.
    assert result.superseded == (dup_placard,)
    assert dup_placard.status == "superseded" and keep_placard.status == "posted"
    assert current_status(dup.occupancy.stall) == NOT_ACCEPTING
    assert current_status(keep.occupancy.stall) == ACCEPTING
    assert placards.needs_reprint(market) == [dup.occupancy.stall]

    (merge,) = merge_events(session)
    assert (merge.object_type, merge.object_id, merge.actor_id, merge.channel) == (
        "Vendor",
        str(keep.vendor.id),
        actor.id,
        "web",
    )
    assert merge.after["merged_vendor_id"] == dup.vendor.id
    assert [a["id"] for a in merge.after["accounts"]] == [dup.account.id, extra.id]
    assert merge.after["accounts"][0]["account_number"] == f"…{dup.account.last4}"
    assert merge.after["demoted_account_id"] == dup.account.id
    assert set(merge.after["occupancy_ids"]) == {dup.occupancy.id, past.id}
    assert merge.after["import_row_ids"] == [row.id]
    assert merge.after["superseded"] == [dup_placard.serial]
    text = json.dumps([merge.before, merge.after], ensure_ascii=False)
    assert dup.account.account_number not in text and extra.account_number not in text


def test_without_a_placard_account_on_the_kept_record_the_duplicates_stays_printed(session):
    market = f.market()
    keep = f.registered_vendor(f.stall(market))
    dup = f.registered_again(keep)
    dup_placard = posted_placard(dup)
    vendor_services.deactivate_registration(
        keep.account, organisation=None, actor=None, reason="đổi ngân hàng", channel="cli"
    )
    events_before = session.scalar(select(func.count(AuditEvent.id)))

    preview = merging.merge_preview(keep.vendor, dup.vendor)
    assert (preview.placard_account, preview.demoted_account) == (dup.account, None)
    assert preview.superseded_placards == () and preview.stalls_to_print == ()
    assert not preview.needs_reprint

    result = merging.merge_vendors(keep.vendor, dup.vendor, actor=None, channel="cli")

    session.expire_all()
    assert result.superseded == ()
    assert keep.vendor.placard_account == dup.account and dup.account.is_on_placard
    assert dup_placard.status == "posted"
    assert current_status(dup.occupancy.stall) == ACCEPTING
    assert placards.needs_reprint(market) == []
    # The placard is still the stall's current one: a visit may confirm it again.
    placards.mark_posted(dup_placard, actor=None)
    assert session.scalar(select(func.count(AuditEvent.id))) == events_before + 1  # just "merge"


def test_demoting_an_account_without_live_placards_needs_no_reprint(session):
    """The usual case: the old record's account was still "on the placard", but the
    replacement had already superseded its placards."""
    market = f.market()
    old = f.registered_vendor(f.stall(market))
    posted_placard(old)
    new = f.registered_again(old)
    posted_placard(new)

    result = merging.merge_vendors(new.vendor, old.vendor, actor=None)

    session.expire_all()
    assert result.preview.demoted_account == old.account and result.superseded == ()
    assert old.account.is_on_placard is False
    assert new.vendor.placard_account == new.account
    assert current_status(new.occupancy.stall) == ACCEPTING
    assert placards.needs_reprint(market) == []
    assert {o.id for o in new.vendor.occupancies} == {old.occupancy.id, new.occupancy.id}


def test_the_kept_record_takes_the_missing_phone_and_the_earliest_consent(session):
    keep = f.registered_vendor(display_name="Đỗ Thị Lan")
    dup = f.registered_vendor(display_name="Do Thi Lan")
    keep.vendor.phone_e164 = None
    consent_before = keep.vendor.consent_at
    dup.vendor.consent_at = consent_before - timedelta(days=400)
    session.flush()

    preview = merging.merge_preview(keep.vendor, dup.vendor)
    assert preview.filled == {"phone": dup.vendor.phone_e164, "consent_at": dup.vendor.consent_at}
    assert {w.code for w in preview.warnings} == {"display_names_differ", "placard_account_demoted"}

    merging.merge_vendors(keep.vendor, dup.vendor, actor=None)

    assert keep.vendor.phone_e164 == dup.vendor.phone_e164
    assert keep.vendor.consent_at == dup.vendor.consent_at
    assert keep.vendor.display_name == "Đỗ Thị Lan"
    (merge,) = merge_events(session)
    assert merge.before == {"phone": None, "consent_at": consent_before.isoformat()}
    assert merge.after["filled"]["phone"] == dup.vendor.phone_e164


def test_a_later_consent_on_the_duplicate_changes_nothing(session):
    keep = f.registered_vendor()
    dup = f.registered_again(keep)
    dup.vendor.consent_at = keep.vendor.consent_at + timedelta(days=3)
    assert merging.merge_preview(keep.vendor, dup.vendor).filled == {}


def test_names_or_phones_that_differ_are_warnings_not_refusals(session):
    shared = f.phone()
    keep = f.registered_vendor(phone=shared, display_name="Lê Thị Hoa")
    relative = f.registered_vendor(phone=shared, display_name="Trần Thị Mai")
    assert "names_differ" in {
        w.code for w in merging.merge_preview(keep.vendor, relative.vendor).warnings
    }
    namesake = f.registered_vendor(display_name="Lê Thị Hoa")
    assert "phones_differ" in {
        w.code for w in merging.merge_preview(keep.vendor, namesake.vendor).warnings
    }


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, error, code",
    [
        ("same", ValidationFailed, "same_vendor"),
        ("unrelated", ValidationFailed, "not_duplicates"),
        ("inactive", Conflict, "vendor_inactive"),
        ("keep_inactive", Conflict, "vendor_inactive"),
        ("merged", Conflict, "already_merged"),
    ],
)
def test_refusals_change_nothing(session, case, error, code):
    keep = f.registered_vendor()
    posted_placard(keep)
    dup = f.registered_vendor(phone=keep.vendor.phone_e164, bank_bin=f.AGRIBANK)
    posted_placard(dup)
    import_row(dup.vendor)
    other = f.registered_vendor(display_name="Hoàng Văn Nam")
    third = f.registered_vendor(phone=keep.vendor.phone_e164)
    pairs = {
        "same": (keep, keep),
        "unrelated": (keep, other),
        "inactive": (keep, dup),
        "keep_inactive": (dup, keep),
        "merged": (keep, third),
    }
    if case in ("inactive", "keep_inactive"):
        dup.vendor.is_active = False
    if case == "merged":
        merging.merge_vendors(dup.vendor, third.vendor, actor=None)
    kept, duplicate = pairs[case]
    before = snapshot(session)

    for attempt in (merging.merge_preview, lambda k, d: merging.merge_vendors(k, d, actor=None)):
        with pytest.raises(error) as raised:
            attempt(kept.vendor, duplicate.vendor)
        assert (
            raised.value.codes
            if isinstance(raised.value, ValidationFailed)
            else {raised.value.code}
        ) == {code}
        assert raised.value.message and "duplicate_id:" not in raised.value.message

    assert snapshot(session) == before

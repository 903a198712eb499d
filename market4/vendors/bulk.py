"""Registering vendors and adding accounts many at once: the import's commit.

The rows were checked one by one by the import's planning (the same rules as
``vendors.services``); here they are written in a few statements per table instead of
a flush per vendor, with the same audit events, placard and stall-status consequences
as one registration. Flushed, never committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm.attributes import set_committed_value

from market4.audit.models import AuditEvent
from market4.auth.models import Organisation
from market4.banks.models import Bank
from market4.bulk import insert_returning_ids, insert_rows, update_rows
from market4.db import now_utc, today
from market4.extensions import db
from market4.markets import services as markets
from market4.placards import services as placards
from market4.registry import market_days, policy
from market4.registry import validation as rules
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, Stall
from market4.registry.placards import LIVE_STATUSES, Placard
from market4.registry.policy import Action
from market4.registry.stalls import statuses_on
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vendors import access
from market4.vendors.duplicates import matching_any
from market4.vendors.services import audit_mask
from market4.vocabulary import AccountStatus, StatusReason

__all__ = ["BulkRegistration", "add_accounts_bulk", "register_vendors_bulk"]


@dataclass(frozen=True)
class BulkRegistration:
    """One registration already checked by the caller, for :func:`register_vendors_bulk`."""

    fields: rules.VendorFields
    stall: Stall


def _stall_leftovers(stalls: Sequence[Stall], day: date) -> tuple[set[int], set[int]]:
    """Ids of the stalls that still carry live placards, and of those still accepting."""
    with_placards: set[int] = set()
    latest: dict[int, str] = {}
    ids = [stall.id for stall in stalls]
    for condition in matching_any(Placard.stall_id, ids):
        with_placards.update(
            db.session.scalars(
                select(Placard.stall_id).where(condition, Placard.status.in_(LIVE_STATUSES))
            )
        )
    latest.update(statuses_on(ids, day, conditions=matching_any))
    return with_placards, {stall_id for stall_id, status in latest.items() if status == ACCEPTING}


def register_vendors_bulk(
    items: Sequence[BulkRegistration],
    *,
    bank: Bank,
    organisation: Organisation | None,
    actor: Any,
    channel: str = "import",
    audit_extra: Mapping[str, Any] | None = None,
    on: date | None = None,
) -> list[tuple[int, int]]:
    """Register many vendors with a handful of bulk INSERTs; returns (vendor_id, account_id) per item.

    The same outcome as :func:`register_vendor` for each item, at a cost that lets an
    import of 10,000 rows finish in seconds. The caller has already checked, for every
    item, what ``register_vendor`` checks per call: valid fields, no existing account
    with the same bank + number, an open and vacant stall, the vendor's consent; this
    function re-checks only the organisation and the bank. Audit: one "register" event
    per vendor (with the stall, the masked account and ``audit_extra``), bulk-inserted.
    """
    policy.check(Action.IMPORT, actor, organisation=organisation, bank_bin=bank.bin)
    if not items:
        return []
    day, now = on or today(), now_utc()
    org_id = getattr(organisation, "id", None)
    vendor_ids = insert_returning_ids(
        Vendor,
        [
            {
                "display_name": item.fields.display_name,
                "bank_style_name": item.fields.bank_style_name,
                "phone_e164": item.fields.phone_e164,
                "consent_at": now,
                "is_active": True,
                "created_at": now,
                "registered_by_org_id": org_id,
            }
            for item in items
        ],
    )
    verified = access.verified_at(organisation, bank.bin)
    kind = "wallet" if bank.is_wallet else "bank"
    account_ids = insert_returning_ids(
        PaymentAccount,
        [
            {
                "vendor_id": vendor_id,
                "bank_bin": bank.bin,
                "account_number": item.fields.account_number,
                "is_card": item.fields.is_card,
                "holder_name": item.fields.holder_name,
                "kind": kind,
                "is_on_placard": True,
                "status": "active",
                "registered_by_org_id": org_id,
                "partner_reference": item.fields.partner_reference,
                "verified_at": verified,
                "created_at": now,
            }
            for item, vendor_id in zip(items, vendor_ids, strict=True)
        ],
    )
    # A vacant stall may still carry the last vendor's placards or status: end them the
    # way assign_vendor does (rare, so per stall).
    with_placards, accepting = _stall_leftovers([item.stall for item in items], day)
    for item in items:
        if item.stall.id in with_placards:
            placards.supersede_placards(
                item.stall, reason="vendor changed", actor=actor, channel=channel
            )
        if item.stall.id in accepting:
            markets.set_stall_status(
                item.stall, NOT_ACCEPTING, reason=StatusReason.VENDOR_LEFT, on=day, actor=actor
            )
    insert_rows(
        Occupancy,
        [
            {"stall_id": item.stall.id, "vendor_id": vendor_id, "started_on": day}
            for item, vendor_id in zip(items, vendor_ids, strict=True)
        ],
    )
    # Rows written around the ORM: the figures' rollup is told by hand.
    market_days.mark_stalls_changed(db.session, [item.stall.id for item in items])
    _set_goods_categories(items)
    actor_id = getattr(actor, "id", None)
    insert_rows(
        AuditEvent,
        [
            {
                "at": now,
                "action": "register",
                "object_type": "Vendor",
                "object_id": str(vendor_id),
                "actor_id": actor_id,
                "channel": channel,
                "after": {
                    "display_name": item.fields.display_name,
                    "bank_style_name": item.fields.bank_style_name,
                    "phone": item.fields.phone_e164,
                    "stall_id": item.stall.id,
                    "consent": True,
                    "account_id": account_id,
                    "bank_bin": bank.bin,
                    "account_number": audit_mask(item.fields.account_number),
                    **(audit_extra or {}),
                },
            }
            for item, vendor_id, account_id in zip(items, vendor_ids, account_ids, strict=True)
        ],
    )
    db.session.flush()
    return list(zip(vendor_ids, account_ids, strict=True))


def _set_goods_categories(items: Sequence[BulkRegistration]) -> None:
    """What each stall sells, as the rows say, in one UPDATE statement."""
    categories = {
        item.stall.id: item.fields.goods_category
        for item in items
        if item.fields.goods_category and item.stall.goods_category != item.fields.goods_category
    }
    if not categories:
        return
    update_rows(
        Stall,
        [{"id": stall_id, "goods_category": category} for stall_id, category in categories.items()],
    )
    for item in items:  # keep the loaded objects in step with the rows, without a second UPDATE
        if item.stall.id in categories:
            set_committed_value(item.stall, "goods_category", categories[item.stall.id])


def add_accounts_bulk(
    items: Sequence[tuple[int, BulkRegistration]],
    *,
    bank: Bank,
    organisation: Organisation | None,
    actor: Any,
    channel: str = "import",
    audit_extra: Mapping[str, Any] | None = None,
) -> list[int]:
    """Add one account per ``(vendor_id, registration)`` — the vendor trading at the
    registration's stall, already matched and checked by the caller (an import's
    planner) — in a few bulk statements.

    The same rules as :func:`add_account`: an account goes on the placard only when its
    vendor has no active placard account (nor got one earlier in ``items``); a vendor
    without a phone or consent gets the row's; the stall's goods category is the row's.
    Returns the new account ids, in order.
    """
    policy.check(Action.IMPORT, actor, organisation=organisation, bank_bin=bank.bin)
    if not items:
        return []
    now = now_utc()
    vendor_ids = {vendor_id for vendor_id, _ in items}
    # Only the (rare) vendors missing a phone or consent are read, as plain rows.
    incomplete: dict[int, Any] = {}
    with_placard: set[int] = set()
    for condition in matching_any(Vendor.id, vendor_ids):
        incomplete.update(
            (row.id, row)
            for row in db.session.execute(
                select(Vendor.id, Vendor.phone_e164, Vendor.consent_at).where(
                    condition, or_(Vendor.phone_e164.is_(None), Vendor.consent_at.is_(None))
                )
            )
        )
    for condition in matching_any(PaymentAccount.vendor_id, vendor_ids):
        with_placard.update(
            db.session.scalars(
                select(PaymentAccount.vendor_id).where(
                    condition,
                    PaymentAccount.is_on_placard.is_(True),
                    PaymentAccount.status == AccountStatus.ACTIVE,
                )
            )
        )
    org_id = getattr(organisation, "id", None)
    verified = access.verified_at(organisation, bank.bin)
    kind = "wallet" if bank.is_wallet else "bank"
    rows, completed = [], {}
    for vendor_id, item in items:
        fields = item.fields
        on_placard = vendor_id not in with_placard
        with_placard.add(vendor_id)
        rows.append(
            {
                "vendor_id": vendor_id,
                "bank_bin": bank.bin,
                "account_number": fields.account_number,
                "is_card": fields.is_card,
                "holder_name": fields.holder_name,
                "kind": kind,
                "is_on_placard": on_placard,
                "status": "active",
                "registered_by_org_id": org_id,
                "partner_reference": fields.partner_reference,
                "verified_at": verified,
                "created_at": now,
            }
        )
        if vendor_id in incomplete and vendor_id not in completed:
            row = incomplete[vendor_id]
            completed[vendor_id] = {
                "id": vendor_id,
                "phone_e164": row.phone_e164 or fields.phone_e164,
                "consent_at": row.consent_at or now,
            }
    if completed:
        update_rows(Vendor, list(completed.values()))
        for loaded in list(db.session.identity_map.values()):  # the UPDATE went around the ORM
            if isinstance(loaded, Vendor) and loaded.id in completed:
                db.session.expire(loaded)
    _set_goods_categories([item for _, item in items])
    db.session.flush()
    account_ids = insert_returning_ids(PaymentAccount, rows)
    market_days.mark_vendors_changed(db.session, {row["vendor_id"] for row in rows})
    actor_id = getattr(actor, "id", None)
    insert_rows(
        AuditEvent,
        [
            {
                "at": now,
                "action": "create",
                "object_type": "PaymentAccount",
                "object_id": str(account_id),
                "actor_id": actor_id,
                "channel": channel,
                "after": {
                    "vendor_id": row["vendor_id"],
                    "bank_bin": bank.bin,
                    "account_number": audit_mask(row["account_number"]),
                    "holder_name": row["holder_name"],
                    "on_placard": row["is_on_placard"],
                    **(audit_extra or {}),
                },
            }
            for row, account_id in zip(rows, account_ids, strict=True)
        ],
    )
    db.session.flush()
    return account_ids

"""What each viewer may see of vendors and accounts, shaped for the vendor pages.

The rule that matters most (issue 5): a bank partner sees accounts at their own bank
only. Another bank's account is never listed, counted or hinted at on their pages, not
even masked. A market manager sees the bank and the last four digits (what a placard
prints anyway); the operator sees everything. Scope itself (which rows exist for a
user) is ``auth.scope``; this module decides how much of a visible row is shown and
builds the read-only lists the views render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from market4.areas.models import AdminUnit
from market4.auth.models import User
from market4.banks.models import Bank
from market4.db import today
from market4.domain.text import bank_style_name as fold_to_bank_style
from market4.domain.text import fold_ascii
from market4.errors import ValidationFailed
from market4.extensions import db
from market4.formatting import vietnamese_sort_key
from market4.paging import Page, paginate
from market4.registry import scope
from market4.registry import validation as rules
from market4.registry.markets import (
    CHECK_OUTCOMES,
    WRONG_CODE_OUTCOMES,
    Market,
    Stall,
    StallStatusChange,
    VerificationVisit,
)
from market4.registry.ordering import sorted_stalls, stall_key
from market4.registry.placards import Placard
from market4.registry.stalls import statuses_on
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vendors.duplicates import find_duplicates
from market4.vocabulary import PLACARD_STATUS_LABELS as PLACARD_LABELS
from market4.vocabulary import AccountStatus, Role, StallStatus

PAGE_SIZE = 50

# --- one account ------------------------------------------------------------------------


def shown_account_number(viewer: User, account: PaymentAccount) -> str | None:
    """The number as this viewer may read it: in full at their own bank, "…1234" for a
    market manager, None for anyone else (who must not learn it exists)."""
    if scope.can_see_account_number(viewer, account):
        return account.account_number
    if viewer.role == Role.MARKET_MANAGER:
        return f"…{account.last4}"
    return None


def editable_account(
    viewer: User, vendor: Vendor, account_id: int | None = None
) -> PaymentAccount | None:
    """The account an edit changes: the one asked for, else the viewer's placard account.

    A bank partner only ever gets an account at their own bank; a market manager none
    (they cannot see the numbers they would be editing).
    """
    if viewer.role not in (Role.ADMIN, Role.BANK_PARTNER):
        return None
    candidates = [
        a for a in scope.visible_accounts(viewer, vendor) if a.status == AccountStatus.ACTIVE
    ]
    if account_id is not None:
        return next((a for a in candidates if a.id == account_id), None)
    return candidates[0] if candidates else None


def visible_account(viewer: User, account_id: int) -> PaymentAccount | None:
    return db.session.scalar(scope.accounts_query(viewer).where(PaymentAccount.id == account_id))


def occupant_id(viewer: User, stall_id: int) -> int | None:
    """The id of the vendor at a stall of a market in the viewer's scope, or None."""
    in_scope = scope.markets_query(viewer).with_only_columns(Market.id)
    return db.session.scalar(
        select(Occupancy.vendor_id)
        .join(Stall, Stall.id == Occupancy.stall_id)
        .where(
            Occupancy.stall_id == stall_id,
            Occupancy.ended_on.is_(None),
            Stall.market_id.in_(in_scope),
        )
    )


def vendor_is_visible(viewer: User, vendor_id: int) -> bool:
    return (
        db.session.scalar(
            scope.vendors_query(viewer).where(Vendor.id == vendor_id).with_only_columns(Vendor.id)
        )
        is not None
    )


# --- the live check behind the form ---------------------------------------------------------


def _clean(result: dict[str, Any], name: str, rule: Any, value: Any, **kwargs: Any) -> Any:
    entry = result.setdefault(name, {"errors": [], "warnings": [], "value": None})
    try:
        cleaned = rule(value, **kwargs)
    except ValidationFailed as failure:
        entry["errors"] = [error.translated(gettext) for error in failure.errors]
        return None
    entry["value"] = cleaned
    return cleaned


def live_check(
    values: Mapping[str, Any],
    *,
    viewer: User,
    bank_bin: str | None,
    exclude_account_id: int | None = None,
    exclude_vendor_id: int | None = None,
) -> dict[str, Any]:
    """Check typed values field by field with the registration rules and look for duplicates.

    Returns ``{"fields": {name: {"errors", "warnings", "value"}}, "duplicates": [...]}``.
    Each field is checked on its own so one mistake does not hide the others' results;
    the cross-field warnings come from the same ``validate_vendor_fields`` the service
    runs. A duplicate links to the existing vendor only when the viewer may see them.
    """
    fields: dict[str, Any] = {}
    name = _clean(fields, "display_name", rules.clean_display_name, values.get("display_name"))
    typed_bank_name = rules.clean_text(values.get("bank_style_name"))
    bank_name = None
    if name or typed_bank_name:
        bank_name = _clean(
            fields,
            "bank_style_name",
            rules.clean_bank_style_name,
            typed_bank_name,
            display_name=name,
        )
    # The name as JavaScript should pre-fill it: the display name folded, as the service will.
    fields.setdefault("bank_style_name", {"errors": [], "warnings": [], "value": None})
    fields["bank_style_name"]["folded"] = fold_to_bank_style(name) if name else ""
    phone = None
    if rules.clean_text(values.get("phone")):
        phone = _clean(fields, "phone", rules.clean_phone, values.get("phone"))
    account = None
    if rules.clean_text(values.get("account_number")):
        account = _clean(
            fields, "account_number", rules.clean_account_number, values.get("account_number")
        )
        if account is not None:
            fields["account_number"]["value"] = account.number
            fields["account_number"]["warnings"] = [w.translated(gettext) for w in account.warnings]
            if bank_bin:  # the bank's own rules, as the service will apply them
                try:
                    rules.check_account_for_bank(account, bank_bin)
                except ValidationFailed as failure:
                    fields["account_number"]["errors"] = [
                        e.translated(gettext) for e in failure.errors
                    ]
    if bank_name is not None or rules.clean_text(values.get("holder_name")):
        _clean(
            fields,
            "holder_name",
            rules.clean_holder_name,
            values.get("holder_name"),
            default=bank_name or "",
        )
    if name and phone and account:
        try:
            checked = rules.validate_vendor_fields(
                display_name=name,
                phone=phone,
                account_number=account.number,
                bank_style_name=values.get("bank_style_name"),
                holder_name=values.get("holder_name"),
            )
        except ValidationFailed:
            checked = None
        for warning in checked.warnings if checked else ():
            entry = fields.setdefault(warning.field, {"errors": [], "warnings": [], "value": None})
            if warning.message not in entry["warnings"]:
                entry["warnings"].append(warning.message)
    return {
        "fields": fields,
        "duplicates": _duplicates(
            viewer, bank_bin, account, phone, exclude_account_id, exclude_vendor_id
        ),
    }


def _duplicates(
    viewer: User,
    bank_bin: str | None,
    account: Any,
    phone: str | None,
    exclude_account_id: int | None,
    exclude_vendor_id: int | None,
) -> list[dict[str, Any]]:
    report = find_duplicates(
        bank_bin if account else None,
        account.number if account else None,
        phone,
        exclude_account_id=exclude_account_id,
        exclude_vendor_id=exclude_vendor_id,
    ).as_seen_by(viewer.organisation)
    found: list[dict[str, Any]] = []
    if report.has_account_duplicate:
        error = report.account_error()
        found.append(
            {
                "field": "account_number",
                "code": error.code,
                "message": error.message,
                "vendor_ids": _visible_ids(viewer, report.account_vendor_ids),
            }
        )
    if report.has_phone_duplicate:
        warning = report.phone_warning()
        found.append(
            {
                "field": "phone",
                "code": warning.code,
                "message": warning.message,
                "vendor_ids": _visible_ids(viewer, report.phone_vendor_ids),
            }
        )
    return found


def _visible_ids(viewer: User, vendor_ids: list[int]) -> list[int]:
    if not vendor_ids:
        return []
    return sorted(
        db.session.scalars(
            scope.vendors_query(viewer)
            .where(Vendor.id.in_(vendor_ids))
            .with_only_columns(Vendor.id)
        )
    )


def nameable_vendor_ids(viewer: User, vendor_ids: Iterable[int]) -> set[int]:
    """The ids among ``vendor_ids`` whose names this viewer may read on a stall.

    A bank branch registering in the aisle needs the name of the person at a stall, but
    not to learn who banks elsewhere: a vendor with accounts only at other banks stays
    unnamed to it ("a vendor is trading here"); one with an account at its own bank, or
    with no account yet, is named. Everyone else reads every name in their scope.
    """
    ids = set(vendor_ids)
    bank_bin = viewer.organisation.bank_bin if viewer.organisation is not None else None
    if viewer.role != Role.BANK_PARTNER or not ids:
        return ids
    elsewhere = set(
        db.session.scalars(
            select(PaymentAccount.vendor_id).where(
                PaymentAccount.vendor_id.in_(ids), PaymentAccount.bank_bin != (bank_bin or "-")
            )
        )
    )
    own = set(
        db.session.scalars(
            select(PaymentAccount.vendor_id).where(
                PaymentAccount.vendor_id.in_(ids), PaymentAccount.bank_bin == (bank_bin or "-")
            )
        )
    )
    return ids - (elsewhere - own)


def openable_vendor_ids(viewer: User, vendor_ids: list[int] | tuple[int, ...]) -> list[int]:
    """The ids among ``vendor_ids`` (e.g. those a Duplicate names) this viewer may open."""
    return _visible_ids(viewer, list(vendor_ids))


# --- the registrations list -------------------------------------------------------------------


@dataclass
class Row:
    account: PaymentAccount
    vendor: Vendor
    stall: Stall | None
    market: Market | None
    number: str | None
    placard: str
    # When the last check at the stall found another stall's or an unregistered code.
    wrong_code_on: date | None = None


def _search_clause(viewer: User, text: str) -> Any:
    like = f"%{text}%"
    folded = f"%{fold_ascii(text).upper()}%"
    clauses = [
        Vendor.display_name.ilike(like),
        Vendor.bank_style_name.ilike(folded),
        Stall.code.ilike(like),
        Market.name.ilike(like),
        Market.code.ilike(folded),
    ]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4:
        clauses.append(Vendor.phone_e164.like(f"%{digits.lstrip('0')}%"))
        if viewer.role != Role.MARKET_MANAGER:  # a manager may not probe account numbers
            clauses.append(PaymentAccount.account_number.like(f"%{text.replace(' ', '').upper()}%"))
    return or_(*clauses)


def registration_page(
    viewer: User, *, q: str = "", market_code: str = "", status: str = "", page: int = 1
) -> Page:
    """The viewer's registrations (one row per account and current stall), sorted by
    market then stall in natural order, ``PAGE_SIZE`` per page."""
    visible = scope.accounts_query(viewer).with_only_columns(PaymentAccount.id)
    query = (
        select(PaymentAccount.id, Occupancy.id, Market.name, Stall.zone, Stall.row, Stall.code)
        .select_from(PaymentAccount)
        .join(Vendor, Vendor.id == PaymentAccount.vendor_id)
        .outerjoin(Occupancy, and_(Occupancy.vendor_id == Vendor.id, Occupancy.ended_on.is_(None)))
        .outerjoin(Stall, Stall.id == Occupancy.stall_id)
        .outerjoin(Market, Market.id == Stall.market_id)
        .where(PaymentAccount.id.in_(visible))
    )
    if viewer.role == Role.MARKET_MANAGER:
        query = query.where(Market.id.in_(scope.markets_query(viewer).with_only_columns(Market.id)))
    if q.strip():
        query = query.where(_search_clause(viewer, q.strip()))
    if market_code:
        query = query.where(Market.code == market_code)
    if status in (AccountStatus.ACTIVE, AccountStatus.CLOSED):
        query = query.where(PaymentAccount.status == status)
    found = db.session.execute(query).all()
    # Natural order ("Sạp 2" before "Sạp 10") is not SQL's, so the ids are sorted here
    # and only one page of full rows is loaded.
    found.sort(
        key=lambda r: (
            r[2] is None,
            vietnamese_sort_key(r[2] or ""),
            stall_key(r[5], r[3], r[4]),
            r[0],
        )
    )
    result = paginate(found, page, PAGE_SIZE)
    chunk = result.items
    accounts = {
        a.id: a
        for a in db.session.scalars(
            select(PaymentAccount)
            .where(PaymentAccount.id.in_([r[0] for r in chunk]))
            .options(selectinload(PaymentAccount.vendor), selectinload(PaymentAccount.bank))
        )
    }
    occupancies = {
        o.id: o
        for o in db.session.scalars(
            select(Occupancy)
            .where(Occupancy.id.in_([r[1] for r in chunk if r[1]]))
            .options(selectinload(Occupancy.stall).selectinload(Stall.market))
        )
    }
    placards = _latest_placards(list(accounts))
    wrong_codes = wrong_code_found_on([o.stall_id for o in occupancies.values()])
    rows = []
    for account_id, occupancy_id, *_ in chunk:
        account = accounts[account_id]
        stall = occupancies[occupancy_id].stall if occupancy_id else None
        placard = placards.get((account_id, stall.id)) if stall else None
        rows.append(
            Row(
                account=account,
                vendor=account.vendor,
                stall=stall,
                market=stall.market if stall else None,
                number=shown_account_number(viewer, account),
                placard=PLACARD_LABELS[placard],
                wrong_code_on=wrong_codes.get(stall.id) if stall else None,
            )
        )
    result.items = rows
    return result


def wrong_code_found_on(stall_ids: list[int]) -> dict[int, date]:
    """Stalls whose latest code check or posting found a wrong code, with the day found.

    A later matching check or a posted placard clears it (the stall is fixed).
    """
    if not stall_ids:
        return {}
    outcomes = (*CHECK_OUTCOMES, "placard_posted")
    latest: dict[int, tuple[str, date]] = {}
    for stall_id, outcome, day in db.session.execute(
        select(VerificationVisit.stall_id, VerificationVisit.outcome, VerificationVisit.visited_on)
        .where(VerificationVisit.stall_id.in_(stall_ids), VerificationVisit.outcome.in_(outcomes))
        .order_by(VerificationVisit.visited_on, VerificationVisit.id)
    ):
        latest[stall_id] = (outcome, day)
    return {
        stall_id: day
        for stall_id, (outcome, day) in latest.items()
        if outcome in WRONG_CODE_OUTCOMES
    }


def _latest_placards(account_ids: list[int]) -> dict[tuple[int, int], str]:
    latest: dict[tuple[int, int], str] = {}
    for placard in db.session.scalars(
        select(Placard).where(Placard.payment_account_id.in_(account_ids)).order_by(Placard.id)
    ):
        latest[(placard.payment_account_id, placard.stall_id)] = placard.status
    return latest


def market_choices(viewer: User) -> list[tuple[str, str]]:
    markets = db.session.scalars(scope.markets_query(viewer))
    return sorted(((m.code, m.name) for m in markets), key=lambda c: vietnamese_sort_key(c[1]))


def bank_choices() -> list[tuple[str, str]]:
    banks = db.session.scalars(select(Bank))
    return sorted(
        ((b.bin, f"{b.short_name} ({b.bin})") for b in banks), key=lambda c: c[1].casefold()
    )


# --- step 1 of registering: markets and stalls ------------------------------------------------


@dataclass
class MarketRow:
    market: Market
    commune: str
    stalls: int


def find_markets(viewer: User, text: str = "") -> list[MarketRow]:
    """Markets in the viewer's area matching ``text`` (name, code or commune, accents optional)."""
    counts = dict(
        db.session.execute(select(Stall.market_id, func.count()).group_by(Stall.market_id)).all()
    )
    key = fold_ascii(text).casefold().strip()
    rows = []
    for market in db.session.scalars(scope.markets_query(viewer)):
        commune: AdminUnit | None = market.commune
        haystack = fold_ascii(
            f"{market.name} {market.code} {commune.name if commune else ''}"
        ).casefold()
        if key and key not in haystack:
            continue
        rows.append(
            MarketRow(
                market=market,
                commune=commune.name if commune else "",
                stalls=counts.get(market.id, 0),
            )
        )
    return sorted(rows, key=lambda r: vietnamese_sort_key(r.market.name))


@dataclass
class StallRow:
    stall: Stall
    occupant: Vendor | None
    status: str | None


def stall_rows(
    market: Market,
    *,
    text: str = "",
    vacant_only: bool = False,
    not_accepting_only: bool = False,
    named: Callable[[list[int]], set[int]] | None = None,
) -> list[StallRow]:
    """The market's open stalls with their current vendor and acceptance status, in order.

    A bank partner looks for vacant stalls and for stalls not accepting QR yet: those are
    the vendors still to sign up. ``named`` (see :func:`nameable_vendor_ids`) limits the
    occupants whose names the text search may match.
    """
    stalls = [
        s
        for s in db.session.scalars(select(Stall).where(Stall.market_id == market.id))
        if s.is_open_on(today())
    ]
    ids = [s.id for s in stalls]
    occupants = dict(
        db.session.execute(
            select(Occupancy.stall_id, Vendor)
            .join(Vendor, Vendor.id == Occupancy.vendor_id)
            .where(Occupancy.stall_id.in_(ids), Occupancy.ended_on.is_(None))
        ).all()
    )
    statuses = statuses_on(ids, today())
    key = fold_ascii(text).casefold().strip()
    searchable = named([v.id for v in occupants.values()]) if named else None
    rows = []
    # An exact code ("sạp 12") first, then everything containing the text, in stall order.
    ordered = sorted(
        sorted_stalls(stalls), key=lambda s: bool(key) and fold_ascii(s.code).casefold() != key
    )
    for stall in ordered:
        occupant = occupants.get(stall.id)
        if (vacant_only and occupant is not None) or (
            not_accepting_only and statuses.get(stall.id) == StallStatus.ACCEPTING
        ):
            continue
        if key:
            name = (
                occupant.display_name
                if occupant and (searchable is None or occupant.id in searchable)
                else ""
            )
            haystack = fold_ascii(
                f"{stall.code} {stall.zone or ''} {stall.row or ''} {name}"
            ).casefold()
            if key not in haystack:
                continue
        rows.append(StallRow(stall=stall, occupant=occupant, status=statuses.get(stall.id)))
    return rows


def status_history(vendor: Vendor, limit: int = 8) -> list[StallStatusChange]:
    """The latest acceptance changes at the vendor's current stalls since they arrived
    (what happened under the previous vendor is not theirs)."""
    since = {o.stall_id: o.started_on for o in vendor.occupancies if o.ended_on is None}
    if not since:
        return []
    changes = db.session.scalars(
        select(StallStatusChange)
        .where(StallStatusChange.stall_id.in_(since))
        .order_by(StallStatusChange.effective_on.desc(), StallStatusChange.id.desc())
    )
    return [c for c in changes if c.effective_on >= since[c.stall_id]][:limit]


def placards_of(accounts: list[PaymentAccount]) -> list[Placard]:
    """Placards carrying any of these (visible) accounts, newest first."""
    if not accounts:
        return []
    return list(
        db.session.scalars(
            select(Placard)
            .where(Placard.payment_account_id.in_([a.id for a in accounts]))
            .order_by(Placard.id.desc())
        )
    )

"""Registering a vendor with the account their placard pays into; changing and closing it.

Used by the web form, the Excel import and the partner API alike: arguments are
explicit (no request, no current user), changes are flushed, never committed, and
every refusal is a domain error raised *before* anything is added to the session, so a
failed registration leaves the database as it was.

Who may write is decided by ``auth.policy`` (the one write policy of every channel):
a bank partner writes accounts only at its own bank and registers on a vacant stall or
for the stall's current occupant; a market manager never writes an account number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market4.audit import services as audit
from market4.auth.models import Organisation
from market4.banks.models import Bank
from market4.db import now_utc, today
from market4.errors import Conflict, DomainError, FieldError, ValidationFailed, raise_all
from market4.extensions import db
from market4.markets import services as markets
from market4.placards import services as placards
from market4.registry import policy
from market4.registry import validation as rules
from market4.registry.markets import NOT_ACCEPTING, Market, Stall
from market4.registry.placards import Placard
from market4.registry.policy import Action
from market4.registry.stalls import find_stall
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vendors import access
from market4.vendors.access import visible_accounts_query
from market4.vendors.conflicts import is_the_occupant, stall_conflict
from market4.vendors.duplicates import DuplicateReport, find_duplicates
from market4.vocabulary import AccountStatus, StatusReason

__all__ = [
    "ACCOUNT_ADDED",
    "ACCOUNT_UPDATED",
    "REGISTERED",
    "UNCHANGED",
    "AccountData",
    "AccountResult",
    "DuplicateReport",
    "RegistrationResult",
    "UpdateResult",
    "VendorRegistration",
    "add_account",
    "deactivate_registration",
    "find_duplicates",
    "register_vendor",
    "update_registration",
    "visible_accounts_query",
]

VENDOR_FIELDS = ("display_name", "bank_style_name", "phone")
ACCOUNT_FIELDS = ("bank_bin", "account_number", "holder_name", "partner_reference")
# What a placard shows or encodes: changing any of these makes printed placards wrong.
PRINTED_ACCOUNT_FIELDS = frozenset({"bank_bin", "account_number", "is_card", "holder_name"})


@dataclass
class VendorRegistration:
    """One vendor to register, with the account for their placard, as typed or imported.

    The stall is given either as ``stall`` or as ``market`` + ``stall_code``. Raw values
    are fine: everything is validated and normalised by ``register_vendor``. Set the
    ``*_numeric_cell`` flags when a spreadsheet cell held a number, not text.
    """

    display_name: Any
    phone: Any
    bank_bin: str
    account_number: Any
    stall: Stall | None = None
    market: Market | None = None
    stall_code: Any = None
    bank_style_name: Any = None
    holder_name: Any = None  # default: the bank-style name
    goods_category: Any = None  # stored on the stall
    partner_reference: Any = None
    consent_given: bool = False  # Law 91/2025: explicit, never pre-ticked
    phone_numeric_cell: bool = False
    account_numeric_cell: bool = False


#: What a registration did: a new vendor on a vacant stall, or (the vendor at the stall
#: being the one registered) an account added to, or updated for, the current occupant.
REGISTERED, ACCOUNT_ADDED, ACCOUNT_UPDATED, UNCHANGED = (
    "registered",
    "account_added",
    "account_updated",
    "unchanged",
)


@dataclass(frozen=True)
class RegistrationResult:
    vendor: Vendor
    account: PaymentAccount
    occupancy: Occupancy | None
    # Non-blocking findings (same phone elsewhere, names that differ…) to show the user.
    warnings: tuple[FieldError, ...] = ()
    outcome: str = REGISTERED


@dataclass
class AccountData:
    """One account to add to an existing vendor, as typed, imported or posted."""

    bank_bin: str
    account_number: Any
    holder_name: Any = None  # default: the vendor's bank-style name
    partner_reference: Any = None
    account_numeric_cell: bool = False


@dataclass(frozen=True)
class UpdateResult:
    vendor: Vendor
    account: PaymentAccount | None
    changed: dict[str, Any]
    warnings: tuple[FieldError, ...] = ()
    superseded: tuple[Placard, ...] = ()


# --- registration ------------------------------------------------------------------------


def _clean_bank(bank_bin: Any, errors: list[FieldError]) -> Bank | None:
    text = rules.clean_text(bank_bin)
    bank = db.session.get(Bank, text) if len(text) == 6 and text.isdigit() else None
    if bank is None:
        errors.append(
            FieldError(
                "bank_bin",
                _l("Không có ngân hàng/ví mã BIN “%(text)s” trong danh mục.", text=text),
                "unknown_bank",
            )
        )
    return bank


def _resolve_stall(data: VendorRegistration, errors: list[FieldError]) -> Stall | None:
    if data.stall is not None:
        return data.stall
    if data.market is None or not rules.clean_text(data.stall_code):
        errors.append(FieldError("stall_code", _l("Cần chọn sạp của tiểu thương."), "required"))
        return None
    stall = find_stall(data.market, data.stall_code)
    if stall is None:
        errors.append(
            FieldError(
                "stall_code",
                _l(
                    "Chợ %(name)s không có sạp “%(stall_code)s”.",
                    name=data.market.name,
                    stall_code=data.stall_code,
                ),
                "unknown_stall",
            )
        )
    return stall


def register_vendor(
    data: VendorRegistration,
    *,
    organisation: Organisation | None,
    actor: Any,
    channel: str = "web",
    strict_phone: bool = False,
    replace_occupant: bool = False,
    on: date | None = None,
) -> RegistrationResult:
    """Register ``data`` at its stall: a new vendor on a vacant stall, or — when the phone
    and folded name are those of the vendor already trading there — an account for that
    occupant, without a second person record (``outcome`` says which).

    Raises PermissionDenied at once (``auth.policy``: a market manager, a bank partner
    at another bank's BIN or outside its area, a bank asking to replace the occupant).
    Every other refusal is found before anything is written and reported together
    (:func:`~market4.errors.raise_all`: one refusal as its own class, several as
    :class:`~market4.errors.Problems`): ValidationFailed listing every bad field
    (including unknown bank or stall, an account number that breaks its bank's rules,
    and missing consent); Conflict when the stall is closed or another vendor trades
    there (``vendors.conflicts``); Duplicate for a bank account already registered to
    someone else and — with ``strict_phone`` — a phone on another active vendor
    (otherwise a warning). ``replace_occupant`` (admin and system only: occupancy is the
    market board's) ends that vendor's occupancy and supersedes the stall's placards.
    """
    policy.check(Action.REGISTER, actor, organisation=organisation)
    errors: list[FieldError] = []
    fields = None
    try:
        fields = rules.validate_vendor_fields(
            display_name=data.display_name,
            phone=data.phone,
            account_number=data.account_number,
            bank_style_name=data.bank_style_name,
            holder_name=data.holder_name,
            goods_category=data.goods_category,
            partner_reference=data.partner_reference,
            phone_numeric_cell=data.phone_numeric_cell,
            account_numeric_cell=data.account_numeric_cell,
        )
    except ValidationFailed as failure:
        errors.extend(failure.errors)
    bank = _clean_bank(data.bank_bin, errors)
    if bank is not None:
        policy.check(Action.REGISTER, actor, organisation=organisation, bank_bin=bank.bin)
        if fields is not None:
            errors.extend(_account_rule_errors(fields.account_number, fields.is_card, bank.bin))
    stall = _resolve_stall(data, errors)
    if not data.consent_given:
        errors.append(rules.CONSENT_REQUIRED)
    if stall is not None and bank is not None:
        # Before looking at who trades there: a stall outside the caller's area is not theirs.
        policy.check(
            Action.REGISTER, actor, organisation=organisation, stall=stall, bank_bin=bank.bin
        )
    day = on or today()
    is_open = stall is not None and stall.is_open_on(day)
    occupant = markets.current_occupant(stall) if is_open else None
    name, phone = _typed_person(data, fields)
    is_occupant = (
        is_the_occupant(occupant, bank_style_name=name, phone_e164=phone)
        if occupant is not None and occupant.is_active
        else False
    )
    if is_occupant and not errors:
        assert fields is not None and bank is not None and stall is not None
        return _register_for_occupant(
            occupant, stall, fields, bank, organisation=organisation, actor=actor, channel=channel
        )
    if replace_occupant and occupant is not None and not is_occupant:
        policy.check(Action.OCCUPANCY, actor, organisation=organisation, stalls=[stall])

    problems: list[DomainError] = [ValidationFailed(errors)] if errors else []
    if stall is not None:
        refusal = stall_conflict(
            stall,
            is_open=is_open,
            occupant=occupant,
            is_occupant=is_occupant,
            replace_occupant=replace_occupant,
        )
        problems.extend([refusal] if refusal is not None else [])
    warnings = list(fields.warnings) if fields is not None else []
    if bank is not None:
        number = fields.account_number if fields is not None else data.account_number
        duplicates = find_duplicates(bank.bin, number, phone)
        # The stall's own vendor (registering with a field still to fix) is not "someone
        # else": neither their accounts nor their phone are duplicates.
        if is_occupant:
            duplicates = duplicates.for_vendor(occupant.id)
        duplicates = duplicates.as_seen_by(organisation)
        if duplicates.has_account_duplicate:
            problems.append(duplicates.account_error())
        if duplicates.has_phone_duplicate and strict_phone:
            problems.append(duplicates.phone_error())
        elif duplicates.has_phone_duplicate:
            warnings.append(duplicates.phone_warning())
    raise_all(problems, warnings=warnings)
    assert fields is not None and bank is not None and stall is not None

    # Every check passed: from here on nothing refuses.
    vendor = Vendor(
        display_name=fields.display_name,
        bank_style_name=fields.bank_style_name,
        phone_e164=fields.phone_e164,
        consent_at=now_utc(),
        registered_by_org_id=getattr(organisation, "id", None),
    )
    account = _new_account(
        vendor,
        bank,
        fields.account_number,
        fields.is_card,
        fields.holder_name,
        fields.partner_reference,
        organisation=organisation,
        on_placard=True,
    )
    db.session.add_all([vendor, account])
    db.session.flush()
    if replace_occupant:
        occupancy = markets.assign_vendor(
            stall, vendor, actor=actor, on=day, replace_occupant=True, channel=channel
        )
    else:
        occupancy = markets.occupy_vacant_stall(stall, vendor, actor=actor, on=day, channel=channel)
    if fields.goods_category and stall.goods_category != fields.goods_category:
        markets.set_goods_category(stall, fields.goods_category, actor=actor, channel=channel)
    audit.record(
        "register",
        vendor,
        actor=actor,
        channel=channel,
        after={
            "display_name": vendor.display_name,
            "bank_style_name": vendor.bank_style_name,
            "phone": vendor.phone_e164,
            "stall_id": stall.id,
            "consent": True,
        },
    )
    audit.record("create", account, actor=actor, channel=channel, after=account_snapshot(account))
    db.session.flush()
    return RegistrationResult(
        vendor=vendor, account=account, occupancy=occupancy, warnings=tuple(warnings)
    )


def _typed_person(
    data: VendorRegistration, fields: rules.VendorFields | None
) -> tuple[str | None, str | None]:
    """The folded name and E.164 phone typed, each None when it fails its rules, so
    that another field's mistake does not hide whether this is the stall's vendor."""
    if fields is not None:
        return fields.bank_style_name, fields.phone_e164

    def cleaned(rule: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return rule(*args, **kwargs)
        except ValidationFailed:
            return None

    display_name = cleaned(rules.clean_display_name, data.display_name)
    name = None
    if display_name is not None or rules.clean_text(data.bank_style_name):
        name = cleaned(rules.clean_bank_style_name, data.bank_style_name, display_name=display_name)
    phone = cleaned(rules.clean_phone, data.phone, numeric_cell=data.phone_numeric_cell)
    return name, phone


def _account_rule_errors(number: str, is_card: bool, bank_bin: str) -> list[FieldError]:
    """The bank's own rules for its account (or card) numbers, as field errors."""
    try:
        rules.check_account_for_bank(number, bank_bin, is_card=is_card)
    except ValidationFailed as failure:
        return list(failure.errors)
    return []


def _new_account(
    vendor: Vendor,
    bank: Bank,
    number: str,
    is_card: bool,
    holder_name: str,
    partner_reference: str | None,
    *,
    organisation: Organisation | None,
    on_placard: bool,
) -> PaymentAccount:
    return PaymentAccount(
        vendor=vendor,
        bank_bin=bank.bin,
        account_number=number,
        is_card=is_card,
        holder_name=holder_name,
        kind="wallet" if bank.is_wallet else "bank",
        is_on_placard=on_placard,
        status=AccountStatus.ACTIVE,
        registered_by_org_id=getattr(organisation, "id", None),
        partner_reference=partner_reference,
        verified_at=access.verified_at(organisation, bank.bin),
    )


def _register_for_occupant(
    occupant: Vendor,
    stall: Stall,
    fields: rules.VendorFields,
    bank: Bank,
    *,
    organisation: Organisation | None,
    actor: Any,
    channel: str,
) -> RegistrationResult:
    """A registration that names the stall's current vendor: their account, not a new person."""
    data = AccountData(
        bank_bin=bank.bin,
        account_number=fields.account_number,
        holder_name=fields.holder_name,
        partner_reference=fields.partner_reference,
    )
    result = add_account(
        occupant,
        data,
        organisation=organisation,
        actor=actor,
        channel=channel,
        stall=stall,
        phone=fields.phone_e164,
        consent_given=True,
    )
    if fields.goods_category and stall.goods_category != fields.goods_category:
        markets.set_goods_category(stall, fields.goods_category, actor=actor, channel=channel)
    warnings = [w for w in fields.warnings if w.code != "holder_name_differs"] + list(
        result.warnings
    )
    return RegistrationResult(
        vendor=occupant,
        account=result.account,
        occupancy=markets.current_occupancy(stall),
        warnings=tuple(warnings),
        outcome=result.outcome,
    )


# --- accounts of an existing vendor --------------------------------------------------------


@dataclass(frozen=True)
class AccountResult:
    account: PaymentAccount
    outcome: str  # ACCOUNT_ADDED, ACCOUNT_UPDATED or UNCHANGED
    warnings: tuple[FieldError, ...] = ()


def add_account(
    vendor: Vendor,
    data: AccountData,
    *,
    organisation: Organisation | None,
    actor: Any,
    channel: str = "web",
    stall: Stall | None = None,
    phone: str | None = None,
    consent_given: bool = False,
) -> AccountResult:
    """Give ``vendor`` another account (at the caller's bank), or update it if it is theirs.

    The account goes on the placard only when the vendor has no active placard account:
    a stall's QR never moves to another account behind the vendor's back (which account
    it pays is chosen with ``choose_placard_account``). An account already registered to
    this vendor is updated (holder name, reference) instead of duplicated; one registered
    to anyone else is a Duplicate. ``stall``, when given, must be where the vendor trades
    now (a bank adds accounts only for a stall's current occupant). A vendor who never
    consented must consent now (``consent_given``); a missing phone is filled in.
    """
    policy.check(Action.ADD_ACCOUNT, actor, organisation=organisation, vendor=vendor, stall=stall)
    errors: list[FieldError] = []
    bank = _clean_bank(data.bank_bin, errors)
    number = holder = reference = None
    try:
        number = rules.clean_account_number(
            data.account_number, numeric_cell=data.account_numeric_cell
        )
    except ValidationFailed as failure:
        errors.extend(failure.errors)
    try:
        holder = rules.clean_holder_name(data.holder_name, default=vendor.bank_style_name)
    except ValidationFailed as failure:
        errors.extend(failure.errors)
    try:
        reference = rules.clean_partner_reference(data.partner_reference)
    except ValidationFailed as failure:
        errors.extend(failure.errors)
    if number is not None and bank is not None:
        errors.extend(_account_rule_errors(number.number, number.is_card, bank.bin))
    if vendor.consent_at is None and not consent_given:
        errors.append(rules.CONSENT_REQUIRED)
    if errors:
        raise ValidationFailed(errors)
    assert bank is not None and number is not None and holder is not None
    policy.check(
        Action.ADD_ACCOUNT,
        actor,
        organisation=organisation,
        vendor=vendor,
        stall=stall,
        bank_bin=bank.bin,
    )
    if not vendor.is_active:
        raise Conflict(_l("Tiểu thương đã ngừng hoạt động."), code="vendor_inactive")
    warnings = list(number.warnings)
    duplicates = find_duplicates(bank.bin, number.number, None)
    mine = duplicates.own_account(vendor.id)
    if duplicates.for_vendor(vendor.id).has_account_duplicate:
        raise duplicates.account_error()
    if mine is not None:
        changes = {
            key: value
            for key, value in (
                ("holder_name", holder if data.holder_name else None),
                ("partner_reference", reference),
            )
            if value is not None
        }
        updated = (
            update_registration(
                mine, changes, organisation=organisation, actor=actor, channel=channel
            )
            if changes
            else None
        )
        outcome = ACCOUNT_UPDATED if updated is not None and updated.changed else UNCHANGED
        return AccountResult(mine, outcome, tuple(warnings))

    on_placard = vendor.placard_account is None
    account = _new_account(
        vendor,
        bank,
        number.number,
        number.is_card,
        holder,
        reference,
        organisation=organisation,
        on_placard=on_placard,
    )
    if phone and vendor.phone_e164 is None:
        vendor.phone_e164 = phone
    if vendor.consent_at is None:
        vendor.consent_at = now_utc()
    db.session.add(account)
    db.session.flush()
    if not on_placard:
        warnings.append(
            FieldError(
                "account_number",
                _l(
                    "Tài khoản mới chưa in lên bảng mã: sạp vẫn nhận tiền vào tài khoản đang in "
                    "trên "
                    "bảng. Ban quản lý chợ đổi tài khoản in bảng khi tiểu thương yêu cầu."
                ),
                "not_on_placard",
            )
        )
    if holder != vendor.bank_style_name:
        warnings.append(rules.holder_name_differs())
    audit.record(
        "create",
        account,
        actor=actor,
        channel=channel,
        after={**account_snapshot(account), "vendor_id": vendor.id, "on_placard": on_placard},
    )
    db.session.flush()
    return AccountResult(account, ACCOUNT_ADDED, tuple(warnings))


# --- changes -----------------------------------------------------------------------------


def audit_mask(number: str) -> str:
    """An account number as audit records keep it: the last four digits."""
    return f"…{number[-4:]}"


def account_snapshot(account: PaymentAccount) -> dict[str, Any]:
    """Audit view of an account: the number masked (bank data is sensitive, Law 91/2025)."""
    return {
        "bank_bin": account.bank_bin,
        "account_number": audit_mask(account.account_number),
        "is_card": account.is_card,
        "holder_name": account.holder_name,
        "kind": account.kind,
        "status": account.status,
    }


def _clean_changes(
    changes: Mapping[str, Any], vendor: Vendor, account: PaymentAccount | None
) -> dict[str, Any]:
    """Normalise the requested changes; every bad field is reported together."""
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}

    def run(name: str, rule: Any, *args: Any, **kwargs: Any) -> None:
        try:
            cleaned[name] = rule(*args, **kwargs)
        except ValidationFailed as failure:
            errors.extend(failure.errors)

    for name in changes:
        if name not in VENDOR_FIELDS + ACCOUNT_FIELDS:
            errors.append(
                FieldError(
                    name, _l("Không sửa được trường “%(name)s”.", name=name), "unknown_field"
                )
            )
    if any(name in ACCOUNT_FIELDS for name in changes) and account is None:
        errors.append(
            FieldError("account_number", _l("Tiểu thương chưa có tài khoản để sửa."), "no_account")
        )
    if "display_name" in changes:
        run("display_name", rules.clean_display_name, changes["display_name"])
    if "bank_style_name" in changes:
        run(
            "bank_style_name",
            rules.clean_bank_style_name,
            changes["bank_style_name"],
            display_name=cleaned.get("display_name", vendor.display_name),
        )
    elif "display_name" in cleaned and vendor.bank_style_name == rules.clean_bank_style_name(
        None, display_name=vendor.display_name
    ):
        # The bank-style name was the folded display name: keep it in step with the fix.
        cleaned["bank_style_name"] = rules.clean_bank_style_name(
            None, display_name=cleaned["display_name"]
        )
    if "phone" in changes:
        run("phone", rules.clean_phone, changes["phone"])
    if "bank_bin" in changes:
        bank = _clean_bank(changes["bank_bin"], errors)
        if bank is not None:
            cleaned["bank_bin"] = bank.bin
            cleaned["kind"] = "wallet" if bank.is_wallet else "bank"
    if "account_number" in changes:
        try:
            number = rules.clean_account_number(changes["account_number"])
            cleaned["account_number"], cleaned["is_card"] = number.number, number.is_card
        except ValidationFailed as failure:
            errors.extend(failure.errors)
    if "holder_name" in changes:
        run(
            "holder_name",
            rules.clean_holder_name,
            changes["holder_name"],
            default=cleaned.get("bank_style_name", vendor.bank_style_name),
        )
    if "partner_reference" in changes:
        run("partner_reference", rules.clean_partner_reference, changes["partner_reference"])
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def update_registration(
    target: Vendor | PaymentAccount,
    changes: Mapping[str, Any],
    *,
    organisation: Organisation | None,
    actor: Any,
    channel: str = "web",
    strict_phone: bool = False,
) -> UpdateResult:
    """Change a vendor's names/phone and/or an account's bank, number, holder or reference.

    ``target`` is the vendor (account changes then apply to their on-placard account) or
    one account. A new bank, number or holder name supersedes the account's live
    placards; a stall that accepted through one of them becomes not_accepting
    ("placard_superseded") until the reprint is posted.
    """
    if isinstance(target, PaymentAccount):
        vendor, account = target.vendor, target
    else:
        vendor, account = target, target.placard_account
    if any(name in VENDOR_FIELDS for name in changes):
        policy.check(Action.CHANGE_VENDOR, actor, organisation=organisation, vendor=vendor)
    if account is not None and any(name in ACCOUNT_FIELDS for name in changes):
        policy.check(Action.CHANGE_ACCOUNT, actor, organisation=organisation, account=account)
    elif account is None and any(name in ACCOUNT_FIELDS for name in changes):
        policy.check(Action.ADD_ACCOUNT, actor, organisation=organisation, vendor=vendor)
    cleaned = _clean_changes(changes, vendor, account)
    if (
        account is not None
        and account.status != AccountStatus.ACTIVE
        and any(k in cleaned for k in ACCOUNT_FIELDS)
    ):
        raise Conflict(_l("Tài khoản đã đóng, không sửa được."), code="account_closed")
    vendor_changes = {
        k: v
        for k, v in cleaned.items()
        if k in ("display_name", "bank_style_name", "phone") and _vendor_value(vendor, k) != v
    }
    account_changes = {
        k: v
        for k, v in cleaned.items()
        if account is not None
        and k not in vendor_changes
        and k not in VENDOR_FIELDS
        and getattr(account, k) != v
    }
    if "bank_bin" in account_changes:
        policy.check(
            Action.CHANGE_ACCOUNT,
            actor,
            organisation=organisation,
            account=account,
            new_bank_bin=account_changes["bank_bin"],
        )
    if account is not None and ({"bank_bin", "account_number"} & account_changes.keys()):
        number = account_changes.get("account_number", account.account_number)
        is_card = account_changes.get("is_card", account.is_card)
        rule_errors = _account_rule_errors(
            number, is_card, account_changes.get("bank_bin", account.bank_bin)
        )
        if rule_errors:
            raise ValidationFailed(rule_errors)
    warnings: list[FieldError] = []
    if account is not None and ({"bank_bin", "account_number"} & account_changes.keys()):
        report = find_duplicates(
            account_changes.get("bank_bin", account.bank_bin),
            account_changes.get("account_number", account.account_number),
            None,
            exclude_account_id=account.id,
        )
        if report.has_account_duplicate:
            raise report.account_error()
    if "phone" in vendor_changes:
        report = find_duplicates(
            None, None, vendor_changes["phone"], exclude_vendor_id=vendor.id
        ).as_seen_by(organisation)
        if report.has_phone_duplicate:
            if strict_phone:
                raise report.phone_error()
            warnings.append(report.phone_warning())

    superseded: tuple[Placard, ...] = ()
    if vendor_changes:
        before = {k: _vendor_value(vendor, k) for k in vendor_changes}
        for key, value in vendor_changes.items():
            setattr(vendor, "phone_e164" if key == "phone" else key, value)
        audit.record(
            "update", vendor, actor=actor, channel=channel, before=before, after=vendor_changes
        )
    if account is not None and account_changes:
        before = account_snapshot(account)
        for key, value in account_changes.items():
            setattr(account, key, value)
        if PRINTED_ACCOUNT_FIELDS & account_changes.keys():
            account.verified_at = access.verified_at(organisation, account.bank_bin)
        db.session.flush()
        if PRINTED_ACCOUNT_FIELDS & account_changes.keys():
            superseded = tuple(
                placards.supersede_placards(
                    account=account,
                    reason="account changed",
                    actor=actor,
                    channel=channel,
                    stall_status_reason=StatusReason.PLACARD_SUPERSEDED,
                )
            )
        audit.record(
            "update",
            account,
            actor=actor,
            channel=channel,
            before=before,
            after=account_snapshot(account),
        )
    db.session.flush()
    changed = {
        **vendor_changes,
        **{k: v for k, v in account_changes.items() if k != "account_number"},
    }
    if "account_number" in account_changes:
        changed["account_number"] = audit_mask(account_changes["account_number"])
    return UpdateResult(
        vendor=vendor,
        account=account,
        changed=changed,
        warnings=tuple(warnings),
        superseded=superseded,
    )


def _vendor_value(vendor: Vendor, key: str) -> Any:
    return vendor.phone_e164 if key == "phone" else getattr(vendor, key)


def deactivate_registration(
    account: PaymentAccount,
    *,
    organisation: Organisation | None,
    actor: Any,
    reason: str,
    channel: str = "web",
    on: date | None = None,
) -> PaymentAccount:
    """Close ``account``: no placard may carry it any more.

    Its live placards are superseded and, when it was the on-placard account, the
    vendor's current stalls become not_accepting ("account_closed") from ``on``.
    """
    policy.check(Action.CHANGE_ACCOUNT, actor, organisation=organisation, account=account)
    if account.status == AccountStatus.CLOSED:
        raise Conflict(_l("Tài khoản đã đóng."), code="account_closed")
    reason = rules.clean_text(reason)
    if not reason:
        raise ValidationFailed(
            [FieldError("reason", _l("Cần ghi lý do đóng tài khoản."), "required")]
        )
    day = on or today()
    before = account_snapshot(account)
    was_on_placard = account.is_on_placard
    account.status = "closed"
    account.closed_at = now_utc()
    db.session.flush()
    ended = placards.supersede_placards(
        account=account, reason=f"account closed: {reason}", actor=actor, channel=channel
    )
    stalls = {placard.stall_id: placard.stall for placard in ended}
    if was_on_placard:
        open_occupancies = db.session.scalars(
            select(Occupancy).where(
                Occupancy.vendor_id == account.vendor_id, Occupancy.ended_on.is_(None)
            )
        )
        for occupancy in open_occupancies:
            stalls.setdefault(occupancy.stall_id, occupancy.stall)
    for stall in stalls.values():
        markets.set_stall_status(
            stall, NOT_ACCEPTING, reason=StatusReason.ACCOUNT_CLOSED, on=day, actor=actor
        )
    audit.record(
        "close",
        account,
        actor=actor,
        channel=channel,
        before=before,
        after={**account_snapshot(account), "reason": reason},
    )
    db.session.flush()
    return account

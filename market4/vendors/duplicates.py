"""Finding registrations that already exist: same bank account, or same phone number.

Two kinds on purpose (docs/domain.md, “Duplicates”): the same bank + account number is the *same
account* and is never registered twice (a unique constraint backs this up); the same
phone on another vendor is only suspicious — relatives share phones, and a wallet is
often paid to the phone — so it is a warning unless the caller asks for strictness.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

from market4.domain import banks as bank_directory
from market4.domain.placard_layout import group_account_number
from market4.errors import Duplicate, FieldError, ValidationFailed
from market4.extensions import db
from market4.formatting import vn_phone
from market4.registry.policy import acts_for_one_bank
from market4.registry.validation import clean_account_number, clean_phone
from market4.registry.vendors import PaymentAccount, Vendor
from market4.vocabulary import AccountStatus

__all__ = [
    "DuplicateReport",
    "accounts_by_number",
    "accounts_by_reference",
    "active_vendor_ids_by_phone",
    "find_duplicates",
    "matching_any",
    "same_person",
]


@dataclass(frozen=True)
class DuplicateReport:
    """What ``find_duplicates`` found; empty tuples mean "no duplicate"."""

    # Rows with the same bank BIN and account number, whatever their status.
    accounts: tuple[PaymentAccount, ...] = ()
    # Other *active* vendors registered with the same phone number.
    phone_vendors: tuple[Vendor, ...] = ()

    @property
    def has_account_duplicate(self) -> bool:
        return bool(self.accounts)

    @property
    def has_phone_duplicate(self) -> bool:
        return bool(self.phone_vendors)

    @property
    def is_empty(self) -> bool:
        return not (self.accounts or self.phone_vendors)

    @property
    def account_ids(self) -> list[int]:
        return [account.id for account in self.accounts]

    @property
    def account_vendor_ids(self) -> list[int]:
        return [account.vendor_id for account in self.accounts]

    @property
    def phone_vendor_ids(self) -> list[int]:
        return [vendor.id for vendor in self.phone_vendors]

    def as_seen_by(self, organisation: Any) -> DuplicateReport:
        """The report a bank branch may see: phone matches among its own bank's customers
        only, so that a phone number cannot be used to learn who banks elsewhere. (The
        admin's duplicate-vendor page still finds the same person across banks.)"""
        if organisation is None or not acts_for_one_bank(organisation):
            return self
        own = organisation.bank_bin
        return replace(
            self,
            phone_vendors=tuple(
                vendor
                for vendor in self.phone_vendors
                if any(account.bank_bin == own for account in vendor.accounts)
            ),
        )

    def own_account(self, vendor_id: int) -> PaymentAccount | None:
        """``vendor_id``'s own active account among the matches: theirs to update."""
        return next(
            (
                account
                for account in self.accounts
                if account.vendor_id == vendor_id and account.status == AccountStatus.ACTIVE
            ),
            None,
        )

    def for_vendor(self, vendor_id: int) -> DuplicateReport:
        """The report for ``vendor_id`` registering again: their own active account and
        their own phone are not someone else's."""
        return replace(
            self,
            accounts=() if self.own_account(vendor_id) is not None else self.accounts,
            phone_vendors=tuple(v for v in self.phone_vendors if v.id != vendor_id),
        )

    def account_error(self) -> Duplicate:
        """The error to raise for an account duplicate (ids of the existing account rows)."""
        closed = all(account.status == AccountStatus.CLOSED for account in self.accounts)
        first = self.accounts[0]
        bank = bank_directory.by_bin(first.bank_bin)
        bank_name = bank.short_name if bank is not None else "BIN " + first.bank_bin
        message = (
            _l("Tài khoản này đã được đăng ký trước đây và đã đóng — hãy mở lại bản ghi cũ.")
            if closed
            else _l(
                "Tài khoản ngân hàng này đã được đăng ký cho một tiểu thương: %(bank)s %(number)s.",
                bank=bank_name,
                number=group_account_number(first.account_number),
            )
        )
        return Duplicate(
            message,
            field="account_number",
            object_type="PaymentAccount",
            object_ids=self.account_ids,
            code="duplicate_account",
            details={"vendor_ids": self.account_vendor_ids},
        )

    def phone_warning(self) -> FieldError:
        return FieldError(
            "phone",
            _l("Số điện thoại đã được đăng ký cho tiểu thương khác — kiểm tra lại."),
            "duplicate_phone",
        )

    def phone_error(self) -> Duplicate:
        return Duplicate(
            _l(
                "Số điện thoại đã được đăng ký cho tiểu thương khác: %(phone)s.",
                phone=vn_phone(self.phone_vendors[0].phone_e164),
            ),
            field="phone",
            object_type="Vendor",
            object_ids=self.phone_vendor_ids,
            code="duplicate_phone",
        )


def same_person(vendor: Vendor | Any, *, phone_e164: str | None, bank_style_name: str) -> bool:
    """Is the person described by a phone and a folded name ``vendor`` (the one record,
    or a row with its ``bank_style_name`` and ``phone_e164``)?

    The same folded name ("NGUYEN THI DAO", diacritics and case ignored) and, when both
    have a phone, the same phone. A name alone is the same person only when the record
    has no phone yet (it is then filled in); a phone alone never is: relatives share
    phones. Used where the person at a stall gets an account, so that no second record
    of them is created.
    """
    if vendor.bank_style_name != bank_style_name:
        return False
    return vendor.phone_e164 is None or vendor.phone_e164 == phone_e164


def _normalised(rule: Callable[[object], str], value: object) -> str | None:
    try:
        return rule(value)
    except ValidationFailed:
        return None


def find_duplicates(
    bank_bin: str | None,
    account_number: object,
    phone: object,
    *,
    exclude_account_id: int | None = None,
    exclude_vendor_id: int | None = None,
) -> DuplicateReport:
    """Existing accounts with this bank + number and active vendors with this phone.

    Inputs may be raw (as typed or imported): they are normalised with the same rules
    as registration; a value that does not pass them cannot match anything.
    """
    accounts: tuple[PaymentAccount, ...] = ()
    cleaned_account = _normalised(lambda v: clean_account_number(v).number, account_number)
    if bank_bin and cleaned_account:
        query = select(PaymentAccount).where(
            PaymentAccount.bank_bin == bank_bin.strip(),
            PaymentAccount.account_number == cleaned_account,
        )
        if exclude_account_id is not None:
            query = query.where(PaymentAccount.id != exclude_account_id)
        accounts = tuple(db.session.scalars(query.order_by(PaymentAccount.id)))
    vendors: tuple[Vendor, ...] = ()
    phone_e164 = _normalised(clean_phone, phone)
    if phone_e164:
        query = select(Vendor).where(Vendor.phone_e164 == phone_e164, Vendor.is_active.is_(True))
        if exclude_vendor_id is not None:
            query = query.where(Vendor.id != exclude_vendor_id)
        vendors = tuple(db.session.scalars(query.order_by(Vendor.id)))
    return DuplicateReport(accounts=accounts, phone_vendors=vendors)


# --- bulk look-ups (imports): a few queries for a whole file, never one per row ---------

# Well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500


def matching_any(column: Any, values: Collection[Any]) -> Iterator[ColumnElement[bool]]:
    """Conditions "``column`` is one of ``values``", as few as the database allows.

    PostgreSQL gets one ``= ANY(array)`` (one bound parameter, however many values:
    thousands of ``IN`` parameters cost seconds there); SQLite gets ``IN`` lists of at
    most 500 values, under its bound-parameter limit.
    """
    ordered = sorted(set(values))
    if not ordered:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        item_type = String() if isinstance(column.type, NullType) else column.type
        yield column == any_(bindparam(None, ordered, type_=ARRAY(item_type)))
        return
    for start in range(0, len(ordered), _CHUNK):
        yield column.in_(ordered[start : start + _CHUNK])


def accounts_by_number(bank_bin: str, numbers: Collection[str]) -> dict[str, PaymentAccount]:
    """Existing accounts at ``bank_bin`` keyed by their (normalised) account number."""
    found: dict[str, PaymentAccount] = {}
    for condition in matching_any(PaymentAccount.account_number, numbers):
        query = select(PaymentAccount).where(PaymentAccount.bank_bin == bank_bin, condition)
        found.update((account.account_number, account) for account in db.session.scalars(query))
    return found


def accounts_by_reference(
    organisation_id: int | None, references: Collection[str]
) -> dict[str, PaymentAccount]:
    """Accounts an organisation registered, keyed by its own partner reference."""
    found: dict[str, PaymentAccount] = {}
    if organisation_id is None:
        return found
    for condition in matching_any(PaymentAccount.partner_reference, references):
        query = select(PaymentAccount).where(
            PaymentAccount.registered_by_org_id == organisation_id, condition
        )
        for account in db.session.scalars(query.order_by(PaymentAccount.id)):
            found.setdefault(account.partner_reference or "", account)
    return found


def active_vendor_ids_by_phone(phones: Collection[str]) -> dict[str, set[int]]:
    """Ids of active vendors per E.164 phone, for "same phone elsewhere" warnings."""
    found: dict[str, set[int]] = {}
    for condition in matching_any(Vendor.phone_e164, phones):
        query = select(Vendor.phone_e164, Vendor.id).where(condition, Vendor.is_active.is_(True))
        for phone, vendor_id in db.session.execute(query):
            found.setdefault(phone, set()).add(vendor_id)
    return found

"""Deciding what each imported row will do, with a few queries for the whole file.

Rows are validated in two passes: first each row alone with the form's rules
(``registry.validation``), then against the database — markets, stalls, occupants,
existing accounts and phones are loaded for the whole file in a handful of queries and
every row is classified in memory. Validating 10,000 rows one query at a time would
take minutes; this way the import stays within seconds (docs/benchmarks.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from market4.auth.models import Organisation, User
from market4.banks.models import Bank
from market4.db import today
from market4.domain import banks as directory
from market4.domain.text import bank_style_name as fold_to_bank_style
from market4.errors import FieldError, Text, ValidationFailed
from market4.extensions import db
from market4.i18n import N_
from market4.imports.reading import COLUMN_LABELS, RawRow
from market4.markets.services import stall_code_key
from market4.registry import scope
from market4.registry import validation as rules
from market4.registry.imports import ImportRow
from market4.registry.markets import Market, Stall
from market4.registry.policy import acts_for_one_bank
from market4.registry.scope import restrict_markets_to_area
from market4.registry.stalls import stall_name
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vendors import duplicates
from market4.vendors.conflicts import STALL_FIELD, is_the_occupant, stall_conflict
from market4.vocabulary import AccountStatus

__all__ = ["Plan", "RowPlanner"]

PENDING = "pending"
# Rule field names -> import column keys.
_FIELD_TO_COLUMN = {"bank_style_name": "display_name", "bank_bin": "bank"}
OTHER_BANK = N_("Chỉ được đăng ký tài khoản của ngân hàng mình (%(bank)s).")


@dataclass
class Plan:
    """One row: its outcome, messages, normalised values and what it will touch."""

    row_number: int
    values: dict[str, Any]
    outcome: str = PENDING
    # {"column", "message", "code", "severity": "error" | "warning"}
    errors: list[dict[str, str]] = field(default_factory=list)
    fields: rules.VendorFields | None = None
    holder_given: bool = False
    stall: Stall | None = None
    vendor_id: int | None = None
    account_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    category_change: str | None = None
    import_row_id: int | None = None

    @classmethod
    def from_row(cls, row: ImportRow | Any) -> Plan:
        """From a stored row (an ``ImportRow`` or a result row with the same names)."""
        return cls(
            row_number=row.row_number,
            values=dict(row.values or {}),
            outcome=row.outcome,
            errors=list(row.errors or []),
            vendor_id=row.vendor_id,
            account_id=row.payment_account_id,
            import_row_id=row.id,
        )

    def add(self, column: str, message: Text, code: str, severity: str = "error") -> None:
        # Stored as text in the uploader's language: the report is kept with the batch.
        self.errors.append(
            {"column": column, "message": str(message), "code": code, "severity": severity}
        )

    def refuse(self, outcome: str, column: str, message: Text, code: str) -> None:
        """A reason the row is not written: the first decides its outcome, the others
        are listed with it."""
        if self.outcome == PENDING:
            self.outcome = outcome
        self.add(column, message, code)


def as_text(value: Any) -> str:
    """A cell as text: "12" for the number 12.0, NFC and single-spaced otherwise."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return rules.clean_text(value)


def _renames(current: str, typed: str) -> bool:
    """Does ``typed`` change the vendor's name? A spelling without diacritics of the same
    name ("pham thi lan" for "Phạm Thị Lan", as another bank's file may have it) does
    not: it would only lose information."""
    if typed == current:
        return False
    return not typed.isascii() or fold_to_bank_style(typed) != fold_to_bank_style(current)


class RowPlanner:
    """Classifies rows for one batch: one bank, one organisation, one actor's scope."""

    def __init__(self, *, bank: Bank, organisation: Organisation | None, actor: Any) -> None:
        self.bank = bank
        self.organisation = organisation
        self.actor = actor
        self.day = today()
        self._bank_cache: dict[str, str | None] = {}
        self._category_cache: dict[str, tuple[str | None, FieldError | None]] = {}

    # --- pass 1: each row alone ------------------------------------------------------

    def plan(self, rows: list[RawRow]) -> list[Plan]:
        plans = [self._clean(row) for row in rows]
        self._load([plan for plan in plans if plan.outcome == PENDING])
        seen_numbers: dict[str, int] = {}
        seen_references: dict[str, int] = {}
        self._claimed: dict[int, int] = {}
        self._phones_in_file: dict[str, int] = {}
        for plan in plans:
            if plan.outcome == PENDING:
                self._classify(plan, seen_numbers, seen_references)
        return plans

    def _resolve_bank(self, text: str) -> str | None:
        if text not in self._bank_cache:
            try:
                self._bank_cache[text] = directory.resolve(text).bin
            except directory.BankLookupError:
                self._bank_cache[text] = None
        return self._bank_cache[text]

    def _category(self, text: str) -> tuple[str | None, FieldError | None]:
        # Cached: a file has a few dozen distinct categories and the rule is slow-ish.
        if text not in self._category_cache:
            try:
                self._category_cache[text] = (rules.clean_goods_category(text), None)
            except ValidationFailed as failure:
                self._category_cache[text] = (None, failure.errors[0])
        return self._category_cache[text]

    def _clean(self, row: RawRow) -> Plan:
        raw = row.values
        text = {key: as_text(raw.get(key)) for key in COLUMN_LABELS}
        plan = Plan(row.row_number, values=text)
        market_code = text["market_code"].upper()
        if not market_code:
            plan.add("market_code", _l("Cần nhập mã chợ."), "required")
        stall_code = None
        try:
            stall_code = rules.clean_stall_code(text["stall_code"])
        except ValidationFailed as failure:
            plan.errors.extend(self._as_rows(failure.errors))
        bank_bin = self.bank.bin
        if text["bank"]:
            bank_bin = self._resolve_bank(text["bank"]) or ""
            if not bank_bin:
                plan.add(
                    "bank",
                    _l(
                        "Không nhận ra ngân hàng “%(bank)s” — ghi mã BIN (6 số), mã NAPAS hoặc "
                        "tên ngân hàng.",
                        bank=text["bank"],
                    ),
                    "unknown_bank",
                )
            elif bank_bin != self.bank.bin:
                plan.add("bank", _l(OTHER_BANK, bank=self.bank.short_name), "other_bank")
        phone = raw.get("phone") if "phone" in row.numeric else text["phone"]
        account = (
            raw.get("account_number") if "account_number" in row.numeric else text["account_number"]
        )
        fields = None
        try:
            fields = rules.validate_vendor_fields(
                display_name=text["display_name"],
                phone=phone,
                account_number=account,
                holder_name=text["holder_name"],
                partner_reference=text["partner_reference"],
                phone_numeric_cell="phone" in row.numeric,
                account_numeric_cell="account_number" in row.numeric,
            )
        except ValidationFailed as failure:
            plan.errors.extend(self._as_rows(failure.errors))
        if fields is not None:
            try:
                rules.check_account_for_bank(
                    fields.account_number, self.bank.bin, is_card=fields.is_card
                )
            except ValidationFailed as failure:
                plan.errors.extend(self._as_rows(failure.errors))
        category, problem = self._category(text["goods_category"])
        if problem is not None:
            plan.errors.extend(self._as_rows([problem]))
        if plan.errors or fields is None or stall_code is None:
            plan.outcome = "invalid"
            return plan
        plan.fields = dataclasses.replace(fields, goods_category=category)
        plan.holder_given = bool(text["holder_name"])
        plan.errors.extend(self._as_rows(fields.warnings, severity="warning"))
        # Stored for the commit, which validates these again: empty stays empty.
        plan.values = {
            "market_code": market_code,
            "stall_code": stall_code,
            "display_name": fields.display_name,
            "phone": fields.phone_e164 or "",
            "bank": self.bank.bin,
            "account_number": fields.account_number,
            "holder_name": fields.holder_name if plan.holder_given else "",
            "goods_category": category or "",
            "partner_reference": fields.partner_reference or "",
        }
        return plan

    @staticmethod
    def _as_rows(
        errors: list[FieldError] | tuple[FieldError, ...], severity: str = "error"
    ) -> list[dict[str, str]]:
        return [
            {
                "column": _FIELD_TO_COLUMN.get(error.field, error.field),
                "message": error.message,
                "code": error.code,
                "severity": severity,
            }
            for error in errors
        ]

    # --- the database, once for the whole file ---------------------------------------

    def _load(self, plans: list[Plan]) -> None:
        any_of = duplicates.matching_any
        query = scope.markets_query(self.actor) if isinstance(self.actor, User) else select(Market)
        if not isinstance(self.actor, User) and acts_for_one_bank(self.organisation):
            # The CLI acting for a branch: the branch's area, as for its own users.
            query = restrict_markets_to_area(query, self.organisation.area)
        self.markets: dict[str, Market] = {}
        for condition in any_of(
            func.upper(Market.code), {plan.values["market_code"] for plan in plans}
        ):
            for market in db.session.scalars(query.where(condition)):
                self.markets[market.code.upper()] = market
        self.stalls: dict[tuple[int, str], Stall] = {}
        # Plain rows, not ORM objects: a file of 10,000 occupied stalls loads them all.
        self.occupants: dict[int, Any] = {}
        for condition in any_of(Stall.market_id, [market.id for market in self.markets.values()]):
            for stall in db.session.scalars(select(Stall).where(condition)):
                self.stalls[(stall.market_id, stall_code_key(stall.code))] = stall
            occupied = db.session.execute(
                select(
                    Occupancy.stall_id,
                    Vendor.id,
                    Vendor.is_active,
                    Vendor.bank_style_name,
                    Vendor.phone_e164,
                )
                .join(Vendor, Vendor.id == Occupancy.vendor_id)
                .join(Stall, Stall.id == Occupancy.stall_id)
                .where(condition, Occupancy.ended_on.is_(None))
            )
            self.occupants.update((row.stall_id, row) for row in occupied)
        fields = [plan.fields for plan in plans if plan.fields is not None]
        self.by_number = duplicates.accounts_by_number(
            self.bank.bin, [f.account_number for f in fields]
        )
        self.by_reference = duplicates.accounts_by_reference(
            getattr(self.organisation, "id", None),
            [f.partner_reference for f in fields if f.partner_reference],
        )
        self.phone_owners = duplicates.active_vendor_ids_by_phone(
            [f.phone_e164 for f in fields if f.phone_e164]
        )
        matched = {
            account.vendor_id for account in (*self.by_number.values(), *self.by_reference.values())
        }
        self.vendor_stalls: dict[int, set[int]] = {}
        # Held here (the session's identity map is weak): no query per matched row.
        self.vendors: dict[int, Vendor] = {}
        for condition in any_of(Vendor.id, matched):
            self.vendors.update(
                (vendor.id, vendor)
                for vendor in db.session.scalars(select(Vendor).where(condition))
            )
        for condition in any_of(Occupancy.vendor_id, matched):
            for vendor_id, stall_id in db.session.execute(
                select(Occupancy.vendor_id, Occupancy.stall_id).where(
                    condition, Occupancy.ended_on.is_(None)
                )
            ):
                self.vendor_stalls.setdefault(vendor_id, set()).add(stall_id)

    # --- pass 2: each row against the database and the rows before it ----------------
    #
    # Every reason a row cannot be written is listed, not only the first (a stall taken
    # by someone else *and* an account registered at another stall), so the file is
    # fixed in one go; the first reason decides the row's outcome.

    def _classify(
        self, plan: Plan, seen_numbers: dict[str, int], seen_references: dict[str, int]
    ) -> None:
        fields = plan.fields
        assert fields is not None
        number, reference = fields.account_number, fields.partner_reference
        earlier = seen_numbers.setdefault(number, plan.row_number)
        earlier_reference = (
            seen_references.setdefault(reference, plan.row_number) if reference else plan.row_number
        )
        if earlier != plan.row_number:
            plan.refuse(
                "duplicate",
                "account_number",
                _l("Trùng số tài khoản với dòng %(row)s.", row=earlier),
                "duplicate_in_file",
            )
        if earlier_reference != plan.row_number:
            plan.refuse(
                "duplicate",
                "partner_reference",
                _l("Trùng mã tham chiếu với dòng %(row)s.", row=earlier_reference),
                "duplicate_in_file",
            )
        repeats_a_row = plan.outcome != PENDING  # its account is that row's business
        stall = self._stall_of(plan)
        account = None if repeats_a_row else self._matched_account(plan)
        occupant = self.occupants.get(stall.id) if stall is not None else None
        vendor = self._vendor_of(plan, occupant, account)
        if stall is not None:
            self._check_stall(plan, stall, occupant, vendor)
        if account is not None:
            self._check_account(plan, stall, account)
        self._phone_warning(plan, vendor, claims=plan.outcome == PENDING)
        if plan.outcome != PENDING:
            return
        assert stall is not None
        plan.stall = stall
        if account is not None:
            return self._plan_update(plan, stall, account)
        if occupant is not None:
            plan.vendor_id = occupant.id
            plan.outcome = "add_account"
            return
        self._claimed[stall.id] = plan.row_number
        plan.outcome = "create"

    def _stall_of(self, plan: Plan) -> Stall | None:
        """The row's stall, or None with the reason (unknown market or stall)."""
        values = plan.values
        market = self.markets.get(values["market_code"])
        if market is None:
            plan.refuse(
                "invalid",
                "market_code",
                _l("Không có chợ mã “%(code)s” trong phạm vi của bạn.", code=values["market_code"]),
                "unknown_market",
            )
            return None
        stall = self.stalls.get((market.id, stall_code_key(values["stall_code"])))
        if stall is None:
            plan.refuse(
                "invalid",
                "stall_code",
                _l(
                    "%(market)s không có sạp “%(stall)s”.",
                    market=market.name,
                    stall=values["stall_code"],
                ),
                "unknown_stall",
            )
        return stall

    def _matched_account(self, plan: Plan) -> PaymentAccount | None:
        """The existing account this row is about (by the partner's reference, else by
        number), or None: a new one, or a match that cannot be (with its reason)."""
        fields = plan.fields
        assert fields is not None
        reference = fields.partner_reference
        by_reference = self.by_reference.get(reference) if reference else None
        by_number = self.by_number.get(fields.account_number)
        if by_reference is not None and by_reference.bank_bin != self.bank.bin:
            plan.refuse(
                "duplicate",
                "partner_reference",
                _l("Mã tham chiếu này đã dùng cho một tài khoản ở ngân hàng khác."),
                "reference_taken",
            )
            return None
        if by_reference is not None and by_number is not None and by_reference is not by_number:
            plan.refuse(
                "duplicate",
                "account_number",
                _l(
                    "Số tài khoản đã được đăng ký cho tiểu thương khác (mã tham chiếu trỏ tới một "
                    "tài khoản khác)."
                ),
                "duplicate_account",
            )
            return None
        return by_reference or by_number

    def _vendor_of(self, plan: Plan, occupant: Any, account: PaymentAccount | None) -> Any:
        """The registered vendor this row is about (a Vendor or an occupant row): the
        matched account's, else the stall's active occupant when the row names them
        (same folded name and phone); None for a new person."""
        if account is not None:
            return self.vendors[account.vendor_id]
        fields = plan.fields
        assert fields is not None
        if (
            occupant is not None
            and occupant.is_active
            and is_the_occupant(
                occupant, bank_style_name=fields.bank_style_name, phone_e164=fields.phone_e164
            )
        ):
            return occupant
        return None

    def _check_stall(self, plan: Plan, stall: Stall, occupant: Any, vendor: Any) -> None:
        """The registration rule of the stall (``vendors.conflicts``), then the file's own:
        a vacant stall goes to the first row that takes it."""
        # An import never ends anyone's stay, a deactivated occupant's included.
        refusal = stall_conflict(
            stall,
            is_open=stall.is_open_on(self.day),
            occupant=occupant,
            is_occupant=occupant is not None and vendor is not None and occupant.id == vendor.id,
            ends_inactive_stay=False,
        )
        if refusal is not None:
            plan.refuse("invalid", STALL_FIELD, refusal.message, refusal.code)
            return
        claimed = self._claimed.get(stall.id)
        if occupant is None and vendor is None and claimed is not None:
            plan.refuse(
                "invalid",
                STALL_FIELD,
                _l(
                    "%(stall)s đã có ở dòng %(row)s của tệp.",
                    stall=stall_name(stall.code),
                    row=claimed,
                ),
                "stall_taken_in_file",
            )

    def _check_account(self, plan: Plan, stall: Stall | None, account: PaymentAccount) -> None:
        """A matched account is updated only while open (a closed one is reopened, not
        imported over) and at this row's stall."""
        vendor = self.vendors[account.vendor_id]
        plan.vendor_id, plan.account_id = vendor.id, account.id
        if account.status != AccountStatus.ACTIVE:
            refusal = duplicates.DuplicateReport(accounts=(account,)).account_error()
            plan.refuse("duplicate", "account_number", refusal.message, refusal.code)
            return
        if stall is not None and stall.id not in self.vendor_stalls.get(vendor.id, set()):
            plan.refuse(
                "invalid",
                STALL_FIELD,
                _l(
                    "Tài khoản này thuộc tiểu thương %(vendor)s, không ở sạp %(stall)s — đổi sạp "
                    "ở trang tiểu thương, không qua nhập tệp.",
                    vendor=vendor.display_name,
                    stall=stall.code,
                ),
                "stall_differs",
            )

    def _phone_warning(self, plan: Plan, vendor: Any, *, claims: bool) -> None:
        """A phone new to its vendor that another vendor, or an earlier row, has: a
        warning, never a refusal. A row that will not be written (``claims`` False) is
        no "earlier row" for the next ones."""
        phone = plan.fields.phone_e164 if plan.fields else None
        if not phone or (vendor is not None and vendor.phone_e164 == phone):
            return
        owners = self.phone_owners.get(phone, set()) - {getattr(vendor, "id", None)}
        earlier = self._phones_in_file.get(phone, plan.row_number)
        if claims:
            self._phones_in_file.setdefault(phone, plan.row_number)
        if owners or earlier != plan.row_number:
            message = _l("Số điện thoại đã được đăng ký cho tiểu thương khác — kiểm tra lại.")
            if earlier != plan.row_number:
                message = _l(
                    "Số điện thoại đã được đăng ký cho tiểu thương khác (dòng %(row)s) — "
                    "kiểm tra lại.",
                    row=earlier,
                )
            plan.add("phone", message, "duplicate_phone", severity="warning")

    def _plan_update(self, plan: Plan, stall: Stall, account: PaymentAccount) -> None:
        fields = plan.fields
        assert fields is not None
        vendor = self.vendors[account.vendor_id]
        changes: dict[str, Any] = {}
        if _renames(vendor.display_name, fields.display_name):
            changes["display_name"] = fields.display_name
        if fields.phone_e164 != vendor.phone_e164:
            changes["phone"] = fields.phone_e164
        if plan.holder_given and fields.holder_name != account.holder_name:
            changes["holder_name"] = fields.holder_name
        if fields.partner_reference and fields.partner_reference != account.partner_reference:
            changes["partner_reference"] = fields.partner_reference
        matched_by_reference = (
            fields.partner_reference is not None
            and self.by_reference.get(fields.partner_reference) is account
        )
        if matched_by_reference and fields.account_number != account.account_number:
            changes["account_number"] = fields.account_number
        if fields.goods_category and stall.goods_category != fields.goods_category:
            plan.category_change = fields.goods_category
        plan.changes = changes
        plan.outcome = "update" if changes or plan.category_change else "unchanged"

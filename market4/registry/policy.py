"""Who may change what: the one write policy of market4.

Every write goes through a service, whatever the channel (web page, partner API, CLI,
Excel import), and every service asks this module before it changes anything. Reads
(which rows a user may see at all) are ``auth.scope``; this module answers "may this
actor make this change to this object", and the answer does not depend on the channel.

The rules (docs/permissions.md has the table and the reasons):

- admin: everything, audited.
- bank_partner: accounts only at its own bank (BIN), and only for vendors whose current
  stall is at a market inside its branch's area; registers a vendor on a *vacant* stall
  or adds an account for the stall's *current* occupant; never ends an occupancy, never
  supersedes or revokes another bank's placard. It may ask the market board to change
  who trades at a stall (a stall request). It prints placards for its own accounts, and
  reports whether its own accounts were paid by QR each month.
- market_manager: occupancy (assign, move, left), stalls, visits, code checks, printing
  and revoking, in the markets assigned to it; never writes an account number or a
  holder name.
- area_staff: read-only.
- system (the operator's CLI, the demo seed and other internal callers that pass no
  user): everything. Given a bank branch as its organisation (``--org``), the CLI acts as
  that branch and is held to the branch's rules.

Scope is decided by a stall's *current* market, never by where a vendor once traded.
A refusal is :class:`~market4.errors.PermissionDenied` (HTTP 403), raised before anything
is written; its message names the rule, never another bank's data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market4.auth.models import Organisation, User
from market4.errors import PermissionDenied
from market4.extensions import db
from market4.i18n import N_
from market4.registry.markets import Market, Stall
from market4.registry.placards import LIVE_STATUSES, Placard
from market4.registry.scope import restrict_markets_to_area
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vocabulary import AccountStatus, OrganisationKind, Role

__all__ = [
    "SYSTEM",
    "SYSTEM_CHANNELS",
    "Action",
    "Principal",
    "acts_for_one_bank",
    "check",
    "may",
    "principal_for",
]

SYSTEM = "system"
SYSTEM_CHANNELS = frozenset({"cli", "demo"})
_READ_ONLY_KINDS = frozenset({"commune_office", "district_office", "province_office"})


class Action(StrEnum):
    """Every kind of write, as the policy table names them."""

    REGISTER = "register"  # a new vendor with an account, on a vacant stall
    ADD_ACCOUNT = "add_account"  # an account for a vendor (the stall's current occupant)
    CHANGE_ACCOUNT = "change_account"  # bank, number, holder name, reference; or close it
    CHANGE_VENDOR = "change_vendor"  # a vendor's names and phone
    CHOOSE_PLACARD_ACCOUNT = "choose_placard_account"  # which account the stall's QR pays
    OCCUPANCY = "occupancy"  # assign, move, vendor left, replace the occupant
    STALLS = "stalls"  # add, rename, close stalls; a market's placard settings
    VISIT = "visit"  # record what was seen at a stall (posted, declined, left…)
    CHECK_CODE = "check_code"  # check the code posted at a stall against the registry
    PRINT = "print"  # issue placards
    REVOKE = "revoke"  # revoke a lost or swapped placard
    REQUEST = "request"  # ask the market board to change who trades at a stall
    IMPORT = "import"  # bulk registration from a file
    MERGE = "merge"  # merge duplicated person records
    REPORT_ACTIVITY = "report_activity"  # whether an account was paid by QR in a month


# Why each refusal happened, for people (translated where shown) and for machines (code).
REASONS = {
    "read_only": N_("Tài khoản của bạn chỉ được xem, không được thay đổi dữ liệu."),
    "other_bank": N_("Chi nhánh ngân hàng chỉ thao tác với tài khoản tại ngân hàng của mình."),
    "outside_area": N_("Sạp này thuộc chợ ngoài khu vực của chi nhánh."),
    "outside_markets": N_("Sạp này thuộc chợ bạn không quản lý."),
    "manager_no_accounts": N_(
        "Quản lý chợ không ghi số tài khoản hay tên chủ tài khoản; "
        "việc này do ngân hàng của tiểu thương thực hiện."
    ),
    "bank_no_occupancy": N_(
        "Ngân hàng không thay đổi người kinh doanh tại sạp; hãy gửi đề nghị "
        "để ban quản lý chợ cập nhật."
    ),
    "other_banks_placard": N_(
        "Sạp đang có bảng mã của ngân hàng khác; chỉ ban quản lý chợ được thay bảng này."
    ),
    "not_occupant": N_("Chỉ thêm được tài khoản cho tiểu thương đang kinh doanh tại sạp."),
    "admin_only": N_("Chỉ quản trị viên được làm việc này."),
    "role": N_("Vai trò của bạn không được làm việc này."),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting: a role, the user (None for the system) and their organisation."""

    role: str
    user: User | None = None
    organisation: Organisation | None = None

    @property
    def bank_bin(self) -> str | None:
        return self.organisation.bank_bin if self.organisation is not None else None

    @property
    def is_unrestricted(self) -> bool:
        return self.role in (Role.ADMIN, SYSTEM)


def acts_for_one_bank(organisation: Organisation | None) -> bool:
    """True for a bank branch (or anything tied to a BIN): it is limited to that one bank."""
    if organisation is None:
        return False
    return organisation.kind == OrganisationKind.BANK_BRANCH or organisation.bank_bin is not None


def principal_for(actor: Any, organisation: Organisation | None = None) -> Principal:
    """The principal behind a service call.

    A user acts with their role and their own organisation. Without a user the caller
    is internal (CLI, demo, tests): the system, unless it names an organisation to act
    for — a bank branch then gets the branch's rules, a monitoring office none.
    """
    if isinstance(actor, User):
        return Principal(actor.role, actor, actor.organisation)
    if organisation is None or organisation.kind == "operator":
        return Principal(SYSTEM, None, organisation)
    if acts_for_one_bank(organisation):
        return Principal(Role.BANK_PARTNER, None, organisation)
    if organisation.kind in _READ_ONLY_KINDS:
        return Principal(Role.AREA_STAFF, None, organisation)
    return Principal(Role.MARKET_MANAGER, None, organisation)


def _deny(reason: str, **details: Any) -> PermissionDenied:
    return PermissionDenied(_l(REASONS[reason]), code=reason, details=details or None)


# --- scope by the stall's current market ---------------------------------------------------


def _market_ids_in_area(principal: Principal, market_ids: Iterable[int]) -> set[int]:
    """The ids among ``market_ids`` inside the principal's branch area (all without one)."""
    ids = set(market_ids)
    area = principal.organisation.area if principal.organisation is not None else None
    if not ids or area is None:
        return ids
    query = restrict_markets_to_area(select(Market.id), area).where(Market.id.in_(ids))
    return set(db.session.scalars(query))


def _managed_market_ids(principal: Principal) -> set[int]:
    return {market.id for market in principal.user.markets} if principal.user is not None else set()


def _ensure_markets(principal: Principal, market_ids: Iterable[int]) -> None:
    """PermissionDenied unless every market is in the principal's writing scope."""
    ids = set(market_ids)
    if principal.is_unrestricted or not ids:
        return
    if principal.role == Role.BANK_PARTNER:
        if _market_ids_in_area(principal, ids) != ids:
            raise _deny("outside_area")
    elif principal.role == Role.MARKET_MANAGER:
        if not ids <= _managed_market_ids(principal):
            raise _deny("outside_markets")
    else:
        raise _deny("read_only")


def current_market_ids(vendor: Vendor) -> set[int]:
    """The markets of the stalls ``vendor`` trades at now."""
    return set(
        db.session.scalars(
            select(Stall.market_id)
            .join(Occupancy, Occupancy.stall_id == Stall.id)
            .where(Occupancy.vendor_id == vendor.id, Occupancy.ended_on.is_(None))
        )
    )


def _current_occupant_id(stall: Stall) -> int | None:
    return db.session.scalar(
        select(Occupancy.vendor_id).where(
            Occupancy.stall_id == stall.id, Occupancy.ended_on.is_(None)
        )
    )


def _live_placard_bins(stall: Stall) -> set[str]:
    return set(
        db.session.scalars(
            select(PaymentAccount.bank_bin)
            .join(Placard, Placard.payment_account_id == PaymentAccount.id)
            .where(Placard.stall_id == stall.id, Placard.status.in_(LIVE_STATUSES))
        )
    )


# --- the rules, one per action ---------------------------------------------------------------


def _writer(principal: Principal) -> None:
    if principal.role == Role.AREA_STAFF:
        raise _deny("read_only")
    if principal.role not in (Role.ADMIN, SYSTEM, Role.BANK_PARTNER, Role.MARKET_MANAGER):
        raise _deny("role")


def _own_bank(principal: Principal, bank_bin: str | None) -> None:
    if (
        bank_bin is not None
        and principal.role == Role.BANK_PARTNER
        and principal.bank_bin != bank_bin
    ):
        raise _deny("other_bank")


def _accounts_writer(principal: Principal) -> None:
    _writer(principal)
    if principal.role == Role.MARKET_MANAGER:
        raise _deny("manager_no_accounts")


def _check_register(
    principal: Principal, *, stall: Stall | None = None, bank_bin: str | None = None
) -> None:
    """Without a stall and bank: may this principal register at all (checked first)."""
    _accounts_writer(principal)
    _own_bank(principal, bank_bin)
    if stall is not None:
        _ensure_markets(principal, {stall.market_id})


def _check_add_account(
    principal: Principal, *, vendor: Vendor, bank_bin: str | None = None, stall: Stall | None = None
) -> None:
    _accounts_writer(principal)
    _own_bank(principal, bank_bin)
    if (
        stall is not None
        and principal.role == Role.BANK_PARTNER
        and _current_occupant_id(stall) != vendor.id
    ):
        raise _deny("not_occupant")
    _ensure_markets(principal, current_market_ids(vendor))


def _check_change_account(
    principal: Principal, *, account: PaymentAccount, new_bank_bin: str | None = None
) -> None:
    _accounts_writer(principal)
    _own_bank(principal, account.bank_bin)
    if new_bank_bin is not None:
        _own_bank(principal, new_bank_bin)
    _ensure_markets(principal, current_market_ids(account.vendor))


def _check_change_vendor(principal: Principal, *, vendor: Vendor) -> None:
    _writer(principal)
    if principal.role == Role.BANK_PARTNER and not any(
        a.bank_bin == principal.bank_bin and a.status == AccountStatus.ACTIVE
        for a in vendor.accounts
    ):
        raise _deny("other_bank")
    markets = current_market_ids(vendor)
    if principal.role == Role.MARKET_MANAGER and not markets:
        raise _deny("outside_markets")
    _ensure_markets(principal, markets)


def _check_choose_placard_account(principal: Principal, *, account: PaymentAccount) -> None:
    """Which of a vendor's accounts the QR pays: the vendor's choice, recorded by the
    market board; a bank may only put its own account on a stall that shows no other
    bank's placard."""
    _writer(principal)
    stalls = list(
        db.session.scalars(
            select(Stall)
            .join(Occupancy, Occupancy.stall_id == Stall.id)
            .where(Occupancy.vendor_id == account.vendor_id, Occupancy.ended_on.is_(None))
        )
    )
    if principal.role == Role.BANK_PARTNER:
        _own_bank(principal, account.bank_bin)
        if any(_live_placard_bins(stall) - {account.bank_bin} for stall in stalls):
            raise _deny("other_banks_placard")
    _ensure_markets(principal, {stall.market_id for stall in stalls})


def _check_occupancy(principal: Principal, *, stalls: Iterable[Stall]) -> None:
    _writer(principal)
    if principal.role == Role.BANK_PARTNER:
        raise _deny("bank_no_occupancy")
    _ensure_markets(principal, {stall.market_id for stall in stalls})


def _check_stalls(principal: Principal, *, market: Market) -> None:
    _writer(principal)
    if principal.role == Role.BANK_PARTNER:
        raise _deny("role")
    _ensure_markets(principal, {market.id})


def _check_visit(principal: Principal, *, stall: Stall) -> None:
    _writer(principal)
    if principal.role == Role.BANK_PARTNER:
        raise _deny("role")
    _ensure_markets(principal, {stall.market_id})


def _check_code(principal: Principal, *, stall: Stall) -> None:
    """Bank staff walk the aisles too: a code check is open to every writer in scope."""
    _writer(principal)
    _ensure_markets(principal, {stall.market_id})


def _check_print(
    principal: Principal,
    *,
    pairs: Iterable[tuple[Stall, PaymentAccount]] = (),
    stalls: Iterable[Stall] = (),
    market_ids: Iterable[int] = (),
) -> None:
    """Issue placards for ``(stall, account)`` pairs: a bank only for its own accounts, on
    stalls that show no other bank's live placard. ``stalls`` alone asks about the
    stalls chosen before it is known which of them can be printed; ``market_ids`` about
    whole markets (a print job, before it loads any stall)."""
    _writer(principal)
    _ensure_markets(principal, {stall.market_id for stall in stalls} | set(market_ids))
    pairs = list(pairs)
    if principal.role == Role.BANK_PARTNER:
        for stall, account in pairs:
            _own_bank(principal, account.bank_bin)
            if _live_placard_bins(stall) - {account.bank_bin}:
                raise _deny("other_banks_placard")
    _ensure_markets(principal, {stall.market_id for stall, _ in pairs})


def _check_revoke(principal: Principal, *, placard: Placard) -> None:
    _writer(principal)
    if principal.role == Role.BANK_PARTNER:
        raise _deny("role")
    _ensure_markets(principal, {placard.stall.market_id})


def _check_request(principal: Principal, *, stall: Stall) -> None:
    _writer(principal)
    _ensure_markets(principal, {stall.market_id})


def _check_import(principal: Principal, *, bank_bin: str | None = None) -> None:
    _accounts_writer(principal)
    _own_bank(principal, bank_bin)


def _check_report_activity(principal: Principal, *, bank_bin: str | None = None) -> None:
    """Only the bank holding an account sees whether shoppers paid into it by QR."""
    _writer(principal)
    if principal.role == Role.MARKET_MANAGER:
        raise _deny("role")
    _own_bank(principal, bank_bin)


def _check_merge(principal: Principal) -> None:
    if not principal.is_unrestricted:
        raise _deny("admin_only")


_RULES = {
    Action.REGISTER: _check_register,
    Action.ADD_ACCOUNT: _check_add_account,
    Action.CHANGE_ACCOUNT: _check_change_account,
    Action.CHANGE_VENDOR: _check_change_vendor,
    Action.CHOOSE_PLACARD_ACCOUNT: _check_choose_placard_account,
    Action.OCCUPANCY: _check_occupancy,
    Action.STALLS: _check_stalls,
    Action.VISIT: _check_visit,
    Action.CHECK_CODE: _check_code,
    Action.PRINT: _check_print,
    Action.REVOKE: _check_revoke,
    Action.REQUEST: _check_request,
    Action.IMPORT: _check_import,
    Action.MERGE: _check_merge,
    Action.REPORT_ACTIVITY: _check_report_activity,
}


def check(
    action: Action, actor: Any, *, organisation: Organisation | None = None, **target: Any
) -> Principal:
    """Raise PermissionDenied unless ``actor`` may do ``action`` to ``target``.

    ``target`` names the objects the rule needs (``stall=``, ``account=``, ``vendor=``,
    ``bank_bin=``, ``market=``, ``placard=``, ``stalls=``). Returns the principal.
    """
    principal = principal_for(actor, organisation)
    _RULES[action](principal, **target)
    return principal


def may(action: Action, actor: Any, **target: Any) -> bool:
    """Whether ``check`` would pass: for pages deciding which buttons to show."""
    try:
        check(action, actor, **target)
    except PermissionDenied:
        return False
    return True

"""``/api/v1/vendors``: register, list, read, change and close vendors' registrations.

Every write goes through ``vendors.services`` (the same rules as the web form and the
import); reads through ``auth.scope``. A bank partner sees only vendors with an account
at its bank, and of those only its bank's accounts; anything else answers 404.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from io import BytesIO
from typing import Any

from flask import send_file, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, select

from market4.api import new_blueprint
from market4.api.auth import current_user, roles_allowed
from market4.api.idempotency import HEADER_DOC, idempotent
from market4.api.schemas import (
    DeleteArgs,
    VendorCreateSchema,
    VendorListArgs,
    VendorPageSchema,
    VendorSchema,
    VendorUpdatedSchema,
    VendorUpdateSchema,
    VendorWrittenSchema,
    lean_json,
)
from market4.auth.models import User
from market4.banks.models import Bank
from market4.db import today
from market4.domain.placard_layout import mask_account_number
from market4.domain.text import bank_style_name as fold_to_bank_style
from market4.errors import Conflict, FieldError, NotFound, ValidationFailed
from market4.extensions import db
from market4.placards import services as services_placards
from market4.registry import scope
from market4.registry import validation as rules
from market4.registry.markets import Market, Stall
from market4.registry.placards import LIVE_STATUSES, Placard
from market4.registry.stalls import stall_name
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.sql import column_rows, dialect_name, ids_parameter, kept_statement
from market4.vendors import services
from market4.vocabulary import AccountStatus, Role

blp = new_blueprint("vendors", "Vendors registered by your organisation, with their accounts.")

VENDOR_ROLES = (Role.BANK_PARTNER, Role.MARKET_MANAGER, Role.ADMIN)
DEFAULT_CLOSE_REASON = "Đối tác đóng đăng ký qua API"
BINARY = {"type": "string", "format": "binary"}  # documents a file body; views send the file


# --- representation --------------------------------------------------------------------


def account_dict(user: User, account: Any, number_shown: bool | None = None) -> dict[str, Any]:
    """An account as the API shows it: a PaymentAccount, or a row of the same columns;
    ``number_shown``, when the caller knows it, saves asking the scope again."""
    if number_shown is None:
        number_shown = scope.can_see_account_number(user, account)
    return {
        "id": account.id,
        "bank_bin": account.bank_bin,
        "bank_name": account.bank_name,
        "kind": account.kind,
        "account_number": account.account_number if number_shown else None,
        "account_number_masked": mask_account_number(account.account_number),
        "is_card": account.is_card,
        "holder_name": account.holder_name,
        "status": account.status,
        "is_on_placard": account.is_on_placard,
        "partner_reference": account.partner_reference,
        "verified_at": account.verified_at,
    }


# What a vendor's API view reads beside the vendor: each visible account, and the stall
# the vendor trades at now with its live placards. Account and stall fields come first in
# a row, so each is a slice of it.
ACCOUNT_FIELDS = {
    "id": PaymentAccount.id,
    "bank_bin": PaymentAccount.bank_bin,
    "bank_name": Bank.short_name,
    "kind": PaymentAccount.kind,
    "account_number": PaymentAccount.account_number,
    "is_card": PaymentAccount.is_card,
    "holder_name": PaymentAccount.holder_name,
    "status": PaymentAccount.status,
    "is_on_placard": PaymentAccount.is_on_placard,
    "partner_reference": PaymentAccount.partner_reference,
    "verified_at": PaymentAccount.verified_at,
}
STALL_FIELDS = {
    "id": Stall.id,
    "code": Stall.code,
    "market_code": Market.code,
    "market_name": Market.name,
    "serial": Placard.serial,
    "status": Placard.status,
    "version": Placard.version,
    "payment_account_id": Placard.payment_account_id,
}
AccountRow = namedtuple("AccountRow", ACCOUNT_FIELDS)  # what account_dict reads
StallRow = namedtuple("StallRow", STALL_FIELDS)
STALL_START, VENDOR_START = len(ACCOUNT_FIELDS), len(ACCOUNT_FIELDS) + len(STALL_FIELDS)

VENDOR_COLUMNS = (
    Vendor.id,
    Vendor.display_name,
    Vendor.bank_style_name,
    Vendor.phone_e164,
    Vendor.is_active,
    Vendor.consent_at,
    Vendor.created_at,
)


def vendor_dicts(user: User, vendor_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The API view of the vendors ``vendor_ids`` (vendors ``user`` may see), in that
    order, from one statement whatever their number."""
    if not vendor_ids:
        return []
    dialect = dialect_name()
    bank_bin = scope.account_bank_of(user)
    statement = kept_statement(
        ("vendor_views", dialect, bank_bin is not None),
        lambda: _with_views(
            select(*VENDOR_COLUMNS)
            .where(ids_parameter(Vendor.id, "vendor_ids", dialect))
            .subquery("vendors"),
            one_bank=bank_bin is not None,
        ),
    )
    views = _views(
        user, column_rows(statement, {"vendor_ids": list(vendor_ids), "bank_bin": bank_bin})
    )
    return [views[vendor_id] for vendor_id in vendor_ids]


def _with_views(vendors: Any, *, one_bank: bool) -> Select:
    """Each vendor of ``vendors`` (a subquery of ``VENDOR_COLUMNS``, and maybe more) with
    what its API view shows (:func:`_views`), newest vendor first: a row per visible
    account and live placard, at ``bank_bin`` only when ``one_bank``
    (:func:`scope.account_bank_of`). The partner API reads this on every page: one
    statement instead of three, built once."""
    visible = PaymentAccount.vendor_id == vendors.c.id
    if one_bank:
        visible &= PaymentAccount.bank_bin == bindparam("bank_bin")
    return (
        select(
            *(column.label(f"account_{name}") for name, column in ACCOUNT_FIELDS.items()),
            *(column.label(f"stall_{name}") for name, column in STALL_FIELDS.items()),
            vendors,
        )
        .select_from(vendors)
        .outerjoin(PaymentAccount, visible)
        .outerjoin(Bank, Bank.bin == PaymentAccount.bank_bin)
        .outerjoin(Occupancy, (Occupancy.vendor_id == vendors.c.id) & Occupancy.ended_on.is_(None))
        .outerjoin(Stall, Stall.id == Occupancy.stall_id)
        .outerjoin(Market, Market.id == Stall.market_id)
        .outerjoin(Placard, (Placard.stall_id == Stall.id) & Placard.status.in_(LIVE_STATUSES))
        .order_by(vendors.c.id.desc())
    )


def _views(user: User, rows: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """The API view of each vendor in the rows of :func:`_with_views`, by id, in their
    order. No ORM objects: a page of 50 vendors is the partner API's hottest path."""
    vendors: dict[int, Any] = {}
    accounts: dict[int, dict[int, AccountRow]] = {}
    stalls: dict[int, StallRow] = {}
    placards: dict[int, list[StallRow]] = {}
    for row in rows:
        vendor_id = row[VENDOR_START]
        if vendor_id not in vendors:
            vendors[vendor_id], accounts[vendor_id], placards[vendor_id] = row, {}, []
        if row[0] is not None:
            accounts[vendor_id][row[0]] = AccountRow._make(row[:STALL_START])
        stall = StallRow._make(row[STALL_START:VENDOR_START])
        if stall.id is not None:
            stalls[vendor_id] = stall
            if stall.serial is not None:
                placards[vendor_id].append(stall)
    # Whether the caller reads an account's number depends only on its bank.
    number_shown: dict[str, bool] = {}
    views = {}
    for vendor_id, vendor in vendors.items():
        visible = sorted(accounts[vendor_id].values(), key=scope.account_order)
        stall = stalls.get(vendor_id)
        # Another bank's placard is not the caller's business.
        placard = next(
            (p for p in placards[vendor_id] if p.payment_account_id in accounts[vendor_id]), None
        )
        for account in visible:
            if account.bank_bin not in number_shown:
                number_shown[account.bank_bin] = scope.can_see_account_number(user, account)
        views[vendor_id] = {
            "id": vendor_id,
            "display_name": vendor.display_name,
            "bank_style_name": vendor.bank_style_name,
            "phone": vendor.phone_e164,
            "is_active": vendor.is_active,
            "consent_at": vendor.consent_at,
            "created_at": vendor.created_at,
            "stall": {
                "id": stall.id,
                "code": stall.code,
                "market_code": stall.market_code,
                "market_name": stall.market_name,
            }
            if stall
            else None,
            "placard": {
                "serial": placard.serial,
                "status": placard.status,
                "version": placard.version,
            }
            if placard
            else None,
            "accounts": [
                account_dict(user, account, number_shown[account.bank_bin]) for account in visible
            ],
        }
    return views


def vendor_dict(user: User, vendor: Vendor) -> dict[str, Any]:
    return vendor_dicts(user, [vendor.id])[0]


def own_account(user: User, vendor: Vendor) -> PaymentAccount | None:
    """The account a caller's vendor-level write is about: a bank partner's own active
    account (the placard one first), anyone else's the vendor's placard account."""
    if user.role != Role.BANK_PARTNER:
        return vendor.placard_account
    active = [a for a in scope.visible_accounts(user, vendor) if a.status == AccountStatus.ACTIVE]
    active.sort(key=lambda a: (not a.is_on_placard, a.id))
    return active[0] if active else None


def _account_to_close(user: User, vendor: Vendor) -> PaymentAccount:
    """The active account a caller closes: at a bank partner's own bank, else the placard one."""
    account = own_account(user, vendor)
    if account is None:
        raise Conflict(_l("Tiểu thương không còn tài khoản đang dùng."), code="account_closed")
    return account


# --- endpoints -------------------------------------------------------------------------


@blp.route("/vendors", methods=["POST"])
@blp.doc(parameters=[HEADER_DOC])
@roles_allowed(Role.BANK_PARTNER, Role.MARKET_MANAGER, Role.ADMIN)
@idempotent
@blp.arguments(VendorCreateSchema())
@blp.response(201, VendorWrittenSchema)
@blp.alt_response(409, response="CONFLICT")
def create_vendor(payload: dict[str, Any]):
    """Register a vendor with the account for their placard at a stall.

    At a stall where someone already trades, a request whose phone and name (diacritics
    and case ignored) are that vendor's adds the account to them (``outcome``:
    ``account_added``; ``account_updated`` or ``unchanged`` for an account already
    theirs): no second person record is made. The account goes on the placard only when
    the vendor has none there yet.

    Refusals: 422 with every invalid field (unknown market, stall or bank, bad phone,
    an account number that breaks its bank's rules, no consent); 409 for an account
    already registered to someone else (``duplicate``, with ``object_ids``), a closed
    stall, or another vendor at the stall (``stall_occupied``: ask the market board);
    403 for another bank's BIN, a market outside your area, or a market-manager token
    (managers never write account numbers). Every problem found is in one answer: with
    several, ``errors`` lists each (``field``, ``code``, ``message``), the status is 422
    when any field is invalid and 409 (``conflict``) otherwise, and nothing is written.
    Findings (a phone another vendor uses: relatives share phones) come back in
    ``warnings``, on a refusal too.
    """
    user = current_user()
    market = db.session.scalar(
        scope.markets_query(user).where(Market.code == payload["market_code"])
    )
    # Without a BIN (and not a bank's token) the service reports the field, after the
    # policy has had its say about who may register at all.
    bank_bin = payload.get("bank_bin") or scope.user_bank_bin(user) or ""
    if market is None:
        raise ValidationFailed(
            [
                FieldError(
                    "market_code",
                    _l(
                        "Không có chợ mã “%(code)s” trong phạm vi của bạn.",
                        code=payload["market_code"],
                    ),
                    "unknown_market",
                )
            ]
        )
    registration = services.VendorRegistration(
        display_name=payload["display_name"],
        phone=payload["phone"],
        bank_bin=bank_bin,
        account_number=payload["account_number"],
        market=market,
        stall_code=payload["stall_code"],
        bank_style_name=payload.get("bank_style_name"),
        holder_name=payload.get("holder_name"),
        goods_category=payload.get("goods_category"),
        partner_reference=payload.get("partner_reference"),
        consent_given=payload["consent"],
    )
    result = services.register_vendor(
        registration,
        organisation=user.organisation,
        actor=user,
        channel="api",
        replace_occupant=payload["replace_occupant"],
    )
    body = {
        **vendor_dict(user, result.vendor),
        "warnings": [w.as_dict() for w in result.warnings],
        "outcome": result.outcome,
    }
    # A new vendor or account is created (201); an account that was already theirs is not.
    status = 201 if result.outcome in (services.REGISTERED, services.ACCOUNT_ADDED) else 200
    return body, status, {"Location": url_for("api_vendors.get_vendor", vendor_id=result.vendor.id)}


@blp.route("/vendors")
@roles_allowed(*VENDOR_ROLES)
@blp.arguments(VendorListArgs(), location="query", as_kwargs=True)
@blp.response(200, VendorPageSchema)
def list_vendors(page: int, page_size: int, after: int | None = None, **filters: Any):
    """Your vendors, newest first; filters combine (AND). Page with ``after`` (keyset) or
    ``page`` (offset)."""
    user = current_user()
    query, page_query = kept_statement(
        ("vendor_page", scope.caller_key(user), tuple(sorted(filters.items())), after is None),
        lambda: _page_statements(user, filters, keyset=after is not None),
    )
    rows = column_rows(
        page_query,
        {
            "after": after,
            "offset": 0 if after is not None else (page - 1) * page_size,
            "limit": page_size + 1,  # one more than a page tells whether another follows
            "bank_bin": scope.account_bank_of(user),
        },
    )
    if after is not None:
        page, total = 1, None
    elif rows:
        total = rows[0].total
    else:  # past the last page: no row carries the total
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(_views(user, rows).values())
    more, items = len(items) > page_size, items[:page_size]
    # Built as VendorPageSchema's keys, so written out without marshmallow's walk.
    return lean_json(
        {
            "items": items,
            "page": page,
            "page_size": page_size,
            "total": total,
            "next_after": items[-1]["id"] if more else None,
        }
    )


def _page_statements(user: User, filters: dict[str, Any], *, keyset: bool) -> tuple[Select, Select]:
    """The caller's vendors that pass ``filters``, and a page of them newest first with
    their API views (:func:`_with_views`), run with the parameters ``after`` (keyset
    pages), ``offset``, ``limit`` and ``bank_bin``."""
    query = _filtered(
        user, scope.vendors_query(user, below_id=bindparam("after") if keyset else None), filters
    )
    columns = list(VENDOR_COLUMNS)
    if not keyset:
        # The total rides on the page's own query, one round trip less than a separate
        # count: a count of the filtered set computed once beside it (not a window over the
        # page's query, which would read and sort every vendor's row before the LIMIT).
        # Keyset pages leave it out: counting a big bank's 600,000 vendors costs ten times
        # the page.
        total = select(func.count()).select_from(query.order_by(None).subquery())
        columns.append(total.scalar_subquery().label("total"))
    page = (
        query.with_only_columns(*columns)
        .order_by(Vendor.id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
        .subquery("page")
    )
    return query, _with_views(page, one_bank=scope.account_bank_of(user) is not None)


def _filtered(user: User, query: Any, filters: dict[str, Any]) -> Any:
    accounts = scope.accounts_query(user).with_only_columns(PaymentAccount.vendor_id)
    if filters.get("market"):
        at_market = (
            select(Occupancy.vendor_id)
            .join(Stall, Stall.id == Occupancy.stall_id)
            .join(Market, Market.id == Stall.market_id)
            .where(Market.code == filters["market"], Occupancy.ended_on.is_(None))
        )
        query = query.where(Vendor.id.in_(at_market))
    if filters.get("q"):
        folded = fold_to_bank_style(rules.clean_text(filters["q"]))
        query = query.where(Vendor.bank_style_name.contains(folded, autoescape=True))
    if filters.get("phone"):
        query = query.where(Vendor.phone_e164 == rules.clean_phone(filters["phone"]))
    if filters.get("partner_reference"):
        query = query.where(
            Vendor.id.in_(
                accounts.where(
                    PaymentAccount.partner_reference
                    == rules.clean_text(filters["partner_reference"])
                )
            )
        )
    if filters.get("account_number"):
        number = rules.clean_account_number(filters["account_number"]).number
        query = query.where(Vendor.id.in_(accounts.where(PaymentAccount.account_number == number)))
    if filters.get("active") is not None:
        has_active = accounts.where(
            PaymentAccount.vendor_id == Vendor.id, PaymentAccount.status == AccountStatus.ACTIVE
        ).exists()
        query = query.where(has_active if filters["active"] else ~has_active)
    return query


@blp.route("/vendors/<int(max=2147483647):vendor_id>")
@roles_allowed(*VENDOR_ROLES)
@blp.response(200, VendorSchema)
def get_vendor(vendor_id: int):
    """One of your vendors; 404 when it is not (or does not exist)."""
    user = current_user()
    return vendor_dict(user, scope.get_vendor_or_404(user, vendor_id))


@blp.route("/vendors/<int(max=2147483647):vendor_id>", methods=["PATCH"])
@roles_allowed(*VENDOR_ROLES)
@blp.arguments(VendorUpdateSchema())
@blp.response(200, VendorUpdatedSchema)
@blp.alt_response(409, response="CONFLICT")
def update_vendor(changes: dict[str, Any], vendor_id: int):
    """Change names, phone, or the placard account (bank, number, holder, reference).

    A new bank, number or holder name supersedes the printed placards: their serials
    come back in ``superseded_placards`` and the stall stops counting as accepting until
    the reprint is posted.
    """
    user = current_user()
    vendor = scope.get_vendor_or_404(user, vendor_id)
    account = own_account(user, vendor) if set(changes) & set(services.ACCOUNT_FIELDS) else None
    result = services.update_registration(
        account or vendor, changes, organisation=user.organisation, actor=user, channel="api"
    )
    return {
        **vendor_dict(user, result.vendor),
        "warnings": [w.as_dict() for w in result.warnings],
        "changed": result.changed,
        "superseded_placards": [p.serial for p in result.superseded],
    }


@blp.route("/vendors/<int(max=2147483647):vendor_id>", methods=["DELETE"])
@roles_allowed(*VENDOR_ROLES)
@blp.arguments(DeleteArgs(), location="query", as_kwargs=True)
@blp.response(204)
@blp.alt_response(409, response="CONFLICT")
def delete_vendor(vendor_id: int, reason: str | None = None):
    """Close the vendor's account (at your bank): its placards stop being valid.

    The vendor's history stays; their stall stops counting as accepting.
    """
    user = current_user()
    vendor = scope.get_vendor_or_404(user, vendor_id)
    account = _account_to_close(user, vendor)
    services.deactivate_registration(
        account,
        organisation=user.organisation,
        actor=user,
        reason=reason or DEFAULT_CLOSE_REASON,
        channel="api",
        on=today(),
    )
    return None


# --- placards --------------------------------------------------------------------------


def _vendor_stall(user: User, vendor_id: int) -> tuple[Vendor, Stall]:
    """The vendor's current stall, when its placard pays an account the caller may see."""
    vendor = scope.get_vendor_or_404(user, vendor_id)
    occupancy = db.session.scalar(
        select(Occupancy).where(Occupancy.vendor_id == vendor.id, Occupancy.ended_on.is_(None))
    )
    if occupancy is None:
        raise NotFound(_l("Tiểu thương không có sạp nào hiện tại."), code="no_current_stall")
    account = vendor.placard_account
    if account is None or (
        user.role == Role.BANK_PARTNER and not scope.can_see_account_number(user, account)
    ):
        raise NotFound(
            _l("Tiểu thương chưa có tài khoản (của bạn) để in lên bảng mã."),
            code="no_placard_account",
        )
    return vendor, occupancy.stall


@blp.route("/vendors/<int(max=2147483647):vendor_id>/placard.pdf")
@roles_allowed(*VENDOR_ROLES)
@blp.response(
    200, BINARY, description="A6 placard, ready to print.", content_type="application/pdf"
)
def placard_pdf(vendor_id: int):
    """The vendor's A6 placard for their current stall (PDF).

    When the stall's live placard already carries this vendor's current account, that
    placard is returned as it is (same serial, nothing recorded), so fetching twice never
    supersedes a placard that is posted on the stall. Otherwise a new placard is issued,
    as printing from the web page does.
    """
    from market4.placards.printing import current_pdf_for_stall, print_stalls

    user = current_user()
    vendor, stall = _vendor_stall(user, vendor_id)
    account = vendor.placard_account
    existing = current_pdf_for_stall(stall, account) if account is not None else None
    if existing is not None:
        serial = services_placards.current_placard(stall, account).serial
        return send_file(
            BytesIO(existing), mimetype="application/pdf", download_name=f"bang-ma-{serial}.pdf"
        )
    result = print_stalls([stall], layout="a6", actor=user, channel="api", cover_page=False)
    serial = result.placards[0].serial
    return send_file(
        BytesIO(result.pdf), mimetype="application/pdf", download_name=f"bang-ma-{serial}.pdf"
    )


@blp.route("/vendors/<int(max=2147483647):vendor_id>/placard.png")
@roles_allowed(*VENDOR_ROLES)
@blp.response(
    200, BINARY, description="The live placard as a phone-screen image.", content_type="image/png"
)
def placard_png(vendor_id: int):
    """The stall's live placard as a PNG (nothing is issued); 404 when there is none."""
    from market4.placards.printing import png_for_stall
    from market4.placards.services import live_placard

    user = current_user()
    vendor, stall = _vendor_stall(user, vendor_id)
    placard = live_placard(stall)
    if placard is None or placard.payment_account.vendor_id != vendor.id:
        raise NotFound(
            _l(
                "%(stall)s chưa có bảng mã còn hiệu lực của tiểu thương này.",
                stall=stall_name(stall.code),
            ),
            code="no_live_placard",
        )
    return send_file(
        BytesIO(png_for_stall(stall)),
        mimetype="image/png",
        download_name=f"bang-ma-{placard.serial}.png",
    )

"""Who may see and change what: the one place every view, query and API call asks.

Objects outside a user's scope are reported as missing (404), never as forbidden, so
that ids cannot be probed. Roles:

- admin: everything;
- bank_partner: markets in their branch's area (all markets when the branch has none);
  vendors and accounts only at their own bank (by BIN) — other banks' account numbers
  are never shown to them, not even masked;
- market_manager: the markets assigned to them;
- area_staff: read-only, the markets in their office's province, commune or legacy
  district.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import BindParameter, Select, select
from sqlalchemy.orm import aliased

from market4.areas.models import SCHEME_2008, AdminUnit
from market4.auth.models import User, user_markets
from market4.extensions import db
from market4.registry.markets import Market, Stall
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vocabulary import AccountStatus, Role

READ_ONLY_ROLES = {Role.AREA_STAFF}


def user_area(user: User) -> AdminUnit | None:
    return user.organisation.area if user.organisation else None


def user_bank_bin(user: User) -> str | None:
    return user.organisation.bank_bin if user.organisation else None


def caller_key(user: User) -> tuple[Any, ...]:
    """Everything the rules of this module read from a user: a statement built from them
    for one caller may be kept while this stays the same (``sql.kept_statement``)."""
    organisation = user.organisation
    return (
        user.id,
        user.role,
        user.organisation_id,
        organisation.bank_bin if organisation else None,
        area_key(user_area(user)),
    )


def area_key(area: AdminUnit | None) -> tuple[Any, ...] | None:
    """What :func:`restrict_markets_to_area` reads from an area."""
    return None if area is None else (area.id, area.scheme, area.level)


def restrict_markets_to_area(query: Select, area: AdminUnit | None) -> Select:
    """Markets of ``query`` that lie in ``area`` (a 2025 or pre-2025 unit); None: all."""
    if area is None:
        return query
    if area.scheme == SCHEME_2008:
        if area.level == "district":
            return query.where(Market.legacy_district_id == area.id)
        if area.level == "province":
            district = aliased(AdminUnit)
            return query.join(district, Market.legacy_district_id == district.id).where(
                district.parent_id == area.id
            )
        raise ValueError(f"reports by a pre-2025 commune are not supported: {area!r}")
    if area.level == "commune":
        return query.where(Market.commune_id == area.id)
    commune = aliased(AdminUnit)
    return query.join(commune, Market.commune_id == commune.id).where(commune.parent_id == area.id)


def markets_query(user: User) -> Select:
    """SELECT of the markets ``user`` may see."""
    query = select(Market)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.MARKET_MANAGER:
        return query.join(user_markets, user_markets.c.market_id == Market.id).where(
            user_markets.c.user_id == user.id
        )
    if user.role in (Role.AREA_STAFF, Role.BANK_PARTNER):
        area = user_area(user)
        if area is None and user.role == Role.AREA_STAFF:
            return query.where(False)  # staff without an area see nothing, not everything
        return restrict_markets_to_area(query, area)
    return query.where(False)


def market_ids(user: User) -> list[int]:
    return list(db.session.scalars(markets_query(user).with_only_columns(Market.id)))


def get_market_or_404(user: User, code: str) -> Market:
    market = db.session.scalar(markets_query(user).where(Market.code == code))
    if market is None:
        abort(404)
    return market


def get_stall_or_404(user: User, market: Market, stall_id: int) -> Stall:
    stall = db.session.get(Stall, stall_id)
    if stall is None or stall.market_id != market.id:
        abort(404)
    return stall


def accounts_query(user: User) -> Select:
    """SELECT of the payment accounts ``user`` may see."""
    query = select(PaymentAccount)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.BANK_PARTNER:
        return query.where(PaymentAccount.bank_bin == account_bank_of(user))
    stall_ids = select(Stall.id).where(
        Stall.market_id.in_(markets_query(user).with_only_columns(Market.id))
    )
    vendor_ids = select(Occupancy.vendor_id).where(Occupancy.stall_id.in_(stall_ids))
    return query.where(PaymentAccount.vendor_id.in_(vendor_ids))


def account_bank_of(user: User) -> str | None:
    """Of the accounts of a vendor ``user`` may see, the BIN of those they may see too:
    a bank partner's own bank; None for the other roles, who see all of them."""
    if user.role == Role.BANK_PARTNER:
        return user_bank_bin(user) or "-"
    return None


def visible_accounts(user: User, vendor: Vendor) -> list[PaymentAccount]:
    """The vendor's accounts ``user`` may know of, active and placard account first:
    the one answer for the market pages, the vendor pages and the API."""
    allowed = set(
        db.session.scalars(
            accounts_query(user)
            .where(PaymentAccount.vendor_id == vendor.id)
            .with_only_columns(PaymentAccount.id)
        )
    )
    return sorted(
        (account for account in vendor.accounts if account.id in allowed), key=account_order
    )


def account_order(account: Any) -> tuple[bool, bool, int]:
    """Active accounts first, the placard's first among them, then oldest first."""
    return (account.status != AccountStatus.ACTIVE, not account.is_on_placard, account.id)


def vendors_query(user: User, *, below_id: int | BindParameter | None = None) -> Select:
    """SELECT of the vendors ``user`` may see (a bank partner: those with an account at
    their bank; others: those who ever traded at a market in scope); with ``below_id``
    (a number, or a parameter given when the statement runs) only those with a smaller
    id (a keyset page)."""
    query = select(Vendor)
    if below_id is not None:
        query = query.where(Vendor.id < below_id)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.BANK_PARTNER:
        mine = select(PaymentAccount.vendor_id).where(
            PaymentAccount.bank_bin == (user_bank_bin(user) or "-")
        )
        if below_id is not None:
            # Said on both sides: PostgreSQL does not carry the bound across the join, and
            # would otherwise read all of a big bank's accounts above it (0.1 s at 600,000).
            mine = mine.where(PaymentAccount.vendor_id < below_id)
        return query.where(Vendor.id.in_(mine))
    stall_ids = select(Stall.id).where(
        Stall.market_id.in_(markets_query(user).with_only_columns(Market.id))
    )
    return query.where(
        Vendor.id.in_(select(Occupancy.vendor_id).where(Occupancy.stall_id.in_(stall_ids)))
    )


def get_vendor_or_404(user: User, vendor_id: int) -> Vendor:
    vendor = db.session.scalar(vendors_query(user).where(Vendor.id == vendor_id))
    if vendor is None:
        abort(404)
    return vendor


def get_account_or_404(user: User, account_id: int) -> PaymentAccount:
    account = db.session.scalar(accounts_query(user).where(PaymentAccount.id == account_id))
    if account is None:
        abort(404)
    return account


def can_see_account_number(user: User, account: PaymentAccount) -> bool:
    return user.role == Role.ADMIN or (
        user.role == Role.BANK_PARTNER and account.bank_bin == user_bank_bin(user)
    )


def can_write(user: Any) -> bool:
    return getattr(user, "role", None) not in READ_ONLY_ROLES


def organisation_rows(user: User, model: Any) -> Select:
    """SELECT of ``model``'s rows (an upload with an ``organisation_id``) that ``user`` may
    see: their organisation's; an admin's, all. A user without one sees none."""
    query = select(model)
    if user.role != Role.ADMIN:
        query = query.where(model.organisation_id == (user.organisation_id or -1))
    return query

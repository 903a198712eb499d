"""Which organisations may register and change vendors' accounts, and which they may see.

- A bank branch acts for one bank: it registers, changes and sees only accounts at its
  own BIN, so no bank learns another bank's customers (DOMAIN.md §4.7).
- A market board and the operator may register at any bank.
- Commune, district and province offices monitor: they may not write.
- With no organisation at all only the system channels ("cli", "demo") may write.

Per-user scope (which markets a user may open) is ``auth.scope``; these rules are about
the organisation a registration is made for, and hold for the web, import and API alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from market4.auth.models import Organisation
from market4.db import now_utc
from market4.errors import PermissionDenied
from market4.markets.models import Market, Stall
from market4.markets.queries import restrict_markets_to_area
from market4.vendors.models import Occupancy, PaymentAccount, Vendor

__all__ = [
    "SYSTEM_CHANNELS",
    "WRITING_ORGANISATION_KINDS",
    "acts_for_one_bank",
    "ensure_bank_allowed",
    "ensure_may_change",
    "ensure_may_write",
    "verified_at",
    "visible_accounts_query",
]

WRITING_ORGANISATION_KINDS = frozenset({"bank_branch", "market_board", "operator"})
SYSTEM_CHANNELS = frozenset({"cli", "demo"})


def acts_for_one_bank(organisation: Organisation | None) -> bool:
    """True for a bank branch (or anything tied to a BIN): it is limited to that one bank."""
    if organisation is None:
        return False
    return organisation.kind == "bank_branch" or organisation.bank_bin is not None


def ensure_may_write(organisation: Organisation | None, channel: str) -> None:
    """PermissionDenied unless ``organisation`` may register or change vendors at all."""
    if organisation is None:
        if channel not in SYSTEM_CHANNELS:
            raise PermissionDenied(code="no_organisation")
        return
    if organisation.kind not in WRITING_ORGANISATION_KINDS:
        raise PermissionDenied("Đơn vị của bạn chỉ được xem, không được đăng ký tiểu thương.",
                               code="read_only_organisation")


def ensure_bank_allowed(organisation: Organisation | None, bank_bin: str) -> None:
    """PermissionDenied when a bank branch touches an account at another bank's BIN."""
    if organisation is not None and acts_for_one_bank(organisation) and organisation.bank_bin != bank_bin:
        raise PermissionDenied("Chi nhánh ngân hàng chỉ được đăng ký tài khoản tại ngân hàng của mình.",
                               code="other_bank", details={"bank_bin": bank_bin})


def verified_at(organisation: Organisation | None, bank_bin: str) -> datetime | None:
    """A bank branch vouches for accounts at its own bank (it has done the KYC)."""
    return now_utc() if organisation is not None and organisation.bank_bin == bank_bin else None


def visible_accounts_query(organisation: Organisation | None) -> Select[tuple[PaymentAccount]]:
    """SELECT of the payment accounts ``organisation`` may see.

    A bank branch sees only accounts at its own BIN (none without a BIN), so no bank
    learns another bank's customers; the operator sees all; other offices see the
    accounts of vendors who traded at a market in their area. Per-user scope (a market
    manager's markets) is ``auth.scope.accounts_query``.
    """
    query = select(PaymentAccount)
    if organisation is None:
        return query.where(False)
    if acts_for_one_bank(organisation):
        return query.where(PaymentAccount.bank_bin == (organisation.bank_bin or "-"))
    if organisation.kind == "operator":
        return query
    if organisation.area is None:
        return query.where(False)
    market_ids = restrict_markets_to_area(select(Market.id), organisation.area)
    vendor_ids = select(Occupancy.vendor_id).join(Stall, Stall.id == Occupancy.stall_id).where(
        Stall.market_id.in_(market_ids)
    )
    return query.where(PaymentAccount.vendor_id.in_(vendor_ids))


def ensure_may_change(
    organisation: Organisation | None, channel: str, vendor: Vendor, account: PaymentAccount | None
) -> None:
    """May ``organisation`` change this vendor (and ``account``, when given)?

    A bank branch may change an account at its own bank, and a vendor only when the
    vendor has an account there.
    """
    ensure_may_write(organisation, channel)
    if organisation is None or not acts_for_one_bank(organisation):
        return
    if account is not None:
        ensure_bank_allowed(organisation, account.bank_bin)
    elif not any(a.bank_bin == organisation.bank_bin for a in vendor.accounts):
        raise PermissionDenied(code="other_bank")

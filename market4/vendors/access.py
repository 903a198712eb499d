"""What a bank's own systems may see of accounts, and when a registration counts as verified.

Who may *write* is ``auth.policy``, the one write policy of every channel; per-user
read scope (which markets a user may open) is ``auth.scope``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from market4.auth.models import Organisation
from market4.db import now_utc
from market4.registry.markets import Market, Stall
from market4.registry.policy import acts_for_one_bank
from market4.registry.scope import restrict_markets_to_area
from market4.registry.vendors import Occupancy, PaymentAccount

__all__ = ["verified_at", "visible_accounts_query"]


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
    vendor_ids = (
        select(Occupancy.vendor_id)
        .join(Stall, Stall.id == Occupancy.stall_id)
        .where(Stall.market_id.in_(market_ids))
    )
    return query.where(PaymentAccount.vendor_id.in_(vendor_ids))

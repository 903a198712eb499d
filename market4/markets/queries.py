"""Read-only market queries shared by dashboards, scopes and the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from market4.db import today
from market4.domain.text import fold_ascii
from market4.extensions import db
from market4.placards.services import needs_reprint
from market4.registry.markets import Market, Stall, StallStatusChange, VerificationVisit
from market4.registry.ordering import sorted_stalls
from market4.registry.placards import LIVE_STATUSES, Placard
from market4.registry.stalls import last_visits, latest_status_subquery, needs_visit
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vocabulary import AccountStatus

# --- market and stall pages (read-only; the views add the viewer's visibility rules) -----


@dataclass(frozen=True)
class StallRow:
    """One line of a market's stall table: the stall and what is true of it today."""

    stall: Stall
    status: str | None  # "accepting", "not_accepting" or None (never recorded)
    vendor: Vendor | None  # the current occupant
    account: PaymentAccount | None  # the occupant's active on-placard account
    placard: Placard | None  # the newest live (issued/posted) placard
    needs_reprint: bool
    last_visit: VerificationVisit | None = None
    needs_visit: bool = False

    @property
    def is_open(self) -> bool:
        return self.stall.is_open_on(today())


def markets_with_communes(markets_query: Select) -> dict[int, Market]:
    """The markets a SELECT returns, by id, their communes loaded in the same round trip."""
    query = markets_query.options(selectinload(Market.commune))
    return {market.id: market for market in db.session.scalars(query)}


def search_markets(markets_query: Select, text: str) -> Select:
    """Narrow a SELECT of markets to those whose name or code contains ``text``.

    The name is matched as typed; the code (ASCII, derived from the name) is matched
    with the query folded to ASCII, so "ngai giao" still finds "Chợ Ngãi Giao".
    """
    words = text.strip()
    if not words:
        return markets_query
    pattern = f"%{words}%"
    folded = f"%{fold_ascii(words).replace(' ', '%')}%"
    return markets_query.where(or_(Market.code.ilike(folded), Market.name.ilike(pattern)))


def stall_rows(market: Market) -> list[StallRow]:
    """Every stall of ``market`` (closed ones too) in natural code order, with today's
    status, occupant, placard account and live placard: five queries whatever the size."""
    stalls = sorted_stalls(db.session.scalars(select(Stall).where(Stall.market_id == market.id)))
    if not stalls:
        return []
    ids = [stall.id for stall in stalls]
    # Ranked within this market only: PostgreSQL does not push the IN below into the window.
    latest = latest_status_subquery(
        today(), of_markets=select(Market.id).where(Market.id == market.id)
    )
    statuses = dict(
        db.session.execute(
            select(latest.c.stall_id, latest.c.status).where(
                latest.c.rank == 1, latest.c.stall_id.in_(ids)
            )
        ).all()
    )
    occupants = dict(
        db.session.execute(
            select(Occupancy.stall_id, Vendor)
            .join(Vendor, Vendor.id == Occupancy.vendor_id)
            .where(Occupancy.stall_id.in_(ids), Occupancy.ended_on.is_(None))
        ).all()
    )
    accounts = {
        account.vendor_id: account
        for account in db.session.scalars(
            select(PaymentAccount)
            .options(selectinload(PaymentAccount.bank))
            .where(
                PaymentAccount.vendor_id.in_({vendor.id for vendor in occupants.values()}),
                PaymentAccount.is_on_placard.is_(True),
                PaymentAccount.status == AccountStatus.ACTIVE,
            )
        )
    }
    placards: dict[int, Placard] = {}
    for placard in db.session.scalars(
        select(Placard)
        .where(Placard.stall_id.in_(ids), Placard.status.in_(LIVE_STATUSES))
        .order_by(Placard.version, Placard.id)
    ):
        placards[placard.stall_id] = placard  # the newest wins
    reprint = {stall.id for stall in needs_reprint(market)}
    visits = last_visits(ids)
    day = today()
    rows = []
    for stall in stalls:
        vendor = occupants.get(stall.id)
        placard = placards.get(stall.id)
        rows.append(
            StallRow(
                stall=stall,
                status=statuses.get(stall.id),
                vendor=vendor,
                account=accounts.get(vendor.id) if vendor else None,
                placard=placard,
                needs_reprint=stall.id in reprint,
                last_visit=visits.get(stall.id),
                needs_visit=needs_visit(placard is not None, visits.get(stall.id), day),
            )
        )
    return rows


def stall_history(
    stall: Stall,
) -> tuple[list[StallStatusChange], list[VerificationVisit], list[Placard]]:
    """A stall's status changes, verification visits and placards, newest first."""
    changes = db.session.scalars(
        select(StallStatusChange)
        .where(StallStatusChange.stall_id == stall.id)
        .order_by(StallStatusChange.effective_on.desc(), StallStatusChange.id.desc())
    )
    visits = db.session.scalars(
        select(VerificationVisit)
        .where(VerificationVisit.stall_id == stall.id)
        .order_by(VerificationVisit.visited_on.desc(), VerificationVisit.id.desc())
    )
    placards = db.session.scalars(
        select(Placard)
        .options(selectinload(Placard.payment_account).selectinload(PaymentAccount.bank))
        .where(Placard.stall_id == stall.id)
        .order_by(Placard.version.desc(), Placard.id.desc())
    )
    return list(changes), list(visits), list(placards)


def occupant_stalls(vendor_ids: Iterable[int], market: Market) -> dict[int, list[Stall]]:
    """The stalls of ``market`` each vendor currently occupies, in stall order."""
    ids = list(vendor_ids)
    if not ids:
        return {}
    found: dict[int, list[Stall]] = {}
    for vendor_id, stall in db.session.execute(
        select(Occupancy.vendor_id, Stall)
        .join(Stall, Stall.id == Occupancy.stall_id)
        .where(
            Occupancy.vendor_id.in_(ids), Occupancy.ended_on.is_(None), Stall.market_id == market.id
        )
    ):
        found.setdefault(vendor_id, []).append(stall)
    return {vendor_id: sorted_stalls(stalls) for vendor_id, stalls in found.items()}


def search_vendors(vendors_query: Select, text: str, *, limit: int = 20) -> list[Vendor]:
    """Vendors of a (scoped) SELECT matching a name, with or without diacritics, or a phone.

    The bank-style name is upper-case ASCII ("NGUYEN THI DAO"), so matching the folded
    query against it finds "Đào" from "dao" on every database; phones match on digits.
    """
    words = " ".join(text.split())
    if not words:
        return []
    conditions = [
        Vendor.display_name.ilike(f"%{words}%"),
        Vendor.bank_style_name.like(f"%{fold_ascii(words).upper()}%"),
    ]
    digits = "".join(ch for ch in words if ch.isdigit())
    if len(digits) >= 3:
        national = digits[1:] if digits.startswith("0") else digits
        conditions.append(Vendor.phone_e164.like(f"%{national}%"))
    query = vendors_query.where(Vendor.is_active.is_(True), or_(*conditions))
    return list(db.session.scalars(query.order_by(Vendor.bank_style_name, Vendor.id).limit(limit)))

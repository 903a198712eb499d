"""Accepting stalls by the bank or wallet on their placard.

A stall accepting on the day is attributed to the bank of its vendor's active
on-placard account: the vendor is the stall's occupant that day (the latest tenancy
begun by then, unless it has ended: a new tenancy ends any earlier one), the account is
the one on the placard now (accounts keep no history, so for a past date the bank is
today's). Stalls without an occupant or such an account form their own row, so the rows
always add up to the accepting total on the headline.

The counts come from the per-market, per-bank rollup (``market_days.bank_counts_on``);
:func:`counts_by_bin_from_history` says the same from the source tables and stays as
the reference the rollup is tested against.

Only the bank's BIN, names and a count leave the database here: no account number is
selected, so none can reach a page or an export by mistake.

What a bank partner sees: their own bank's row and one "other banks and wallets" total.
Other banks' names and counts are a competitor's market share in the partner's area, so
they are pooled; the other viewers (government staff, market managers, admins) see every
bank by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from market4.banks.models import Bank
from market4.extensions import db
from market4.registry import market_days
from market4.registry.markets import ACCEPTING, Stall
from market4.registry.stalls import latest_status_subquery, open_on
from market4.registry.vendors import Occupancy, PaymentAccount
from market4.vocabulary import AccountStatus

# Row kinds, so templates and tests can tell the pooled rows from a real bank.
BANK = "bank"
WALLET = "wallet"
OTHER_BANKS = "other"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class BankShare:
    kind: str
    bin: str | None
    name: str
    stalls: int
    accepting_total: int

    @property
    def share(self) -> float | None:
        return self.stalls / self.accepting_total if self.accepting_total else None


def bank_breakdown(
    markets_query: Select,
    on: date,
    *,
    only_bank_bin: str | None = None,
    accepting: int | None = None,
) -> list[BankShare]:
    """Accepting stalls per bank/wallet on ``on``, largest first, unknown last.

    ``accepting``: the markets' accepting total on ``on``, when the caller has it.

    With ``only_bank_bin`` (a bank partner viewing), every other bank is pooled into one
    ``OTHER_BANKS`` row and that bank's own row is present even at zero.
    """
    market_ids = market_days.market_ids_of(markets_query)
    counts = counts_by_bin(on, market_ids, accepting=accepting)
    total = sum(count for _, _, _, count in counts)
    named = [(bin_, name, is_wallet, count) for bin_, name, is_wallet, count in counts if bin_]
    unknown = sum(count for bin_, _, _, count in counts if not bin_)
    if only_bank_bin is not None:
        rows = _partner_rows(named, only_bank_bin, total)
    else:
        rows = [
            BankShare(WALLET if is_wallet else BANK, bin_, name, count, total)
            for bin_, name, is_wallet, count in named
        ]
        rows.sort(key=lambda row: (-row.stalls, row.name.casefold()))
    if unknown:
        rows.append(BankShare(UNKNOWN, None, "", unknown, total))
    return rows


def _partner_rows(named: list, own_bin: str, total: int) -> list[BankShare]:
    own = next((row for row in named if row[0] == own_bin), None)
    if own is None:
        bank = db.session.get(Bank, own_bin)
        own = (own_bin, bank.short_name if bank else own_bin, bool(bank and bank.is_wallet), 0)
    others = sum(count for bin_, _, _, count in named if bin_ != own_bin)
    rows = [BankShare(WALLET if own[2] else BANK, own[0], own[1], own[3], total)]
    if others:
        rows.append(BankShare(OTHER_BANKS, None, "", others, total))
    return rows


BinCount = tuple[str | None, str | None, bool, int]  # BIN, short name, is a wallet, stalls


def counts_by_bin(
    day: date, market_ids: Select | None, *, accepting: int | None = None
) -> list[BinCount]:
    """Accepting stalls by bank on ``day``, from the rollup; the unknown row has BIN None."""
    by_bin = market_days.bank_counts_on(day, market_ids)
    if accepting is None:
        accepting = sum(a for _, a in market_days.counts_on(day, market_ids).values())
    banks = db.session.execute(
        select(Bank.bin, Bank.short_name, Bank.is_wallet).where(Bank.bin.in_(list(by_bin)))
    )
    counts: list[BinCount] = [
        (bin_, name, bool(wallet), by_bin[bin_]) for bin_, name, wallet in banks
    ]
    if unknown := accepting - sum(by_bin.values()):
        counts.append((None, None, False, unknown))
    return counts


def counts_by_bin_from_history(day: date, market_ids: Select) -> list[BinCount]:
    """:func:`counts_by_bin`, ranked from the status history and the tenancies."""
    latest = latest_status_subquery(day, of_markets=market_ids)
    occupant, later = aliased(Occupancy), aliased(Occupancy)
    # One occupant per stall even if overlapping tenancies were recorded: the latest
    # begun by then, and none if that one has ended.
    # (NOT EXISTS rather than a ranked subquery: it stays an index probe per stall even
    # before PostgreSQL has statistics for the tables.)
    newer_occupant = exists().where(
        later.stall_id == occupant.stall_id,
        later.started_on <= day,
        or_(
            later.started_on > occupant.started_on,
            and_(later.started_on == occupant.started_on, later.id > occupant.id),
        ),
    )
    query = (
        select(Bank.bin, Bank.short_name, Bank.is_wallet, func.count(Stall.id))
        .select_from(Stall)
        .join(latest, and_(latest.c.stall_id == Stall.id, latest.c.rank == 1))
        .outerjoin(
            occupant,
            and_(occupant.stall_id == Stall.id, _occupies_on(occupant, day), ~newer_occupant),
        )
        .outerjoin(
            PaymentAccount,
            and_(
                PaymentAccount.vendor_id == occupant.vendor_id,
                PaymentAccount.is_on_placard.is_(True),
                PaymentAccount.status == AccountStatus.ACTIVE,
            ),
        )
        .outerjoin(Bank, Bank.bin == PaymentAccount.bank_bin)
        .where(latest.c.status == ACCEPTING, open_on(day), Stall.market_id.in_(market_ids))
        .group_by(Bank.bin, Bank.short_name, Bank.is_wallet)
    )
    return [
        (bin_, name, bool(is_wallet), count)
        for bin_, name, is_wallet, count in db.session.execute(query)
    ]


def _occupies_on(occupancy: type[Occupancy], day: date) -> ColumnElement[bool]:
    return and_(
        occupancy.started_on <= day, or_(occupancy.ended_on.is_(None), occupancy.ended_on > day)
    )

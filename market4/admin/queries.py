"""Read-only lists and counts for the admin pages.

Searches fold diacritics in Python rather than SQL: SQLite's LIKE only ignores the case
of ASCII letters, so "đá" would miss "Đá Bạc" there and match on PostgreSQL. The lists
an admin pages through (hundreds to a few thousand rows) are small enough for that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from market4.areas.models import AdminUnit
from market4.audit.models import AuditEvent
from market4.auth.models import Organisation, User
from market4.banks.models import Bank
from market4.db import now_utc
from market4.domain.text import search_key
from market4.extensions import db
from market4.formatting import vietnamese_sort_key
from market4.paging import Page, paginate
from market4.registry.markets import Market

T = TypeVar("T")
PER_PAGE = 50


def page_of(items: Sequence[T], page: int, per_page: int = PER_PAGE) -> Page:
    return paginate(list(items), page, per_page)


def matches(query: str, *texts: str | None) -> bool:
    """True when every word of ``query`` occurs in one of ``texts``, ignoring diacritics."""
    haystack = " | ".join(search_key(text) for text in texts)
    return all(word in haystack for word in search_key(query).split())


# --- overview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    organisations: int
    users_active: int
    users_inactive: int
    banks: int
    markets: int
    markets_in_programme: int
    events_last_7_days: int


def overview() -> Overview:
    def count(query) -> int:
        return db.session.scalar(query) or 0

    return Overview(
        organisations=count(select(func.count(Organisation.id))),
        users_active=count(select(func.count(User.id)).where(User.is_active.is_(True))),
        users_inactive=count(select(func.count(User.id)).where(User.is_active.is_(False))),
        banks=count(select(func.count(Bank.bin))),
        markets=count(select(func.count(Market.id))),
        markets_in_programme=count(
            select(func.count(Market.id)).where(Market.programme_joined_on.is_not(None))
        ),
        events_last_7_days=count(
            select(func.count(AuditEvent.id)).where(AuditEvent.at >= now_utc() - timedelta(days=7))
        ),
    )


# --- lists ------------------------------------------------------------------------------


def organisations(kind: str | None = None, query: str = "") -> list[Organisation]:
    statement = select(Organisation).options(
        selectinload(Organisation.area),
        selectinload(Organisation.bank),
        selectinload(Organisation.users),
    )
    if kind:
        statement = statement.where(Organisation.kind == kind)
    rows = [org for org in db.session.scalars(statement) if not query or matches(query, org.name)]
    return sorted(rows, key=lambda org: vietnamese_sort_key(org.name))


def users(
    *,
    role: str | None = None,
    organisation_id: int | None = None,
    active: bool | None = None,
    query: str = "",
) -> list[User]:
    statement = select(User).options(selectinload(User.organisation))
    if role:
        statement = statement.where(User.role == role)
    if organisation_id:
        statement = statement.where(User.organisation_id == organisation_id)
    if active is not None:
        statement = statement.where(User.is_active.is_(active))
    rows = [
        user
        for user in db.session.scalars(statement)
        if not query or matches(query, user.email, user.name)
    ]
    return sorted(rows, key=lambda user: vietnamese_sort_key(user.name))


def markets(
    *,
    commune_id: int | None = None,
    kind: str | None = None,
    in_programme: bool | None = None,
    query: str = "",
) -> list[Market]:
    statement = select(Market).options(
        selectinload(Market.commune).selectinload(AdminUnit.parent),
        selectinload(Market.legacy_district),
    )
    if commune_id:
        statement = statement.where(Market.commune_id == commune_id)
    if kind:
        statement = statement.where(Market.kind == kind)
    if in_programme is not None:
        joined = Market.programme_joined_on.is_not(None)
        statement = statement.where(joined if in_programme else ~joined)
    rows = [
        market
        for market in db.session.scalars(statement)
        if not query or matches(query, market.code, market.name, market.address)
    ]
    return sorted(rows, key=lambda market: market.code)


def banks(query: str = "") -> list[Bank]:
    rows = db.session.scalars(select(Bank).order_by(Bank.bin))
    return [
        bank
        for bank in rows
        if not query or matches(query, bank.bin, bank.code, bank.short_name, bank.name)
    ]


# --- choices for selects ----------------------------------------------------------------


def bank_choices() -> list[tuple[str, str]]:
    """``("970436", "970436 · Vietcombank")``, by BIN."""
    rows = db.session.scalars(select(Bank).order_by(Bank.bin))
    return [(bank.bin, f"{bank.bin} · {bank.short_name}") for bank in rows]


def organisation_choices() -> list[tuple[int, str]]:
    return [(org.id, org.name) for org in organisations()]


def market_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Market.id, Market.code, Market.name).order_by(Market.code))
    return [(id_, f"{code} · {name}") for id_, code, name in rows]


def communes_with_markets() -> list[tuple[int, str]]:
    """The communes that have at least one market: the market list's commune filter."""
    used = select(Market.commune_id).distinct()
    units = db.session.scalars(select(AdminUnit).where(AdminUnit.id.in_(used)))
    return sorted(
        ((unit.id, unit.full_name) for unit in units), key=lambda c: vietnamese_sort_key(c[1])
    )

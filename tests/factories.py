"""Plain factory functions for tests that need markets, stalls, organisations and vendors.

Every function adds to ``db.session`` and flushes, so the caller's rolled-back test
transaction (``tests/conftest.py``) cleans up. Codes, phones and account numbers come
from one counter, so several calls in one test never collide.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlalchemy import func, select

from market4.areas.models import SCHEME_2025, AdminUnit
from market4.auth.models import Organisation, User
from market4.banks.models import Bank
from market4.banks.services import sync_banks
from market4.extensions import db
from market4.markets.models import Market, Stall
from market4.vendors import services as vendor_services
from market4.vendors.services import RegistrationResult, VendorRegistration

VCB = "970436"  # Vietcombank
AGRIBANK = "970405"
MOMO = "971025"  # a wallet
LONG_AGO = date(2024, 1, 1)

_sequence = itertools.count(1)


def next_number() -> int:
    return next(_sequence)


def banks() -> None:
    """The bank directory in the ``banks`` table (once per test transaction)."""
    if not db.session.scalar(select(func.count()).select_from(Bank)):
        sync_banks()


def commune(name: str = "Ngãi Giao") -> AdminUnit:
    """A 2025 commune inside a 2025 province, created directly (no shipped data needed)."""
    n = next_number()
    province = AdminUnit(scheme=SCHEME_2025, level="province", code=f"9{n:03d}", name=f"Tỉnh thử {n}",
                         division_type="Tỉnh")
    db.session.add(province)
    db.session.flush()
    unit = AdminUnit(scheme=SCHEME_2025, level="commune", code=f"8{n:04d}", name=name, division_type="Xã",
                     parent_id=province.id)
    db.session.add(unit)
    db.session.flush()
    return unit


def market(*, name: str = "Chợ Ngãi Giao", area: AdminUnit | None = None,
           joined_on: date | None = LONG_AGO) -> Market:
    n = next_number()
    row = Market(code=f"TEST-{n}", name=name, commune=area or commune(), programme_joined_on=joined_on)
    db.session.add(row)
    db.session.flush()
    return row


def stall(in_market: Market | None = None, code: str | None = None, **fields: Any) -> Stall:
    fields.setdefault("opened_on", LONG_AGO)
    row = Stall(market=in_market or market(), code=code or f"Sạp {next_number()}", **fields)
    db.session.add(row)
    db.session.flush()
    return row


def organisation(kind: str = "bank_branch", bank_bin: str | None = VCB, area: AdminUnit | None = None,
                 name: str | None = None) -> Organisation:
    banks()
    row = Organisation(kind=kind, name=name or f"{kind} {next_number()}",
                       bank_bin=bank_bin if kind == "bank_branch" else None, area=area)
    db.session.add(row)
    db.session.flush()
    return row


def user(role: str = "bank_partner", org: Organisation | None = None) -> User:
    n = next_number()
    row = User(email=f"user{n}@test.market4.vn", name=f"Người dùng {n}", role=role,
               organisation=org or organisation())
    db.session.add(row)
    db.session.flush()
    return row


def phone() -> str:
    """A valid Vietnamese mobile number, national format: 0912000001, 0912000002…"""
    return f"0912{next_number():06d}"


def account_number() -> str:
    return f"10{next_number():08d}"


def registration(at_stall: Stall | None, **overrides: Any) -> VendorRegistration:
    values: dict[str, Any] = {
        "display_name": "Nguyễn Thị Đào",
        "phone": phone(),
        "bank_bin": VCB,
        "account_number": account_number(),
        "stall": at_stall,
        "goods_category": "Rau củ",
        "consent_given": True,
    }
    values.update(overrides)
    return VendorRegistration(**values)


def registered_vendor(at_stall: Stall | None = None, *, org: Organisation | None = None,
                      actor: User | None = None, **overrides: Any) -> RegistrationResult:
    """A vendor registered through the real service (bank partner of the account's bank)."""
    at_stall = at_stall or stall()
    bank_bin = overrides.get("bank_bin", VCB)
    org = org or organisation(bank_bin=bank_bin)
    return vendor_services.register_vendor(registration(at_stall, **overrides), organisation=org, actor=actor)

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
from market4.registry.markets import Market, Stall
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
    province = AdminUnit(
        scheme=SCHEME_2025,
        level="province",
        code=f"9{n:03d}",
        name=f"Tỉnh thử {n}",
        division_type="Tỉnh",
    )
    db.session.add(province)
    db.session.flush()
    unit = AdminUnit(
        scheme=SCHEME_2025,
        level="commune",
        code=f"8{n:04d}",
        name=name,
        division_type="Xã",
        parent_id=province.id,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def market(
    *, name: str = "Chợ Ngãi Giao", area: AdminUnit | None = None, joined_on: date | None = LONG_AGO
) -> Market:
    n = next_number()
    row = Market(
        code=f"TEST-{n}", name=name, commune=area or commune(), programme_joined_on=joined_on
    )
    db.session.add(row)
    db.session.flush()
    return row


def stall(in_market: Market | None = None, code: str | None = None, **fields: Any) -> Stall:
    fields.setdefault("opened_on", LONG_AGO)
    row = Stall(market=in_market or market(), code=code or f"Sạp {next_number()}", **fields)
    db.session.add(row)
    db.session.flush()
    return row


def organisation(
    kind: str = "bank_branch",
    bank_bin: str | None = VCB,
    area: AdminUnit | None = None,
    name: str | None = None,
) -> Organisation:
    banks()
    row = Organisation(
        kind=kind,
        name=name or f"{kind} {next_number()}",
        bank_bin=bank_bin if kind == "bank_branch" else None,
        area=area,
    )
    db.session.add(row)
    db.session.flush()
    return row


def user(role: str = "bank_partner", org: Organisation | None = None) -> User:
    n = next_number()
    row = User(
        email=f"user{n}@test.market4.vn",
        name=f"Người dùng {n}",
        role=role,
        organisation=org or organisation(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def phone() -> str:
    """A valid Vietnamese mobile number, national format: 0912000001, 0912000002…"""
    return f"0912{next_number():06d}"


def account_number(bank_bin: str = VCB) -> str:
    """A fresh account number that keeps its bank's rules (Agribank issues 13 digits)."""
    return f"10{next_number():011d}" if bank_bin == AGRIBANK else f"10{next_number():08d}"


def registration(at_stall: Stall | None, **overrides: Any) -> VendorRegistration:
    values: dict[str, Any] = {
        "display_name": "Nguyễn Thị Đào",
        "phone": phone(),
        "bank_bin": VCB,
        "stall": at_stall,
        "goods_category": "Rau củ",
        "consent_given": True,
    }
    values.update(overrides)
    values.setdefault("account_number", account_number(values["bank_bin"]))
    return VendorRegistration(**values)


def registered_vendor(
    at_stall: Stall | None = None,
    *,
    org: Organisation | None = None,
    actor: User | None = None,
    **overrides: Any,
) -> RegistrationResult:
    """A vendor registered through the real service (bank partner of the account's bank)."""
    at_stall = at_stall or stall()
    bank_bin = overrides.get("bank_bin", VCB)
    org = org or organisation(bank_bin=bank_bin)
    return vendor_services.register_vendor(
        registration(at_stall, **overrides), organisation=org, actor=actor
    )


def registered_again(
    existing: RegistrationResult, *, bank_bin: str = VCB, **vendor_fields: Any
) -> RegistrationResult:
    """A second record of the same person at their stall, as the old forced "replace" left it
    (registration no longer does this): the first record's occupancy ended and the stall's
    placards superseded; a new vendor (same phone and names unless overridden) with a new
    on-placard account trades there now. For ``vendors.merging`` tests."""
    from market4.db import now_utc, today
    from market4.placards.services import supersede_placards
    from market4.registry.vendors import Occupancy, PaymentAccount, Vendor

    old = existing.vendor
    stall = existing.occupancy.stall
    existing.occupancy.ended_on = today()
    db.session.flush()
    supersede_placards(stall, reason="vendor changed", actor=None)
    fields = {
        "display_name": old.display_name,
        "bank_style_name": old.bank_style_name,
        "phone_e164": old.phone_e164,
        "consent_at": now_utc(),
        **vendor_fields,
    }
    vendor = Vendor(**fields)
    account = PaymentAccount(
        vendor=vendor,
        bank_bin=bank_bin,
        account_number=account_number(bank_bin),
        holder_name=vendor.bank_style_name,
        is_on_placard=True,
    )
    occupancy = Occupancy(stall_id=stall.id, vendor=vendor, started_on=today())
    db.session.add_all([vendor, account, occupancy])
    db.session.flush()
    return RegistrationResult(vendor=vendor, account=account, occupancy=occupancy)

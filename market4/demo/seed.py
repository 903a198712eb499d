"""``market4 demo seed``: builds the demo district so a newcomer sees a realistic screen.

Deterministic (fixed random seed), idempotent (a second run changes nothing) and
reversible (``reset`` removes exactly what the demo created).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import phonenumbers
from sqlalchemy import delete, func, insert, select
from werkzeug.security import generate_password_hash

from market4.areas import services as area_services
from market4.areas.models import SCHEME_2008, SCHEME_2025, AdminUnit
from market4.auth.models import Organisation, User, user_markets
from market4.banks.services import sync_banks
from market4.db import VIETNAM_TZ
from market4.demo import data
from market4.domain.text import bank_style_name
from market4.domain.vietqr import Transfer, encode
from market4.extensions import db
from market4.registry import activity
from market4.registry.activity import MarketActivityMonth, PaymentActivity
from market4.registry.market_days import MarketBankDay, MarketDay
from market4.registry.markets import ACCEPTING, NOT_ACCEPTING, Market, Stall, StallStatusChange
from market4.registry.placards import Placard
from market4.registry.vendors import Occupancy, PaymentAccount, Vendor
from market4.vocabulary import ActivitySource, PlacardStatus, QrCountBand

DEMO_PROVINCE_2025 = "Hồ Chí Minh"
DEMO_PROVINCE_2008 = "Bà Rịa - Vũng Tàu"
DEMO_DISTRICT_2008 = "Châu Đức"
STALLS_OPENED_ON = date(2024, 1, 1)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    description: str


def demo_exists() -> bool:
    codes = [m.code for m in data.MARKETS]
    return db.session.scalar(select(Market.id).where(Market.code.in_(codes)).limit(1)) is not None


def seed() -> list[DemoLogin]:
    """Create the demo district unless it exists; returns the demo logins."""
    sync_banks()
    if demo_exists():
        return _logins()
    _load_demo_areas()
    orgs = _create_organisations()
    markets = _create_markets()
    db.session.flush()
    builder = _MarketBuilder(orgs)
    for market, spec in zip(markets, data.MARKETS, strict=True):
        builder.populate(market, spec)
    logins = _create_users(orgs, markets)
    db.session.flush()
    _report_qr_payments(orgs, [market.id for market in markets])
    return logins


def reset() -> None:
    """Delete everything the demo created (markets, their stalls and vendors, its users)."""
    codes = [m.code for m in data.MARKETS]
    market_ids = list(db.session.scalars(select(Market.id).where(Market.code.in_(codes))))
    stall_ids = select(Stall.id).where(Stall.market_id.in_(market_ids))
    vendor_ids = list(
        db.session.scalars(select(Occupancy.vendor_id).where(Occupancy.stall_id.in_(stall_ids)))
    )
    db.session.execute(delete(Placard).where(Placard.stall_id.in_(stall_ids)))
    db.session.execute(
        delete(PaymentActivity).where(
            PaymentActivity.payment_account_id.in_(
                select(PaymentAccount.id).where(PaymentAccount.vendor_id.in_(vendor_ids))
            )
        )
    )
    for rollup in (MarketDay, MarketBankDay, MarketActivityMonth):
        db.session.execute(delete(rollup).where(rollup.market_id.in_(market_ids)))
    db.session.execute(delete(StallStatusChange).where(StallStatusChange.stall_id.in_(stall_ids)))
    db.session.execute(delete(Occupancy).where(Occupancy.stall_id.in_(stall_ids)))
    db.session.execute(delete(PaymentAccount).where(PaymentAccount.vendor_id.in_(vendor_ids)))
    db.session.execute(delete(Vendor).where(Vendor.id.in_(vendor_ids)))
    db.session.execute(delete(Stall).where(Stall.market_id.in_(market_ids)))
    demo_users = select(User.id).where(User.email.like(f"%@{data.DEMO_EMAIL_DOMAIN}"))
    db.session.execute(delete(user_markets).where(user_markets.c.user_id.in_(demo_users)))
    db.session.execute(delete(Market).where(Market.id.in_(market_ids)))
    demo_org_ids = list(
        db.session.scalars(select(User.organisation_id).where(User.id.in_(demo_users)))
    )
    db.session.execute(delete(User).where(User.email.like(f"%@{data.DEMO_EMAIL_DOMAIN}")))
    db.session.execute(
        delete(Organisation).where(
            Organisation.id.in_(demo_org_ids) | Organisation.name.in_(_demo_org_names())
        )
    )
    db.session.flush()


# --- areas -------------------------------------------------------------------------

# Thành phố Hồ Chí Minh (2025), which absorbed Bà Rịa - Vũng Tàu (2008 code 77).
DEMO_AREA_PROVINCES = {SCHEME_2025: {"79"}, SCHEME_2008: {"77"}}


def _load_demo_areas() -> None:
    area_services.load_provinces(DEMO_AREA_PROVINCES)


def _unit(scheme: str, level: str, name: str, parent: AdminUnit | None = None) -> AdminUnit:
    query = select(AdminUnit).filter_by(scheme=scheme, level=level, name=name)
    if parent is not None:
        query = query.filter_by(parent_id=parent.id)
    unit = db.session.scalars(query).first()
    if unit is None:
        raise LookupError(f"demo area not found: {scheme} {level} {name!r}")
    return unit


def _province_2025() -> AdminUnit:
    return _unit(SCHEME_2025, "province", DEMO_PROVINCE_2025)


def _legacy_district() -> AdminUnit:
    province = _unit(SCHEME_2008, "province", DEMO_PROVINCE_2008)
    return _unit(SCHEME_2008, "district", DEMO_DISTRICT_2008, province)


def _commune(name: str) -> AdminUnit:
    return _unit(SCHEME_2025, "commune", name, _province_2025())


# --- organisations and users ---------------------------------------------------------

BANK_BRANCHES = {
    "970405": "Agribank Chi nhánh Châu Đức",
    "970436": "Vietcombank Phòng giao dịch Ngãi Giao",
    "970418": "BIDV Phòng giao dịch Châu Đức",
    "970415": "VietinBank Phòng giao dịch Ngãi Giao",
    "970422": "MB Phòng giao dịch Châu Đức",
    "970403": "Sacombank Phòng giao dịch Ngãi Giao",
    "970449": "LPBank Phòng giao dịch Châu Đức",
    "971025": "MoMo - Đại lý Châu Đức",
    "971005": "Viettel Money Châu Đức",
}


def _demo_org_names() -> list[str]:
    return [
        *BANK_BRANCHES.values(),
        "Ban quản lý chợ Ngãi Giao",
        "UBND xã Ngãi Giao",
        "Phòng Kinh tế huyện Châu Đức (trước 01/07/2025)",
        "Sở Công Thương Thành phố Hồ Chí Minh",
        "market4 (vận hành)",
    ]


def _create_organisations() -> dict[str, Organisation]:
    orgs: dict[str, Organisation] = {}
    for bin_, name in BANK_BRANCHES.items():
        orgs[bin_] = Organisation(
            kind="bank_branch", name=name, bank_bin=bin_, area_id=_legacy_district().id
        )
    orgs["board"] = Organisation(
        kind="market_board", name="Ban quản lý chợ Ngãi Giao", area_id=_commune("Ngãi Giao").id
    )
    orgs["commune"] = Organisation(
        kind="commune_office", name="UBND xã Ngãi Giao", area_id=_commune("Ngãi Giao").id
    )
    orgs["district"] = Organisation(
        kind="district_office",
        name="Phòng Kinh tế huyện Châu Đức (trước 01/07/2025)",
        area_id=_legacy_district().id,
    )
    orgs["province"] = Organisation(
        kind="province_office",
        name="Sở Công Thương Thành phố Hồ Chí Minh",
        area_id=_province_2025().id,
    )
    orgs["operator"] = Organisation(kind="operator", name="market4 (vận hành)")
    db.session.add_all(orgs.values())
    db.session.flush()
    return orgs


DEMO_USERS = (
    # email local part, name, role, organisation key, description
    ("admin", "Quản trị market4", "admin", "operator", "quản trị toàn hệ thống"),
    ("agribank", "Trần Minh Khoa", "bank_partner", "970405", "đối tác Agribank Châu Đức"),
    (
        "quanlycho",
        "Lê Thị Hồng",
        "market_manager",
        "board",
        "quản lý chợ Ngãi Giao và chợ đêm Ngãi Giao",
    ),
    ("xangaigiao", "Phạm Văn Tài", "area_staff", "commune", "cán bộ UBND xã Ngãi Giao"),
    (
        "huyenchauduc",
        "Võ Thị Thu Hà",
        "area_staff",
        "district",
        "cán bộ huyện Châu Đức (địa giới cũ)",
    ),
    (
        "socongthuong",
        "Đặng Quốc Bảo",
        "area_staff",
        "province",
        "cán bộ Sở Công Thương TP. Hồ Chí Minh",
    ),
)


def _create_users(orgs: dict[str, Organisation], markets: list[Market]) -> list[DemoLogin]:
    managed = [m for m in markets if m.code in ("CD-NGAIGIAO", "CD-DEM-NGAIGIAO")]
    for local, name, role, org_key, _ in DEMO_USERS:
        user = User(
            email=f"{local}@{data.DEMO_EMAIL_DOMAIN}",
            name=name,
            role=role,
            organisation=orgs[org_key],
            # Each its own salt, like any user: one shared hash would let a cracked
            # hash (or a copied row) open every demo login at once.
            password_hash=generate_password_hash(data.DEMO_PASSWORD),
        )
        if role == "market_manager":
            user.markets = managed
        db.session.add(user)
    return _logins()


def _logins() -> list[DemoLogin]:
    return [
        DemoLogin(f"{local}@{data.DEMO_EMAIL_DOMAIN}", role, description)
        for local, _, role, _, description in DEMO_USERS
    ]


# --- markets, stalls, vendors ---------------------------------------------------------


def _create_markets() -> list[Market]:
    district = _legacy_district()
    markets = [
        Market(
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            market_class=spec.market_class,
            commune=_commune(spec.commune),
            legacy_district=district,
            programme_joined_on=spec.joined_on,
        )
        for spec in data.MARKETS
    ]
    db.session.add_all(markets)
    return markets


class _MarketBuilder:
    """Fills markets with stalls, vendors, accounts, placards and status history."""

    def __init__(self, orgs: dict[str, Organisation]) -> None:
        self.orgs = orgs
        self.rng = random.Random(4)  # chợ 4.0: the same district on every machine
        self.serial = db.session.scalar(select(func.count(Placard.id))) or 0

    def populate(self, market: Market, spec: data.DemoMarket) -> None:
        rng = self.rng
        accepting = set(rng.sample(range(spec.stalls), spec.accepting))
        goods = data.GOODS[spec.kind]
        campaign_start = spec.joined_on or date(2026, 5, 1)
        for index in range(spec.stalls):
            zone_index = index * len(spec.zones) // spec.stalls
            stall = Stall(
                market=market,
                code=_stall_code(spec, index, zone_index),
                zone=spec.zones[zone_index],
                row=f"Dãy {index // 20 + 1}",
                goods_category=rng.choice(goods),
                opened_on=STALLS_OPENED_ON,
            )
            vendor = self._vendor()
            db.session.add_all([stall, vendor])
            db.session.add(Occupancy(stall=stall, vendor=vendor, started_on=STALLS_OPENED_ON))
            if index in accepting:
                self._make_accepting(stall, vendor, campaign_start)
            elif rng.random() < 0.4:
                # Registered with a bank, but no placard on the stall yet.
                self._account(vendor, on_placard=True)
            elif rng.random() < 0.1:
                _history(stall, NOT_ACCEPTING, "declined", self._campaign_day(campaign_start))
        db.session.flush()

    def _make_accepting(self, stall: Stall, vendor: Vendor, campaign_start: date) -> None:
        account = self._account(vendor, on_placard=True)
        if self.rng.random() < 0.15:
            self._account(vendor, on_placard=False)
        day = self._campaign_day(campaign_start)
        if self.rng.random() < 0.05:
            # A few stalls declined at first and signed up on a later visit.
            _history(stall, NOT_ACCEPTING, "declined", campaign_start)
            day = max(day, campaign_start + timedelta(days=14))
        posted_at = datetime.combine(day, time(9, 0), tzinfo=VIETNAM_TZ)
        self.serial += 1
        db.session.add(
            Placard(
                serial=f"CD{self.serial:07d}",
                stall=stall,
                payment_account=account,
                payload=_payload(account),
                status=PlacardStatus.POSTED,
                layout="a4x4",
                printed_at=posted_at - timedelta(days=2),
                posted_at=posted_at,
            )
        )
        _history(stall, ACCEPTING, "placard_posted", day)

    def _campaign_day(self, start: date) -> date:
        span = (data.TODAY_IN_STORY - start).days
        # Most sign-ups happen in the first weeks of a campaign.
        return start + timedelta(days=int(self.rng.triangular(0, span, span * 0.15)))

    def _vendor(self) -> Vendor:
        rng = self.rng
        female = rng.random() < 0.72  # most stall holders are women
        display_name = " ".join(
            (
                rng.choices(data.SURNAMES, data.SURNAME_WEIGHTS)[0],
                rng.choice(data.MIDDLE_NAMES_F if female else data.MIDDLE_NAMES_M),
                rng.choice(data.GIVEN_NAMES_F if female else data.GIVEN_NAMES_M),
            )
        )
        return Vendor(
            display_name=display_name,
            bank_style_name=bank_style_name(display_name),
            phone_e164=self._phone(),
            consent_at=datetime(2026, 5, 1, tzinfo=VIETNAM_TZ),
        )

    def _phone(self) -> str:
        while True:
            national = self.rng.choice(data.PHONE_PREFIXES) + f"{self.rng.randrange(10**7):07d}"
            number = phonenumbers.parse(national, "VN")
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def _account(self, vendor: Vendor, *, on_placard: bool) -> PaymentAccount:
        used = {a.bank_bin for a in vendor.accounts}
        bin_ = self.rng.choices(_PROVIDER_BINS, _PROVIDER_WEIGHTS)[0]
        while bin_ in used:
            bin_ = self.rng.choices(_PROVIDER_BINS, _PROVIDER_WEIGHTS)[0]
        if bin_ in data.WALLET_BINS:
            # Wallets are paid to the holder's phone number.
            number, kind = "0" + vendor.phone_e164[3:], "wallet"
        else:
            length = self.rng.choice(_PROVIDER_LENGTHS[bin_])
            number, kind = str(self.rng.randrange(10 ** (length - 1), 10**length)), "bank"
        account = PaymentAccount(
            vendor=vendor,
            bank_bin=bin_,
            account_number=number,
            holder_name=vendor.bank_style_name,
            kind=kind,
            is_on_placard=on_placard,
            registered_by=self.orgs[bin_],
            verified_at=datetime(2026, 5, 2, tzinfo=VIETNAM_TZ),
        )
        db.session.add(account)
        return account


_PROVIDER_BINS = [bin_ for bin_, _, _ in data.PAYMENT_PROVIDERS]
_PROVIDER_WEIGHTS = [weight for _, weight, _ in data.PAYMENT_PROVIDERS]
_PROVIDER_LENGTHS = {bin_: lengths for bin_, _, lengths in data.PAYMENT_PROVIDERS}


def _stall_code(spec: data.DemoMarket, index: int, zone_index: int) -> str:
    number = index + 1
    if spec.stall_style == "Lô":
        return f"Lô {chr(ord('A') + zone_index)}{number}"
    return f"{spec.stall_style} {number}"


def _history(stall: Stall, status: str, reason: str, day: date) -> None:
    db.session.add(
        StallStatusChange(
            stall=stall,
            status=status,
            reason=reason,
            effective_on=day,
            recorded_at=datetime.combine(day, time(10, 0), tzinfo=VIETNAM_TZ),
        )
    )


def _payload(account: PaymentAccount) -> str:
    return encode(Transfer(bin=account.bank_bin, account=account.account_number))


# --- the banks' monthly QR payment reports ------------------------------------------------

# Reports run to the last month finished before the story's "today" (20/11/2026).
LAST_REPORTED_MONTH = date(2026, 10, 1)
# The share of posted placards whose account receives QR payments, by months since the
# placard went up: shoppers take a while to start scanning, then about three in four do.
PAID_SHARE_BY_AGE = (0.5, 0.68, 0.75, 0.8)
# How many QR payments a paid account received in a month, and how often.
PAID_BANDS = (QrCountBand.FROM_1, QrCountBand.FROM_10, QrCountBand.FROM_50, QrCountBand.FROM_200)
PAID_BAND_WEIGHTS = (30, 42, 22, 6)
# Wallets send their reports by API, banks as a monthly CSV file.
REPORTED_BY_API = data.WALLET_BINS


def _report_qr_payments(orgs: dict[str, Organisation], market_ids: list[int]) -> None:
    """Each bank's report, month by month since the placard was posted, on the accounts
    of the posted placards: whether shoppers paid into them by QR, and how often."""
    rng = random.Random(42)  # its own sequence: the stalls above stay as they were
    placards = db.session.execute(
        select(Placard.payment_account_id, Placard.posted_at, PaymentAccount.bank_bin)
        .join(PaymentAccount, PaymentAccount.id == Placard.payment_account_id)
        .join(Stall, Stall.id == Placard.stall_id)
        .where(Stall.market_id.in_(market_ids), Placard.status == PlacardStatus.POSTED)
        .order_by(Placard.id)
    ).all()
    rows = []
    for account_id, posted_at, bank_bin in placards:
        month = activity.first_of_month(posted_at.astimezone(VIETNAM_TZ).date())
        age = 0
        while month <= LAST_REPORTED_MONTH:
            paid = rng.random() < PAID_SHARE_BY_AGE[min(age, len(PAID_SHARE_BY_AGE) - 1)]
            band = rng.choices(PAID_BANDS, PAID_BAND_WEIGHTS)[0] if paid else QrCountBand.NONE
            rows.append(
                {
                    "payment_account_id": account_id,
                    "month": month,
                    "received": paid,
                    "count_band": str(band),
                    "source": str(
                        ActivitySource.API if bank_bin in REPORTED_BY_API else ActivitySource.CSV
                    ),
                    "organisation_id": orgs[bank_bin].id,
                    "reported_by_id": None,
                    "reported_at": datetime.combine(
                        activity.next_month(month) + timedelta(days=4),
                        time(8, 0),
                        tzinfo=VIETNAM_TZ,
                    ),
                }
            )
            month, age = activity.next_month(month), age + 1
    db.session.execute(insert(PaymentActivity), rows)
    activity.rebuild_months(market_ids)
    db.session.flush()

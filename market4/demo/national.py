"""``market4 demo national``: a synthetic country for load tests, loaded with COPY.

Every 2025 province and commune gets markets (about 11,000 at ``scale=1``) of the real
kinds and classes, with stalls sized by class (about 2,000,000 in all), vendors at the
real BINs in the shares of ``demo.data.PAYMENT_PROVIDERS``, one occupancy per occupied
stall, about three years of acceptance history (about two status changes per
occupied stall), and the banks' monthly QR payment reports for the last six finished
months on the accounts of accepting stalls (most received payments, in count bands), so
"paid by QR" has figures to read. Each market also carries its legacy (pre-2025) district, taken from the
lineage of its commune. The same ``seed`` builds the same country.

It writes straight into the tables with PostgreSQL's COPY (the services would take
hours at this size), so it refuses SQLite and refuses a database that already has
markets; it then runs ``ANALYZE`` so the planner sees the real sizes at once. The
numbers are invented: no real vendor, phone or account is in them (phones use the
039 prefix block, account numbers are random digits of each bank's lengths).
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import aliased

from market4.areas import services as area_services
from market4.areas.models import SCHEME_2008, SCHEME_2025, AdminUnit, AdminUnitLineage
from market4.banks.services import sync_banks
from market4.database_setup import begin_now
from market4.demo import data
from market4.domain.text import bank_style_name
from market4.errors import Conflict
from market4.extensions import db
from market4.registry import market_days
from market4.registry.activity import last_day_of_month, months_before
from market4.registry.markets import Market
from market4.vocabulary import (
    AccountKind,
    AccountStatus,
    ActivitySource,
    MarketKind,
    QrCountBand,
    StallStatus,
    StatusReason,
)

logger = logging.getLogger(__name__)

MARKETS_AT_FULL_SCALE = 11_000
HISTORY_DAYS = 3 * 365
# Kinds and classes of the country's markets: about 8,500 traditional markets (class 3
# the great majority), plus night markets, food streets and supermarkets.
KIND_WEIGHTS = (
    (MarketKind.TRADITIONAL, 77),
    (MarketKind.NIGHT, 8),
    (MarketKind.STREET, 8),
    (MarketKind.SUPERMARKET, 7),
)
# Stalls per market: (class, weight among traditional markets, fewest, most).
CLASS_SIZES = ((1, 4, 500, 1500), (2, 16, 200, 500), (3, 80, 60, 240))
OTHER_SIZES = {MarketKind.NIGHT: (40, 300), MarketKind.STREET: (20, 120)}
SUPERMARKET_SIZE = (20, 120)
OCCUPIED_SHARE = 0.9
# Share of occupied stalls accepting today, by how long ago their market joined.
ACCEPTING_SHARE = 0.72
# Monthly QR payment reports: how many finished months, the share of accepting stalls'
# accounts that received QR payments in a month, and the count bands of those that did.
REPORTED_MONTHS = 6
RECEIVED_SHARE = 0.8
BAND_WEIGHTS = (
    (QrCountBand.FROM_1, 30),
    (QrCountBand.FROM_10, 35),
    (QrCountBand.FROM_50, 25),
    (QrCountBand.FROM_200, 10),
)


@dataclass(frozen=True)
class NationalSummary:
    markets: int
    stalls: int
    vendors: int
    status_changes: int
    reports: int
    seconds: float


def build(*, scale: float = 1.0, seed: int = 2026, today: date | None = None) -> NationalSummary:
    """Build the country into an empty PostgreSQL database (committing as COPY goes)."""
    started = time.monotonic()
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        raise Conflict(
            _l("Dữ liệu cả nước cần PostgreSQL (nạp bằng COPY)."), code="needs_postgresql"
        )
    if not inspect(connection).has_table(Market.__tablename__):
        raise Conflict(
            _l("Cơ sở dữ liệu chưa có bảng: hãy chạy market4 setup trước."), code="no_schema"
        )
    if db.session.scalar(select(func.count()).select_from(Market)):
        raise Conflict(
            _l("Cơ sở dữ liệu đã có chợ: hãy dùng một cơ sở dữ liệu trống."), code="not_empty"
        )
    if area_services.unit_count() == 0:
        area_services.load_country()
    sync_banks()
    db.session.commit()
    rng = random.Random(seed)
    day = today or date.today()
    communes = _communes_with_legacy_districts()
    plan = _plan_markets(rng, communes, round(MARKETS_AT_FULL_SCALE * scale))
    # The reports draw from a sequence of their own: the rest of the country is the same
    # with or without them.
    counts = _copy_all(rng, plan, day, reports_rng=random.Random(f"{seed}-reports"))
    db.session.commit()
    for table in ("markets", "stalls", "vendors", "payment_accounts", "occupancies"):
        db.session.execute(text(f"ANALYZE {table}"))
    db.session.execute(text("ANALYZE stall_status_changes"))
    db.session.execute(text("ANALYZE payment_activity"))
    # COPY bypasses the session hooks that keep the rollup in step: build it once.
    rollup_started = time.monotonic()
    market_days.rebuild()  # with the months of "paid by QR" (activity.rebuild_months)
    for rollup in ("market_days", "market_bank_days", "market_activity_months"):
        db.session.execute(text(f"ANALYZE {rollup}"))
    logger.info("built the per-market rollup in %.1f s", time.monotonic() - rollup_started)
    db.session.commit()
    return NationalSummary(*counts, seconds=time.monotonic() - started)


@dataclass(frozen=True)
class PlannedMarket:
    code: str
    name: str
    kind: str
    market_class: int | None
    commune_id: int
    legacy_district_id: int | None
    joined: bool
    stalls: int


def _communes_with_legacy_districts() -> list[tuple[int, str, int | None]]:
    """(commune id, name, a legacy district id) for every 2025 commune."""
    old = aliased(AdminUnit)
    new = aliased(AdminUnit)
    districts = dict(
        db.session.execute(
            select(new.id, func.min(old.parent_id))
            .join(AdminUnitLineage, AdminUnitLineage.new_unit_id == new.id)
            .join(old, old.id == AdminUnitLineage.old_unit_id)
            .where(new.scheme == SCHEME_2025, old.scheme == SCHEME_2008, old.level == "commune")
            .group_by(new.id)
        ).all()
    )
    rows = db.session.execute(
        select(AdminUnit.id, AdminUnit.name)
        .where(AdminUnit.scheme == SCHEME_2025, AdminUnit.level == "commune")
        .order_by(AdminUnit.id)
    ).all()
    return [(id_, name, districts.get(id_)) for id_, name in rows]


def _plan_markets(
    rng: random.Random, communes: list[tuple[int, str, int | None]], count: int
) -> list[PlannedMarket]:
    kinds, kind_weights = zip(*KIND_WEIGHTS, strict=True)
    classes = [c for c, *_ in CLASS_SIZES]
    class_weights = [w for _, w, *_ in CLASS_SIZES]
    sizes = {c: (low, high) for c, _, low, high in CLASS_SIZES}
    plan = []
    for n in range(count):
        commune_id, commune_name, district_id = rng.choice(communes)
        kind = rng.choices(kinds, kind_weights)[0]
        market_class = None
        if kind == MarketKind.TRADITIONAL:
            market_class = rng.choices(classes, class_weights)[0]
            low, high = sizes[market_class]
            name = f"Chợ {commune_name}"
        elif kind == MarketKind.SUPERMARKET:
            low, high = SUPERMARKET_SIZE
            name = f"Siêu thị {commune_name}"
        else:
            low, high = OTHER_SIZES[kind]
            name = f"{'Chợ đêm' if kind == MarketKind.NIGHT else 'Phố ẩm thực'} {commune_name}"
        joined = rng.random() < 0.85
        plan.append(
            PlannedMarket(
                code=f"N-{n + 1:05d}",
                name=f"{name} {n % 7 + 1}" if n % 3 else name,
                kind=kind,
                market_class=market_class,
                commune_id=commune_id,
                legacy_district_id=district_id,
                joined=joined,
                stalls=rng.randint(low, high),
            )
        )
    return plan


def _copy_all(
    rng: random.Random, plan: list[PlannedMarket], today: date, *, reports_rng: random.Random
) -> tuple[int, ...]:
    connection = db.session.connection()
    begin_now(connection)  # COPY goes past SQLAlchemy: the load stays one transaction
    cursor = connection.connection.driver_connection.cursor()
    reported_months = _reported_months(today)
    bands = [band for band, _ in BAND_WEIGHTS]
    band_weights = [weight for _, weight in BAND_WEIGHTS]
    first_day = today - timedelta(days=HISTORY_DAYS)
    now = datetime.now(UTC)
    providers = data.PAYMENT_PROVIDERS
    bins = [bin_ for bin_, _, _ in providers]
    weights = [weight for _, weight, _ in providers]
    lengths = {bin_: lengths for bin_, _, lengths in providers}

    # Rows go to temporary files, not memory: two million stalls stay a flat footprint.
    markets, stalls, vendors, accounts, occupancies, changes, reports = (
        tempfile.TemporaryFile("w+", encoding="utf-8") for _ in range(7)
    )
    stall_id = vendor_id = change_id = report_id = 0
    for market_id, market in enumerate(plan, start=1):
        joined = first_day + timedelta(days=rng.randrange(0, HISTORY_DAYS // 2))
        _row(
            markets,
            market_id,
            market.code,
            market.name,
            market.kind,
            market.market_class,
            market.commune_id,
            market.legacy_district_id,
            joined if market.joined else None,
            False,
            now,
        )
        for n in range(1, market.stalls + 1):
            stall_id += 1
            opened = first_day - timedelta(days=rng.randrange(0, 3650))
            _row(
                stalls,
                stall_id,
                market_id,
                f"Sạp {n}",
                f"Khu {(n - 1) // 100 + 1}",
                f"Dãy {(n - 1) // 20 + 1}",
                None,
                opened,
                None,
            )
            if rng.random() >= OCCUPIED_SHARE:
                continue
            vendor_id += 1
            display = _name(rng)
            phone = f"+8439{vendor_id:07d}"
            _row(
                vendors,
                vendor_id,
                display,
                bank_style_name(display),
                phone,
                now,
                True,
                now,
                None,
                None,
            )
            bin_ = rng.choices(bins, weights)[0]
            wallet = bin_ in data.WALLET_BINS
            number = ("0" + phone[3:]) if wallet else _account_number(rng, lengths[bin_], vendor_id)
            _row(
                accounts,
                vendor_id,
                vendor_id,
                bin_,
                number,
                False,
                bank_style_name(display),
                AccountKind.WALLET if wallet else AccountKind.BANK,
                True,
                AccountStatus.ACTIVE,
                None,
                None,
                None,
                now,
                None,
            )
            started = opened + timedelta(days=rng.randrange(0, 365))
            _row(occupancies, vendor_id, stall_id, vendor_id, started, None)
            if not market.joined:
                continue
            change_id += 1
            _row(
                changes,
                change_id,
                stall_id,
                StallStatus.NOT_ACCEPTING,
                StatusReason.IMPORTED,
                joined,
                now,
                None,
                None,
            )
            if rng.random() < ACCEPTING_SHARE:
                change_id += 1
                accepted = joined + timedelta(days=rng.randrange(1, max(2, (today - joined).days)))
                _row(
                    changes,
                    change_id,
                    stall_id,
                    StallStatus.ACCEPTING,
                    StatusReason.PLACARD_POSTED,
                    accepted,
                    now,
                    None,
                    None,
                )
                lapsed = None
                if rng.random() < 0.08 and accepted < today - timedelta(days=2):
                    change_id += 1
                    lapsed = accepted + timedelta(days=rng.randrange(1, (today - accepted).days))
                    _row(
                        changes,
                        change_id,
                        stall_id,
                        StallStatus.NOT_ACCEPTING,
                        StatusReason.PLACARD_REVOKED,
                        lapsed,
                        now,
                        None,
                        None,
                    )
                # The bank reports the months the stall accepted through (its account id
                # is the vendor's: one account each).
                for month, ends in reported_months:
                    if accepted > ends or (lapsed is not None and lapsed <= month):
                        continue
                    report_id += 1
                    received = reports_rng.random() < RECEIVED_SHARE
                    band = reports_rng.choices(bands, band_weights)[0] if received else None
                    _row(
                        reports,
                        report_id,
                        vendor_id,
                        month,
                        received,
                        band or QrCountBand.NONE,
                        ActivitySource.CSV,
                        now,
                    )
        if market_id % 500 == 0:
            logger.info("planned %d markets, %d stalls", market_id, stall_id)
    for table, columns, buffer in (
        ("markets", MARKET_COLUMNS, markets),
        ("stalls", STALL_COLUMNS, stalls),
        ("vendors", VENDOR_COLUMNS, vendors),
        ("payment_accounts", ACCOUNT_COLUMNS, accounts),
        ("occupancies", OCCUPANCY_COLUMNS, occupancies),
        ("stall_status_changes", CHANGE_COLUMNS, changes),
        ("payment_activity", REPORT_COLUMNS, reports),
    ):
        _copy(cursor, table, columns, buffer)
        buffer.close()
    for table in (
        "markets",
        "stalls",
        "vendors",
        "payment_accounts",
        "occupancies",
        "stall_status_changes",
        "payment_activity",
    ):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    return len(plan), stall_id, vendor_id, change_id, report_id


def _reported_months(today: date) -> list[tuple[date, date]]:
    """(first day, last day) of the :data:`REPORTED_MONTHS` finished months before
    ``today``'s, oldest first."""
    months = [months_before(today, count) for count in range(REPORTED_MONTHS, 0, -1)]
    return [(month, last_day_of_month(month)) for month in months]


MARKET_COLUMNS = (
    "id",
    "code",
    "name",
    "kind",
    "market_class",
    "commune_id",
    "legacy_district_id",
    "programme_joined_on",
    "mask_account_on_placards",
    "created_at",
)
STALL_COLUMNS = (
    "id",
    "market_id",
    "code",
    "zone",
    "row",
    "goods_category",
    "opened_on",
    "closed_on",
)
VENDOR_COLUMNS = (
    "id",
    "display_name",
    "bank_style_name",
    "phone_e164",
    "consent_at",
    "is_active",
    "created_at",
    "registered_by_org_id",
    "merged_into_id",
)
ACCOUNT_COLUMNS = (
    "id",
    "vendor_id",
    "bank_bin",
    "account_number",
    "is_card",
    "holder_name",
    "kind",
    "is_on_placard",
    "status",
    "registered_by_org_id",
    "partner_reference",
    "verified_at",
    "created_at",
    "closed_at",
)
OCCUPANCY_COLUMNS = ("id", "stall_id", "vendor_id", "started_on", "ended_on")
REPORT_COLUMNS = (
    "id",
    "payment_account_id",
    "month",
    "received",
    "count_band",
    "source",
    "reported_at",
)
CHANGE_COLUMNS = (
    "id",
    "stall_id",
    "status",
    "reason",
    "effective_on",
    "recorded_at",
    "recorded_by_id",
    "note",
)


def _copy(cursor, table: str, columns: tuple[str, ...], buffer: IO[str]) -> None:
    started = time.monotonic()
    names = ", ".join(f'"{column}"' for column in columns)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        buffer.seek(0)
        for chunk in iter(lambda: buffer.read(1 << 20), ""):
            copy.write(chunk)
    logger.info("copied %s in %.1f s", table, time.monotonic() - started)


def _row(buffer: IO[str], *values: object) -> None:
    """One line of COPY's text format (no value here holds a tab, newline or backslash)."""
    buffer.write("\t".join(_text(value) for value in values))
    buffer.write("\n")


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _name(rng: random.Random) -> str:
    surname = rng.choices(data.SURNAMES, data.SURNAME_WEIGHTS)[0]
    if rng.random() < 0.6:
        return f"{surname} {rng.choice(data.MIDDLE_NAMES_F)} {rng.choice(data.GIVEN_NAMES_F)}"
    return f"{surname} {rng.choice(data.MIDDLE_NAMES_M)} {rng.choice(data.GIVEN_NAMES_M)}"


def _account_number(rng: random.Random, lengths: tuple[int, ...], serial: int) -> str:
    """Random digits of one of the bank's lengths, unique by the serial in its last digits."""
    length = rng.choice(lengths)
    tail = f"{serial:08d}"
    return f"{rng.randrange(1, 10)}{''.join(rng.choices('0123456789', k=length - 9))}{tail}"

"""Bulk-import benchmark: 10,000 vendor rows validated and committed in one go.

    .venv/bin/python -m benchmarks.bench_import [--rows 10000] [--runs 3] [--format csv|xlsx]
        [--database-url postgresql://postgres@127.0.0.1:5432/test] [--two-step] [--occupied] [--check]

Target (issue 6): validate + commit 10,000 rows in at most 5 s, on SQLite and on
PostgreSQL. Each run builds a fresh database (SQLite file in a temp folder, or a
throw-away PostgreSQL database next to ``--database-url``), migrates it, adds one market
with ``--rows`` vacant stalls and an Agribank branch, then times
``import_vendors(..., dry_run=False)`` (read, validate, write, flush) plus the commit.
It then times a re-import of the same file (every row "unchanged", nothing written).
``--two-step`` times the web flow instead: a preview, then ``commit_batch``, which
validates every row again before writing. ``--occupied`` puts the vendor each row names
at its stall first, as in real markets where almost every stall is taken: every row
then adds an account to the stall's current vendor ("add_account") instead of creating
one.
File generation and set-up are not timed. The best run is reported.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

TARGET_S = 5.0
BANK_BIN = "970405"  # Agribank
SURNAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
MIDDLE = "Thị Văn Hữu Đức Minh Ngọc Thanh Bích Kim Quang Thu Xuân".split()
GIVEN = "Đào Thủy Hoa Lan Hùng Dũng Tuấn Hương Phương Nga Hải Long Sơn Yến Trang Mai Cường Lộc Ánh".split()
CATEGORIES = (
    "Rau củ",
    "Trái cây",
    "Thịt",
    "Cá, thủy hải sản",
    "Tạp hóa",
    "Ăn uống",
    "Quần áo, vải",
)
# Mobile prefixes that phonenumbers accepts (docs/domain.md, “Mobile numbers”).
PREFIXES = (
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "086",
    "088",
    "070",
    "077",
    "083",
    "085",
)
HEADER = (
    "Mã chợ",
    "Mã sạp",
    "Tên tiểu thương",
    "Số điện thoại",
    "Ngân hàng",
    "Số tài khoản / số thẻ",
    "Tên chủ tài khoản",
    "Ngành hàng",
    "Mã tham chiếu",
)


def make_rows(count: int, seed: int = 2026) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        phone = f"{PREFIXES[index % len(PREFIXES)]}{index:07d}"
        account = (
            f"{rng.choice(('1', '2', '3', '4', '5'))}{index:012d}"  # 13 digits, as Agribank issues
        )
        rows.append(
            [
                "BENCH",
                f"Sạp {index + 1}",
                name,
                phone,
                "",
                account,
                "",
                rng.choice(CATEGORIES),
                f"AGR-{index:06d}",
            ]
        )
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def as_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Tiểu thương")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fresh_database(base_url: str | None, workdir: Path) -> tuple[str, object]:
    """A new empty database URL and a function that drops it afterwards."""
    if not base_url:
        return f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}", (lambda: None)
    url = make_url(base_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"market4_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def set_up(count: int, occupants: list[list[str]] | None = None):
    """Banks, one commune, one market with ``count`` stalls, an Agribank branch and its user;
    with ``occupants`` (the file's rows) each stall gets the vendor its row names."""
    from market4.areas.models import SCHEME_2025, AdminUnit
    from market4.auth.models import Organisation, User
    from market4.banks.services import sync_banks
    from market4.extensions import db
    from market4.registry.markets import Market, Stall

    sync_banks()
    province = AdminUnit(
        scheme=SCHEME_2025, level="province", code="9990", name="Tỉnh thử", division_type="Tỉnh"
    )
    db.session.add(province)
    db.session.flush()
    commune = AdminUnit(
        scheme=SCHEME_2025,
        level="commune",
        code="99990",
        name="Xã thử",
        division_type="Xã",
        parent_id=province.id,
    )
    market = Market(code="BENCH", name="Chợ thử", commune=commune)
    org = Organisation(kind="bank_branch", name="Agribank chi nhánh thử", bank_bin=BANK_BIN)
    db.session.add_all([commune, market, org])
    db.session.flush()
    db.session.execute(
        insert(Stall), [{"market_id": market.id, "code": f"Sạp {i + 1}"} for i in range(count)]
    )
    if occupants:
        _occupy(market.id, occupants)
    user = User(email="bench@test.market4.vn", name="Bench", role="bank_partner", organisation=org)
    db.session.add(user)
    db.session.commit()
    return org.id, user.id


def _occupy(market_id: int, rows: list[list[str]]) -> None:
    """The vendor each row names, trading at the row's stall (no account yet)."""
    from market4.bulk import insert_returning_ids, insert_rows
    from market4.db import now_utc
    from market4.domain.text import bank_style_name
    from market4.extensions import db
    from market4.registry.markets import Stall
    from market4.registry.vendors import Occupancy, Vendor

    now = now_utc()
    vendor_ids = insert_returning_ids(
        Vendor,
        [
            {
                "display_name": row[2],
                "bank_style_name": bank_style_name(row[2]),
                "phone_e164": "+84" + row[3][1:],
                "consent_at": now,
                "is_active": True,
                "created_at": now,
            }
            for row in rows
        ],
    )
    stalls = dict(
        db.session.execute(select(Stall.code, Stall.id).where(Stall.market_id == market_id)).all()
    )
    insert_rows(
        Occupancy,
        [
            {"stall_id": stalls[row[1]], "vendor_id": vendor_id, "started_on": now.date()}
            for row, vendor_id in zip(rows, vendor_ids, strict=True)
        ],
    )


def run_once(
    content: bytes,
    filename: str,
    count: int,
    base_url: str | None,
    workdir: Path,
    two_step: bool = False,
    occupants: list[list[str]] | None = None,
) -> dict[str, float]:
    from market4 import create_app
    from market4.auth.models import Organisation, User
    from market4.database_setup import upgrade_schema
    from market4.extensions import db
    from market4.imports.services import commit_batch, import_vendors
    from market4.registry.vendors import Vendor

    url, drop = fresh_database(base_url, workdir)
    try:
        app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
        with app.app_context():
            upgrade_schema()
            org_id, user_id = set_up(count, occupants)
            timings = {}
            for label in ("first", "again"):
                db.session.expire_all()
                org, user = db.session.get(Organisation, org_id), db.session.get(User, user_id)
                started = time.perf_counter()
                batch = import_vendors(
                    content,
                    filename,
                    bank_bin=BANK_BIN,
                    organisation=org,
                    actor=user,
                    dry_run=two_step,
                    channel="cli",
                )
                db.session.commit()
                if (
                    two_step
                ):  # the web page: preview (one request), then "Ghi vào hệ thống" (another)
                    timings[f"{label}_preview"] = time.perf_counter() - started
                    batch = commit_batch(batch, organisation=org, actor=user, channel="web")
                    db.session.commit()
                timings[label] = time.perf_counter() - started
                expected = (
                    ("add_account" if occupants else "create") if label == "first" else "unchanged"
                )
                if batch.status != "committed" or batch.summary.get(expected) != count:
                    raise SystemExit(
                        f"unexpected result: {batch.status} {batch.summary} {batch.error}"
                    )
            vendors = db.session.scalar(select(func.count()).select_from(Vendor))
            if vendors != count:
                raise SystemExit(f"expected {count} vendors, found {vendors}")
            db.session.remove()
            db.engine.dispose()
        return timings
    finally:
        drop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server URL; default: SQLite file"
    )
    parser.add_argument(
        "--two-step",
        action="store_true",
        help="preview, then commit_batch (the web flow); reported time is both together",
    )
    parser.add_argument(
        "--occupied",
        action="store_true",
        help="each stall already has the row's vendor: rows add accounts to them",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    rows = make_rows(args.rows)
    content = as_csv(rows) if args.format == "csv" else as_xlsx(rows)
    backend = "postgresql" if args.database_url else "sqlite"
    flow = "preview + commit_batch" if args.two_step else "import_vendors(dry_run=False)"
    if args.occupied:
        flow += ", every stall occupied by the row's vendor"
    print(
        f"{args.rows:,} rows, {args.format}, {len(content) / 1024:.0f} KiB, {backend}, {flow}, "
        f"best of {args.runs}"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            timings = run_once(
                content,
                f"bench.{args.format}",
                args.rows,
                args.database_url,
                Path(tmp),
                two_step=args.two_step,
                occupants=rows if args.occupied else None,
            )
            results.append(timings)
            step = f" (preview {timings['first_preview']:.2f} s)" if args.two_step else ""
            print(
                f"  run {run + 1}: import+commit {timings['first']:.2f} s{step}, "
                f"re-import {timings['again']:.2f} s"
            )
    best = min(result["first"] for result in results)
    best_again = min(result["again"] for result in results)
    verdict = "PASS" if best <= TARGET_S else "FAIL"
    print(
        f"best: import+commit {best:.2f} s ({args.rows / best:,.0f} rows/s), re-import {best_again:.2f} s; "
        f"target {TARGET_S:.1f} s: {verdict}"
    )
    return 1 if args.check and verdict == "FAIL" else 0


if __name__ == "__main__":
    sys.exit(main())

"""Acceptance figures at national scale: one commune, one province, the whole country.

    MARKET4_DATABASE_URL=postgresql://…/national .venv/bin/python -m benchmarks.bench_national_figures [--runs 3] [--baseline GIT_REF]

Needs a database built by ``market4 demo national`` (about 11,000 markets and 2,000,000
stalls). Targets (issue 12): a commune ≤ 50 ms, a province ≤ 200 ms, the country ≤ 1 s
(p95 of the dashboard; here the median of ``--runs`` calls of ``acceptance_figures``, the
query the dashboard, the API and ``market4 stats`` share), the 52-week trend
(``weekly_trend``), the dashboard's bank chart (``bank_breakdown``), "paid by QR" in
the reference month (``paid_by_qr``) and its monthly trend over the weekly chart's half
year (``monthly_trend``) within the same budgets; then the whole dashboard page (``GET /tong-quan/``, through the app's test
client: the server's work without the network), signed in as an admin it adds once
(``bench-admin@national.invalid``). Nothing else is written.
``--baseline`` first runs the same measurement with the code of GIT_REF (``git archive``)
in a separate process, against the same database, and prints the ratios.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import func, select

from market4 import create_app
from market4.areas.models import SCHEME_2025, AdminUnit
from market4.dashboard.activity import monthly_trend, paid_by_qr
from market4.dashboard.breakdown import bank_breakdown
from market4.dashboard.queries import acceptance_figures
from market4.dashboard.trends import weekly_trend
from market4.extensions import db
from market4.registry.markets import Market
from market4.registry.scope import restrict_markets_to_area

TARGETS_MS = {"commune": 50, "province": 200, "country": 1000}
WEEKS = 52


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", metavar="GIT_REF")
    args = parser.parse_args(argv)
    before = _baseline(args.baseline, args.runs) if args.baseline else {}
    app = create_app(
        {"ENV_NAME": "development", "DATABASE_URL": os.environ["MARKET4_DATABASE_URL"]}
    )
    with app.app_context():
        markets = db.session.scalar(select(func.count()).select_from(Market))
        commune = db.session.scalar(
            select(AdminUnit)
            .join(Market, Market.commune_id == AdminUnit.id)
            .group_by(AdminUnit.id)
            .order_by(func.count().desc())
            .limit(1)
        )
        province = db.session.scalar(
            select(AdminUnit).where(
                AdminUnit.scheme == SCHEME_2025, AdminUnit.id == commune.parent_id
            )
        )
        print(f"load average {os.getloadavg()[0]:.2f}; {markets:,} markets in the database")
        today = date.today()
        client = _signed_in_client(app)
        pages = {
            "commune": f"/tong-quan/?vung={province.id}&xa={commune.id}",
            "province": f"/tong-quan/?vung={province.id}",
            "country": "/tong-quan/",
        }
        for label, area in (("commune", commune), ("province", province), ("country", None)):
            name = area.full_name if area else "Toàn quốc"
            markets_query = restrict_markets_to_area(select(Market), area)
            # What the monthly trend is given by the page: the headline's totals and the
            # reference month.
            headline = acceptance_figures(area=area)
            reference = paid_by_qr(markets_query, on=today).month
            db.session.rollback()
            months = partial(
                monthly_trend,
                markets_query,
                since=today - timedelta(weeks=26),
                until_month=reference,
                totals_on=(today, headline.stalls_total, headline.stalls_accepting),
            )
            measured = (
                (label, partial(acceptance_figures, area=area)),
                (f"{label}-trend", partial(weekly_trend, markets_query, today, WEEKS)),
                (f"{label}-banks", partial(bank_breakdown, markets_query, today)),
                (f"{label}-paid", partial(paid_by_qr, markets_query, on=today)),
                (f"{label}-months", months if reference else list),
                (f"{label}-page", partial(_get, client, pages[label])),
            )
            for key, call in measured:
                times = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    result = call()
                    times.append(time.perf_counter() - start)
                    db.session.rollback()
                median = statistics.median(times) * 1000
                target = TARGETS_MS[label]
                verdict = "PASS" if median <= target else "FAIL"
                ratio = f"  {before[key] / median:5.1f}x {args.baseline}" if key in before else ""
                if key == label:
                    size = f"{result.markets_total:>6,} markets {result.stalls_total:>10,} stalls"
                elif key.endswith("-page"):
                    size = f"{result // 1024:>6,} KB page{'':>17}"
                elif key.endswith("-trend"):
                    size = f"{len(result):>6} weekly points{'':>13}"
                elif key.endswith("-paid"):
                    size = f"{result.stalls_paid or 0:>6,} paid by QR{'':>16}"
                elif key.endswith("-months"):
                    size = f"{len(result):>6} monthly points{'':>12}"
                else:
                    size = f"{len(result):>6} banks{'':>21}"
                print(
                    f"  {key:<15} {name:<36} {size}  {median:9.0f} ms  "
                    f"(target {target} ms) {verdict}{ratio}"
                )
    return 0


BENCH_ADMIN = "bench-admin@national.invalid"


def _signed_in_client(app):
    """A test client with an admin's session (the admin is created on the first run)."""
    from market4.auth import services as auth_services
    from market4.auth import sessions
    from market4.auth.models import User

    admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN))
    if admin is None:
        admin = auth_services.create_user(
            email=BENCH_ADMIN, name="Benchmark", role="admin", password=secrets.token_hex(16)
        )
    _, secret = sessions.start(admin, remote_addr="127.0.0.1", user_agent="benchmark")
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = str(admin.id), True
        cookie[sessions.SECRET_NAME] = secret
    return client


def _get(client, path: str) -> int:
    """GET ``path``; the size of the page."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(response.get_data())


def _baseline(ref: str, runs: int) -> dict[str, float]:
    """Median ms per level with the code of ``ref``, run in its own process."""
    root = Path(__file__).resolve().parent.parent
    folder = Path(tempfile.mkdtemp(prefix="market4-baseline-"))
    try:
        archive = subprocess.run(["git", "archive", ref], cwd=root, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
        script = root / "benchmarks" / "bench_national_figures.py"
        done = subprocess.run(
            [sys.executable, str(script), "--runs", str(runs)],
            env={**os.environ, "PYTHONPATH": str(folder)},
            cwd=folder,
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"baseline {ref}:")
    print("\n".join("  " + line for line in done.stdout.splitlines()))
    return {
        match.group(1): float(match.group(2))
        for match in re.finditer(
            r"^\s+((?:commune|province|country)(?:-trend|-banks|-paid|-months|-page)?) "
            r".*?(\d+) ms  \(target",
            done.stdout,
            re.M,
        )
    }


if __name__ == "__main__":
    sys.exit(main())

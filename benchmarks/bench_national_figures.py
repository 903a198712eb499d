"""Acceptance figures at national scale: one commune, one province, the whole country.

    MARKET4_DATABASE_URL=postgresql://…/national .venv/bin/python -m benchmarks.bench_national_figures [--runs 3] [--baseline GIT_REF]

Needs a database built by ``market4 demo national`` (about 11,000 markets and 2,000,000
stalls). Targets (issue 12): a commune ≤ 50 ms, a province ≤ 200 ms, the country ≤ 1 s
(p95 of the dashboard; here the median of ``--runs`` calls of ``acceptance_figures``, the
query the dashboard, the API and ``market4 stats`` share), the 52-week trend
(``weekly_trend``) and the dashboard's bank chart (``bank_breakdown``) within the same
budgets. It reads only.
``--baseline`` first runs the same measurement with the code of GIT_REF (``git archive``)
in a separate process, against the same database, and prints the ratios.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from functools import partial
from pathlib import Path

from sqlalchemy import func, select

from market4 import create_app
from market4.areas.models import SCHEME_2025, AdminUnit
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
        for label, area in (("commune", commune), ("province", province), ("country", None)):
            name = area.full_name if area else "Toàn quốc"
            markets_query = restrict_markets_to_area(select(Market), area)
            measured = (
                (label, partial(acceptance_figures, area=area)),
                (f"{label}-trend", partial(weekly_trend, markets_query, today, WEEKS)),
                (f"{label}-banks", partial(bank_breakdown, markets_query, today)),
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
                elif key.endswith("-trend"):
                    size = f"{len(result):>6} weekly points{'':>13}"
                else:
                    size = f"{len(result):>6} banks{'':>21}"
                print(
                    f"  {key:<14} {name:<36} {size}  {median:9.0f} ms  "
                    f"(target {target} ms) {verdict}{ratio}"
                )
    return 0


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
            r"^\s+((?:commune|province|country)(?:-trend|-banks)?) .*?(\d+) ms  \(target",
            done.stdout,
            re.M,
        )
    }


if __name__ == "__main__":
    sys.exit(main())

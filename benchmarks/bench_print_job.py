"""Big print runs: a print job (market by market, to disk) against one print run in memory.

    market4 demo national --scale 0.06        # into an empty PostgreSQL database first
    MARKET4_DATABASE_URL=postgresql://…/national \\
        .venv/bin/python -m benchmarks.bench_print_job [--baseline-stalls 10000] [--check]

Target (issue 12): printing a province (100,000+ placards) keeps the process under
250 MB, whatever the size. At ``--scale 0.06`` the synthetic country is 660 markets,
~124,000 stalls and ~111,600 placard accounts: a large province.

Each measurement runs in a fresh process (its peak RSS is the figure) and re-issues the
placard of every stall with a placard account (``include_current``), so the database
state left by an earlier run does not change what is printed:

1. **baseline**: the first markets (by name) up to ``--baseline-stalls`` stalls, printed
   the way ``market4 placards render --all`` prints, as ONE ``print_stalls`` run whose
   PDF is built in memory; rolled back, so it leaves nothing behind;
2. **job, same markets**: the same markets as a print job (``placards.jobs``), inline;
3. **job, every market**: the whole data set as one job.

The ratio that leads is the baseline's peak RSS over the job's on the same markets;
the whole-country job shows the memory does not grow with the job.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RSS_MB = 250.0
TARGET_PLACARDS = 100_000

CHILD = """
import json, resource, sys, time
from sqlalchemy import func, select
from market4 import create_app
from market4.extensions import db
from market4.placards import jobs, printing
from market4.registry.markets import Market, Stall

url, mode, limit, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
app = create_app({"ENV_NAME": "development", "DATABASE_URL": url, "PRINT_JOBS_DIR": folder})
with app.app_context():
    markets = jobs.markets_in_order(select(Market))
    if limit:
        sizes = dict(db.session.execute(
            select(Stall.market_id, func.count(Stall.id)).group_by(Stall.market_id)
        ).all())
        chosen, total = [], 0
        for market in markets:
            if total >= limit:
                break
            chosen.append(market)
            total += sizes.get(market.id, 0)
        markets = chosen
    started = time.perf_counter()
    if mode == "baseline":
        ids = [market.id for market in markets]
        stalls = list(db.session.scalars(select(Stall).where(Stall.market_id.in_(ids))))
        result = printing.print_stalls(
            stalls, actor=None, channel="cli", group_by_market=True,
            only_outdated=False, supersede_posted=True,
        )
        placards, size = len(result.placards), len(result.pdf)
        db.session.rollback()
    else:
        job = jobs.create_job(markets, actor=None, title="bench", include_current=True)
        db.session.commit()
        job = jobs.run(job.id)
        placards, size = job.placards, jobs.zip_path(job).stat().st_size
        assert job.status == "done", job.status
    seconds = time.perf_counter() - started
    print(json.dumps({
        "markets": len(markets), "placards": placards, "seconds": seconds,
        "mb": size / 1e6, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
"""


def measure(url: str, mode: str, limit: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="market4-print-jobs-") as folder:
        output = subprocess.run(
            [sys.executable, "-c", CHILD, url, mode, str(limit), folder],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("MARKET4_DATABASE_URL"))
    parser.add_argument("--baseline-stalls", type=int, default=10_000)
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgresql"):
        parser.error("needs MARKET4_DATABASE_URL (or --database-url) of a national demo database")

    rows = [
        (
            "baseline: one run in memory",
            measure(args.database_url, "baseline", args.baseline_stalls),
        ),
        ("job: the same markets", measure(args.database_url, "job", args.baseline_stalls)),
        ("job: every market", measure(args.database_url, "job", 0)),
    ]
    print(
        f"{'':<30} {'markets':>8} {'placards':>9} {'seconds':>8} {'placards/s':>10} "
        f"{'output MB':>9} {'peak RSS MB':>11}"
    )
    for label, row in rows:
        rate = row["placards"] / row["seconds"] if row["seconds"] else 0
        print(
            f"{label:<30} {row['markets']:>8,} {row['placards']:>9,} {row['seconds']:>8.1f} "
            f"{rate:>10,.0f} {row['mb']:>9.1f} {row['rss_mb']:>11.0f}"
        )
    baseline, same, whole = (row for _, row in rows)
    print(
        f"\npeak RSS, baseline / job on the same {same['placards']:,} placards: "
        f"{baseline['rss_mb'] / same['rss_mb']:.1f}x"
    )
    print(
        f"peak RSS, job on {whole['placards']:,} placards / job on {same['placards']:,}: "
        f"{whole['rss_mb'] / same['rss_mb']:.2f}x (flat memory: close to 1)"
    )
    print(
        f"throughput, job / baseline: "
        f"{(same['placards'] / same['seconds']) / (baseline['placards'] / baseline['seconds']):.2f}x"
    )
    passed = whole["rss_mb"] < TARGET_RSS_MB and whole["placards"] >= TARGET_PLACARDS
    print(
        f"{'PASS' if passed else 'FAIL'}: {whole['placards']:,} placards "
        f"(target ≥ {TARGET_PLACARDS:,}) in {whole['rss_mb']:.0f} MB (target < {TARGET_RSS_MB:.0f})"
    )
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    raise SystemExit(main())

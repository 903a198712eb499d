"""The market page with a thousand stalls: server time and size, against another version.

    .venv/bin/python -m benchmarks.bench_market_page [--baseline GIT_REF] [--stalls 1000] [--runs 7]

Target (issue 12): the market page ≤ 150 ms of server time with 1,000 stalls in the
market. Steps: build the demo district in a throw-away SQLite file, grow its biggest
market (CD-NGAIGIAO, 260 stalls) to ``--stalls`` with vacant stalls in new zones and
rows, then, in a fresh process per version of the code, sign the admin in and time
``GET /cho/CD-NGAIGIAO`` (and its placard page ``/bang-ma/cho/CD-NGAIGIAO``) through the app (Flask's test client: the server's work without
the network), median of ``--runs`` after one warm-up. ``--baseline`` runs the code of
GIT_REF (from ``git archive``) on the same database in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKET = "CD-NGAIGIAO"
TARGET_MS = 150.0

CHILD = """
import json, statistics, sys, time
from sqlalchemy import select
from market4 import create_app
from market4.auth import sessions
from market4.auth.models import User
from market4.extensions import db

url, runs, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
app = create_app({"ENV_NAME": "development", "DATABASE_URL": url})
client = app.test_client()
with app.app_context():
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.market4.vn"))
    _, secret = sessions.start(admin, remote_addr="127.0.0.1", user_agent="bench")
    db.session.commit()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = str(admin.id), True
        cookie[sessions.SECRET_NAME] = secret
result = {}
for path in paths:
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path).close()
        times.append(time.perf_counter() - start)
    result[path] = {"ms": statistics.median(times) * 1000, "bytes": len(first.get_data())}
print(json.dumps(result))
"""


def build_database(folder: Path, stalls: int) -> str:
    url = f"sqlite:///{folder / 'market.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET4_")}
    env.update(MARKET4_ENV="development", MARKET4_DATABASE_URL=url)
    subprocess.run(
        [str(Path(sys.executable).parent / "market4"), "setup", "--demo-if-empty"],
        env=env,
        check=True,
        capture_output=True,
    )
    grow = f"""
import datetime
from sqlalchemy import func, select
from market4 import create_app
from market4.extensions import db
from market4.registry.markets import Market, Stall
app = create_app({{"ENV_NAME": "development", "DATABASE_URL": {url!r}}})
with app.app_context():
    market = db.session.scalar(select(Market).where(Market.code == {MARKET!r}))
    have = db.session.scalar(select(func.count()).where(Stall.market_id == market.id))
    for n in range({stalls} - have):
        db.session.add(Stall(market=market, code=f"Sạp M{{n + 1}}", zone=f"Khu mới {{n // 200 + 1}}",
                             row=f"Dãy {{n // 20 + 1}}", opened_on=datetime.date(2026, 1, 1)))
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", grow], env=env, check=True, capture_output=True)
    return url


def measure(root: Path, url: str, runs: int, paths: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET4_")}
    if root != ROOT:
        env["PYTHONPATH"] = str(root)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(runs), *paths],
        env=env,
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def export_tree(ref: str, folder: Path) -> Path:
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True)
    target = folder / "baseline"
    target.mkdir()
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="GIT_REF")
    parser.add_argument("--stalls", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    paths = [
        f"/cho/{MARKET}",
        f"/cho/{MARKET}?status=not_accepting",
        f"/bang-ma/cho/{MARKET}",
        f"/cho/{MARKET}?status=reprint",
        f"/cho/{MARKET}?status=visit",
    ]
    folder = Path(tempfile.mkdtemp(prefix="market4-market-page-"))
    try:
        url = build_database(folder, args.stalls)
        print(f"load average {os.getloadavg()[0]:.2f}; {MARKET} grown to {args.stalls} stalls")
        versions = [("current", ROOT)]
        if args.baseline:
            versions.insert(0, (args.baseline, export_tree(args.baseline, folder)))
        results = {name: measure(root, url, args.runs, paths) for name, root in versions}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for name, result in results.items():
        for path, figures in result.items():
            print(f"  {name:<10} {path:<42} {figures['ms']:7.1f} ms  {figures['bytes']:>9,} bytes")
    current = max(results["current"][path]["ms"] for path in paths if path.startswith("/cho/"))
    if args.baseline:
        before = results[args.baseline][paths[0]]["ms"]
        after = results["current"][paths[0]]["ms"]
        print(f"market page: {before / after:.1f}x faster than {args.baseline}")
        placards = results[args.baseline][paths[2]]["ms"] / results["current"][paths[2]]["ms"]
        print(f"placard page: {placards:.1f}x faster than {args.baseline}")
    verdict = "PASS" if current <= TARGET_MS else "FAIL"
    print(
        f"market page with {args.stalls} stalls, slowest filter: {current:.0f} ms "
        f"(target <= {TARGET_MS:.0f}) {verdict}"
    )
    return 1 if args.check and current > TARGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())

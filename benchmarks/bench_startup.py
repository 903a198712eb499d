"""Start-up: how long ``market4 --help``, a worker's ``create_app()`` and a command take.

    .venv/bin/python -m benchmarks.bench_startup [--runs 7] [--check]

Target (issue 12): ``market4 --help`` within 1.5x of ``python -c "import flask,
sqlalchemy"``, the least any Flask and SQLAlchemy program pays. Each figure is the median
of ``--runs`` fresh processes, interleaved so that a busy moment hits them all alike.

Measured, each as a new process:

- **baseline**: ``python -c "import flask, sqlalchemy"``;
- **help**: the ``market4`` console script with ``--help``;
- **help, as before**: Flask's own command group over the same factory, which builds the
  app to list its commands, with Flask-Migrate and openpyxl imported first as the app
  did before they became lazy: what ``market4 --help`` cost until this change;
- **create_app**: what a web worker pays at boot, and **as before** with Flask-Migrate
  and openpyxl imported first, as the app did until they became lazy;
- **stats**: ``market4 stats`` on a small SQLite database (builds the app, one query).

Compiled bytecode is kept in a temporary folder (``PYTHONPYCACHEPREFIX``) and warmed by
one unmeasured round, so the figures are those of an installed package, not of
compiling the sources on each start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.5
BIN = Path(sys.executable).parent

BEFORE = (
    "import flask_migrate, openpyxl\n"
    "from flask.cli import FlaskGroup\n"
    "from market4 import create_app\n"
    "FlaskGroup(create_app=lambda: create_app(), load_dotenv=False)"
    ".main(args=['--help'], prog_name='market4', standalone_mode=False)\n"
)


def commands(workdir: Path) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "baseline": [python, "-c", "import flask, sqlalchemy"],
        "help": [str(BIN / "market4"), "--help"],
        "help, as before": [python, "-c", BEFORE],
        "create_app": [python, "-c", "from market4 import create_app; create_app()"],
        "create_app, as before": [
            python,
            "-c",
            "import flask_migrate, openpyxl\nfrom market4 import create_app\ncreate_app()",
        ],
        "stats": [str(BIN / "market4"), "stats"],
    }


def environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET4_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONPYCACHEPREFIX=str(workdir / "pycache"),
        MARKET4_ENV="development",
        MARKET4_DATABASE_URL=f"sqlite:///{workdir / 'startup.db'}",
    )
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        env = environment(workdir)
        subprocess.run(
            [str(BIN / "market4"), "setup"], env=env, cwd=workdir, check=True, capture_output=True
        )
        runs = commands(workdir)
        for command in runs.values():  # warm the bytecode cache and the file system
            timed(command, env, workdir)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.runs):
            for name, command in runs.items():
                times[name].append(timed(command, env, workdir))
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["baseline"]
    print(f"median of {args.runs} fresh processes each, interleaved")
    for name, value in medians.items():
        print(f"  {name:<22} {value * 1000:7.0f} ms   {value / base:5.2f}x baseline")
    ratio = medians["help"] / base
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(
        f"market4 --help: {ratio:.2f}x the Flask+SQLAlchemy import (target <= {TARGET_RATIO}x) {verdict}"
    )
    print(f"help before this change: {medians['help, as before'] / medians['help']:.1f}x slower")
    boot = medians["create_app, as before"] / medians["create_app"]
    print(f"create_app before this change: {boot:.2f}x slower")
    return 1 if args.check and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())

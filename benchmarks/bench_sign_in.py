"""Sign-in timing: does a wrong password take as long for an unknown e-mail as for a known one?

    .venv/bin/python -m benchmarks.bench_sign_in [--rounds 40] [--check]

Target (issue 10, ASVS 2.2 / user enumeration): the median time of a failed sign-in for an
unknown e-mail, a known e-mail and a deactivated account within 1.25x of each other.

In one process, against a throw-away SQLite database: the same three kinds of failed
sign-in through the real sign-in page (``POST /dang-nhap``), interleaved, each from its
own address with the throttle counters cleared between attempts (the throttle would
otherwise answer early and measure itself). Two runs in the same process: the shipped
code, and as baseline the code before this change, which skipped the hash check when
there was no user (``services._verify`` replaced by the old short-circuit).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete
from werkzeug.security import check_password_hash

from market4 import create_app
from market4.auth import services
from market4.auth.models import LoginThrottle, Organisation, User
from market4.extensions import db

TARGET_RATIO = 1.25
KNOWN, INACTIVE, UNKNOWN = "lan@example.vn", "khoa@example.vn", "nobody@example.vn"


def old_verify(password_hash: str | None, password: str) -> bool:
    """Before: no hash, no check — an unknown e-mail answered ten times faster."""
    return password_hash is not None and check_password_hash(password_hash, password)


def measure(app, rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {KNOWN: [], INACTIVE: [], UNKNOWN: []}
    client = app.test_client()
    for n in range(rounds):
        for email in times:
            with app.app_context():
                db.session.execute(delete(LoginThrottle))
                db.session.commit()
            client.environ_base["REMOTE_ADDR"] = f"10.{n // 250}.{n % 250}.{len(email)}"
            started = time.perf_counter()
            response = client.post("/dang-nhap", data={"email": email, "password": "wrong one"})
            times[email].append(time.perf_counter() - started)
            assert response.status_code == 401, response.status_code
    return {email: statistics.median(values) * 1000 for email, values in times.items()}


def report(label: str, medians: dict[str, float]) -> float:
    ratio = max(medians.values()) / min(medians.values())
    print(
        f"{label:<10} known {medians[KNOWN]:7.1f} ms  deactivated {medians[INACTIVE]:7.1f} ms  "
        f"unknown {medians[UNKNOWN]:7.1f} ms  slowest/fastest {ratio:5.2f}x"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            from market4.database_setup import upgrade_schema

            upgrade_schema()
            operator = Organisation(kind="operator", name="Vận hành")
            db.session.add(operator)
            db.session.flush()
            for email in (KNOWN, INACTIVE):
                services.create_user(
                    email=email,
                    name=email,
                    role="admin",
                    password="the real password",
                    organisation=operator,
                )
            db.session.flush()
            db.session.query(User).filter_by(email=INACTIVE).update({"is_active": False})
            db.session.commit()
        measure(app, 3)  # warm-up
        shipped = measure(app, args.rounds)
        real: Callable = services._verify
        services._verify = old_verify
        try:
            before = measure(app, args.rounds)
        finally:
            services._verify = real
        with app.app_context():
            db.engine.dispose()
    print(f"median of {args.rounds} failed sign-ins each (POST /dang-nhap, in process)")
    baseline_ratio = report("before", before)
    ratio = report("now", shipped)
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(
        f"{verdict}: slowest/fastest {ratio:.2f}x (target <= {TARGET_RATIO}x; "
        f"before this change {baseline_ratio:.1f}x)"
    )
    return 1 if args.check and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    raise SystemExit(main())

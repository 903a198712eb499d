"""A page deep inside the biggest bank's vendors, at national scale: keyset against offset.

    MARKET4_DATABASE_URL=postgresql://…/national .venv/bin/python -m benchmarks.bench_national_api [--requests 50]

Needs a database built by ``market4 demo national`` (Agribank holds about a third of
1.9 million vendors there). Target (issue 12): p99 under 50 ms for a page deep inside a
bank of more than 100,000 vendors. Through the app in one process (Flask's test client,
the server's work without the network), cache and rate limit off: the middle page by
keyset (``after=``) and, as the baseline in the same run, the same depth by offset
(``page=``, the only way before). Adds one partner user and token the first time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from sqlalchemy import func, select

from market4 import create_app
from market4.api import tokens
from market4.api.models import ApiToken
from market4.auth.models import Organisation, User
from market4.extensions import db
from market4.registry.vendors import PaymentAccount

BANK_BIN = "970405"  # Agribank
EMAIL = "bench-agribank@example.vn"
TARGET_P99_MS = 50.0


def partner_secret() -> str:
    user = db.session.scalar(select(User).where(User.email == EMAIL))
    if user is None:
        organisation = Organisation(kind="bank_branch", name="Bench Agribank", bank_bin=BANK_BIN)
        user = User(email=EMAIL, name="Bench", role="bank_partner", organisation=organisation)
        db.session.add_all([organisation, user])
        db.session.flush()
    live = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    for token in db.session.scalars(live):  # a user may hold only a few: start afresh
        tokens.revoke_token(token, actor=None)
    return tokens.create_token(user, f"bench {time.time():.0f}", actor=None, channel="cli").secret


def timed(client, url: str, headers: dict[str, str], count: int) -> list[float]:
    assert client.get(url, headers=headers).status_code == 200, url
    times = []
    for _ in range(count):
        start = time.perf_counter()
        client.get(url, headers=headers).close()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)
    app = create_app(
        {
            "ENV_NAME": "development",
            "DATABASE_URL": os.environ["MARKET4_DATABASE_URL"],
            "API_READ_CACHE_SECONDS": 0,
            "API_RATE_LIMIT_PER_MINUTE": 0,
        }
    )
    with app.app_context():
        secret = partner_secret()
        count = db.session.scalar(
            select(func.count())
            .select_from(PaymentAccount)
            .where(PaymentAccount.bank_bin == BANK_BIN)
        )
        middle = db.session.scalar(
            select(PaymentAccount.vendor_id)
            .where(PaymentAccount.bank_bin == BANK_BIN)
            .order_by(PaymentAccount.vendor_id.desc())
            .offset(count // 2)
            .limit(1)
        )
        db.session.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {secret}"}
    page = count // 2 // 50 + 1
    print(
        f"load average {os.getloadavg()[0]:.2f}; {count:,} vendors at {BANK_BIN}, middle page {page:,}"
    )
    results = {}
    for label, url in (
        ("offset (before)", f"/api/v1/vendors?page={page}"),
        ("keyset", f"/api/v1/vendors?after={middle}"),
    ):
        times = timed(client, url, headers, args.requests)
        p99 = times[min(len(times) - 1, round(len(times) * 0.99) - 1)]
        results[label] = (statistics.median(times), p99)
        print(f"  {label:<16} {url:<40} p50 {results[label][0]:7.1f} ms  p99 {p99:7.1f} ms")
    ratio = results["offset (before)"][1] / results["keyset"][1]
    verdict = "PASS" if results["keyset"][1] < TARGET_P99_MS else "FAIL"
    print(
        f"keyset p99 {results['keyset'][1]:.1f} ms, {ratio:.0f}x the offset page's (target < 50 ms) {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rate limits and cached API answers shared by every worker through Redis.

Needs MARKET4_TEST_REDIS_URL (CI: redis://127.0.0.1:6379/0 with --require-redis); each
test writes under a key prefix of its own.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from market4 import create_app
from market4.api import tokens
from market4.banks.services import sync_banks
from market4.database_setup import upgrade_schema
from market4.extensions import db
from market4.shared_state import RateLimit, RateLimitedError
from tests import factories


def test_two_workers_share_one_count(redis_settings):
    """Two processes each build their own limiter; Redis holds the one count."""
    options = {"key_prefix": f"{redis_settings['REDIS_KEY_PREFIX']}:limits"}
    first, second = (
        RateLimit(
            3,
            namespace="api-token",
            storage_uri=redis_settings["REDIS_URL"],
            storage_options=options,
        )
        for _ in range(2)
    )
    first.hit(7)
    second.hit(7)
    first.hit(7)
    with pytest.raises(RateLimitedError) as refused:
        second.hit(7)
    assert 1 <= refused.value.retry_after <= 60
    second.hit(8)  # another token counts on its own


def test_the_api_limit_holds_in_redis(app, client, partner, redis_settings):
    app.config.update(redis_settings, API_RATE_LIMIT_PER_MINUTE=3)
    statuses = [
        client.get("/api/v1/markets", headers=partner.headers).status_code for _ in range(3)
    ]
    # A worker started afresh (its own limiter object) still sees the three requests.
    app.extensions.pop("market4-rate-limit-api-token")
    response = client.get("/api/v1/markets", headers=partner.headers)
    assert statuses + [response.status_code] == [200, 200, 200, 429]
    assert response.get_json(force=True)["type"].endswith("/rate_limited")


def test_a_cached_answer_serves_every_worker(app, client, partner, redis_settings):
    app.config.update(redis_settings, API_READ_CACHE_SECONDS=30)
    first = client.get("/api/v1/markets", headers=partner.headers)
    app.extensions.pop("market4-cache-api-read")  # as if another worker answered next
    again = client.get("/api/v1/markets", headers=partner.headers)
    assert (first.headers["X-Cache"], again.headers["X-Cache"]) == ("miss", "hit")
    assert again.get_json() == first.get_json()


def test_redis_out_of_reach_neither_limits_nor_fails(app, client, partner):
    """Port 9 (discard) refuses: requests go on, unlimited and uncached, and are logged."""
    app.config.update(
        REDIS_URL="redis://127.0.0.1:9/0", API_RATE_LIMIT_PER_MINUTE=1, API_READ_CACHE_SECONDS=30
    )
    statuses = [
        client.get("/api/v1/markets", headers=partner.headers).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 200]


# --- two gunicorn workers ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _partner_secret(database_url: str) -> str:
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": database_url})
    with app.app_context():
        upgrade_schema()
        sync_banks()
        user = factories.user("bank_partner", factories.organisation(bank_bin=factories.VCB))
        secret = tokens.create_token(user, "test", actor=None, channel="cli").secret
        db.session.commit()
        db.engine.dispose()
    return secret


def test_the_limit_holds_across_two_gunicorn_workers(tmp_path: Path, redis_settings):
    limit = 10
    database_url = f"sqlite:///{tmp_path / 'workers.db'}"
    secret = _partner_secret(database_url)
    port, access_log, error_log = _free_port(), tmp_path / "access.log", tmp_path / "error.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET4_")}
    env.update(
        MARKET4_ENV="development",
        MARKET4_DATABASE_URL=database_url,
        MARKET4_REDIS_URL=redis_settings["REDIS_URL"],
        MARKET4_REDIS_KEY_PREFIX=redis_settings["REDIS_KEY_PREFIX"],
        MARKET4_API_RATE_LIMIT_PER_MINUTE=str(limit),
        MARKET4_API_READ_CACHE_SECONDS="0",
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            f"--access-logfile={access_log}",
            f"--error-logfile={error_log}",
            "--access-logformat=%(p)s %(s)s",
            "wsgi:app",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        first = _get(port, secret)  # waits for the boot; counted like any other
        # Four at a time: a sync worker busy with one request leaves the next to the
        # other, so both answer (one after another, the same one may win every accept).
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = [first, *pool.map(lambda _: _get(port, secret), range(3 * limit - 1))]
    finally:
        server.terminate()
        server.wait(timeout=30)
    served_by = {
        pid for pid, status in re.findall(r"<(\d+)> (\d+)", access_log.read_text()) if status
    }
    assert len(served_by) == 2, "both workers must answer for the test to mean anything: " + (
        error_log.read_text() if error_log.exists() else "no error log"
    )
    assert statuses[0] == 200 and statuses.count(200) == limit
    assert statuses.count(429) == 2 * limit


def _get(port: int, secret: str) -> int:
    """One request on a fresh connection, so the two workers take turns; waits for boot."""
    deadline = time.monotonic() + 60
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request(
                "GET", "/api/v1/markets", headers={"Authorization": f"Bearer {secret}"}
            )
            return connection.getresponse().status
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            connection.close()

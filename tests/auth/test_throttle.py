"""Login throttling: guessing slows down, the owner on a known device is never locked
out, parallel guesses are counted one by one, and /mat-khau is throttled too."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.pool import NullPool

from market4 import create_app
from market4.auth import services, throttle
from market4.auth.models import LoginAttempt, LoginThrottle, Organisation, User
from market4.extensions import db

PASSWORD = "correct horse battery"
EMAIL = "lan@example.vn"


@pytest.fixture
def user(make_admin):
    return make_admin(EMAIL, "Lan", PASSWORD)


def browser(app, address="127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, password, email=EMAIL):
    return client.post("/dang-nhap", data={"email": email, "password": password})


def wait_out(session):
    """Let every delay pass, as if the minutes had gone by."""
    session.execute(update(LoginThrottle).values(next_allowed_at=None))
    session.commit()


def test_five_wrong_guesses_hold_the_pair_back_for_a_minute(app, user, session):
    client = browser(app)
    for _ in range(throttle.THRESHOLDS["pair"]):
        assert attempt(client, "nope").status_code == 401
    refused = attempt(client, PASSWORD)  # even the right password waits
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "thử lại sau 1 phút" in refused.get_data(as_text=True)
    assert session.scalar(select(LoginAttempt.id).where(LoginAttempt.succeeded)) is None
    wait_out(session)
    assert attempt(client, PASSWORD).status_code == 302  # a delay, not a lock


def test_the_delay_doubles_with_each_further_failure_up_to_fifteen_minutes():
    threshold = throttle.THRESHOLDS["pair"]
    delays = [throttle.delay_after(threshold + n, threshold) for n in range(8)]
    assert throttle.delay_after(threshold - 1, threshold) is None
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(delays) == timedelta(minutes=15)


def test_guesses_from_elsewhere_never_keep_the_owner_out_of_a_known_device(app, user, session):
    owner = browser(app, "10.0.0.1")
    assert attempt(owner, PASSWORD).status_code == 302  # the phone becomes a known device
    owner.post("/dang-xuat")
    # An attacker spreads guesses over many addresses until the account itself is held.
    for n in range(throttle.THRESHOLDS["account"] + 2):
        attempt(browser(app, f"203.0.113.{n}"), "guess")
    assert attempt(browser(app, "203.0.113.200"), PASSWORD).status_code == 429
    assert attempt(browser(app, "10.0.0.2"), PASSWORD).status_code == 429  # new browser
    assert attempt(owner, PASSWORD).status_code == 302


def test_a_known_device_cookie_still_only_buys_a_few_guesses(app, user):
    stolen = browser(app)
    assert attempt(stolen, PASSWORD).status_code == 302
    stolen.post("/dang-xuat")
    for _ in range(throttle.THRESHOLDS["device"]):
        assert attempt(stolen, "guess").status_code == 401
    assert attempt(stolen, "guess").status_code == 429


def test_one_address_trying_many_accounts_is_held_back(app, user):
    client = browser(app, "198.51.100.9")
    for n in range(throttle.THRESHOLDS["address"]):
        assert attempt(client, "x", email=f"user{n}@example.vn").status_code == 401
    assert attempt(client, "x", email="one-more@example.vn").status_code == 429
    assert attempt(browser(app, "198.51.100.10"), PASSWORD).status_code == 302


def test_the_password_change_is_throttled_too(app, user, session):
    client = browser(app)
    assert attempt(client, PASSWORD).status_code == 302
    wrong = {"current_password": "nope", "new_password": "x" * 12, "confirm": "x" * 12}
    for _ in range(throttle.THRESHOLDS["password"]):
        assert "Mật khẩu hiện tại không đúng" in client.post("/mat-khau", data=wrong).get_data(
            as_text=True
        )
    held = client.post("/mat-khau", data={**wrong, "current_password": PASSWORD})
    assert held.status_code == 429 and "Retry-After" in held.headers
    wait_out(session)
    changed = client.post("/mat-khau", data={**wrong, "current_password": PASSWORD})
    assert changed.status_code == 302


def test_unknown_and_known_emails_cost_one_hash_check_each(app, user, session, monkeypatch):
    """No timing difference: a dummy hash is checked when there is no real one."""
    calls = []
    real = services.check_password_hash
    monkeypatch.setattr(
        services, "check_password_hash", lambda *args: calls.append(args) or real(*args)
    )
    cases = {"known": EMAIL, "unknown": "nobody@example.vn"}
    for label, email in cases.items():
        calls.clear()
        assert (
            attempt(browser(app, f"10.5.0.{len(label)}"), "wrong", email=email).status_code == 401
        )
        assert len(calls) == 1, label
    session.execute(update(User).values(is_active=False))
    session.commit()
    calls.clear()
    assert attempt(browser(app, "10.5.1.1"), PASSWORD).status_code == 401
    assert len(calls) == 1  # an inactive account costs the same, and never says so


def test_parallel_guesses_are_counted_one_by_one(new_database):
    """15 guesses at once: exactly the threshold is evaluated, the rest are held back."""
    from tests.conftest import migrate_to_head

    url = new_database("throttle")
    migrate_to_head(url)
    app = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            # Each request's connection closes at its end: no thread leaves one behind.
            "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},
        }
    )
    with app.app_context():
        organisation = Organisation(kind="operator", name="Vận hành")
        db.session.add(organisation)
        db.session.flush()
        services.create_user(
            email=EMAIL, name="Lan", role="admin", password=PASSWORD, organisation=organisation
        )
        db.session.commit()

    def guess(_):
        return attempt(browser(app, "192.0.2.1"), "guess").status_code

    with ThreadPoolExecutor(max_workers=15) as pool:
        statuses = sorted(pool.map(guess, range(15)))
    with app.app_context():
        evaluated = db.session.scalar(
            select(LoginThrottle.failures).where(LoginThrottle.kind == "pair")
        )
        db.engine.dispose()
    assert statuses.count(401) == throttle.THRESHOLDS["pair"], statuses
    assert statuses.count(429) == 15 - throttle.THRESHOLDS["pair"], statuses
    assert evaluated == throttle.THRESHOLDS["pair"]


def test_prune_forgets_what_holds_nothing_back(app, runner, user, session):
    from market4.auth.models import UserSession
    from market4.db import now_utc

    for n in range(3):
        attempt(browser(app, f"203.0.113.{n}"), "guess", email=f"x{n}@example.vn")
    for _ in range(throttle.THRESHOLDS["pair"]):
        attempt(browser(app, "198.51.100.1"), "guess")  # a delay running: must stay
    client = browser(app)
    wait_out_only = session.scalars(
        select(LoginThrottle).where(LoginThrottle.key.like("203.0.113.%"))
    ).all()
    for counter in wait_out_only:
        counter.last_failure_at = now_utc() - timedelta(hours=2)
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/dang-xuat")
    for row in session.scalars(select(UserSession)):
        row.revoked_at = now_utc() - timedelta(days=31)
    session.commit()
    result = runner.invoke(args=["users", "prune"])
    assert result.exit_code == 0, result.output
    assert "Removed" in result.output
    keys = {(c.kind, c.key) for c in session.scalars(select(LoginThrottle))}
    assert not any(key.startswith("203.0.113.") for _, key in keys)
    assert ("pair", f"198.51.100.1 {EMAIL}") in keys
    assert session.scalars(select(UserSession)).all() == []

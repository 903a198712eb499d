"""Slowing password guessing without locking the owner out (OWASP "device cookies").

Failures are counted in ``login_throttles`` rows, one per thing that guesses:

- ``pair``: one e-mail from one address — the usual typo-or-guess case;
- ``account``: one e-mail from anywhere — guessing spread over many addresses;
- ``address``: one address, any e-mail — one client trying many accounts;
- ``device``: one known device (a browser that signed in to this account before); it
  replaces the three above, so an owner on their own phone is never held up by a
  stranger's guesses, and a stolen device cookie still only buys a few guesses;
- ``password``: one user's current-password check on /mat-khau.

Past its threshold a counter holds its key back for 1, 2, 4 … minutes, at most 15: a
delay, never a lock. A counter forgets after an hour without failures.

Concurrency: :func:`acquire` upserts and locks every row it needs (in one order, so two
attempts cannot deadlock) and keeps the locks until the caller's transaction commits;
the password is checked while they are held. Parallel guesses at one key are therefore
evaluated one at a time, and none can slip past a limit that an earlier one reached.
On SQLite the upsert takes the database's write lock, which serialises the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from market4.auth.models import LoginThrottle
from market4.db import now_utc
from market4.extensions import db

THRESHOLDS = {"pair": 5, "device": 5, "password": 5, "account": 10, "address": 20}
# Counters a correct password clears: they only ever held back the person who now proved
# they know it. Account and address counters also hold back others, so they only decay.
CLEARED_BY_SUCCESS = {"pair", "device", "password"}
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
MAX_KEY_LENGTH = 300

Key = tuple[str, str]


class Throttled(Exception):
    """Too many recent failures; try again after ``retry_after``."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"retry after {retry_after}")
        self.retry_after = retry_after

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.retry_after.total_seconds()) // 60))

    @property
    def seconds(self) -> int:
        return max(1, int(self.retry_after.total_seconds() + 0.999))


def delay_after(failures: int, threshold: int) -> timedelta | None:
    if failures < threshold:
        return None
    return min(FIRST_DELAY * 2 ** min(failures - threshold, 10), MAX_DELAY)


@dataclass(frozen=True)
class Counter:
    failures: int
    last_failure_at: datetime | None
    next_allowed_at: datetime | None


@dataclass
class Gate:
    """The locked counters of one attempt; report its outcome with failed() or passed()."""

    now: datetime
    counters: dict[Key, Counter] = field(default_factory=dict)

    def failed(self) -> None:
        for (kind, key), counter in self.counters.items():
            stale = counter.last_failure_at is None or self.now - counter.last_failure_at > (
                FORGET_AFTER
            )
            failures = (0 if stale else counter.failures) + 1
            delay = delay_after(failures, THRESHOLDS[kind])
            _write(kind, key, failures, self.now, self.now + delay if delay else None)

    def passed(self) -> None:
        for kind, key in self.counters:
            if kind in CLEARED_BY_SUCCESS:
                _write(kind, key, 0, None, None)


def acquire(keys: list[Key]) -> Gate:
    """Lock the counters of ``keys``; raises Throttled while any of them holds back."""
    now = now_utc()
    gate = Gate(now)
    for kind, key in sorted({(kind, key[:MAX_KEY_LENGTH]) for kind, key in keys}):
        failures, last_failure_at, next_allowed_at = db.session.execute(_upsert(kind, key)).one()
        gate.counters[(kind, key)] = Counter(failures, last_failure_at, next_allowed_at)
    waits = [
        counter.next_allowed_at - now
        for counter in gate.counters.values()
        if counter.next_allowed_at is not None and counter.next_allowed_at > now
    ]
    if waits:
        raise Throttled(max(waits))
    return gate


def _upsert(kind: str, key: str):
    """INSERT … ON CONFLICT DO UPDATE … RETURNING: creates or locks the row in one step."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = LoginThrottle.__table__
    statement = insert(table).values(kind=kind, key=key, failures=0)
    # A no-op update still takes the row lock, which is the point.
    return statement.on_conflict_do_update(
        index_elements=[table.c.kind, table.c.key], set_={"failures": table.c.failures}
    ).returning(table.c.failures, table.c.last_failure_at, table.c.next_allowed_at)


def _write(
    kind: str,
    key: str,
    failures: int,
    last_failure_at: datetime | None,
    next_allowed_at: datetime | None,
) -> None:
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.kind == kind, LoginThrottle.key == key)
        .values(failures=failures, last_failure_at=last_failure_at, next_allowed_at=next_allowed_at)
    )


def sign_in_keys(email: str, address: str | None, *, known_device: str | None) -> list[Key]:
    """What a sign-in attempt is counted against (see the module docstring)."""
    if known_device:
        return [("device", known_device)]
    keys = [("account", email), ("pair", f"{address or '-'} {email}")]
    if address:
        keys.append(("address", address))
    return keys


def prune(now: datetime) -> int:
    """Delete counters that hold nothing back and remember nothing (no failure within
    FORGET_AFTER, no delay running); returns how many. Keeps the table as small as the
    guessing of the last hour."""
    stale = now - FORGET_AFTER
    result = db.session.execute(
        delete(LoginThrottle).where(
            (LoginThrottle.last_failure_at.is_(None)) | (LoginThrottle.last_failure_at < stale),
            (LoginThrottle.next_allowed_at.is_(None)) | (LoginThrottle.next_allowed_at < now),
        )
    )
    return result.rowcount or 0

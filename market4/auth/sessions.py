"""Server-side sessions: the ``user_sessions`` row, not the cookie, says who is signed in.

Flask's signed cookie carries the user id (as Flask-Login expects) and a random session
secret; the row holds the secret's SHA-256. Every request that claims a user must find a
live row for that secret: signing out, a password change, deactivation or "sign out
everywhere" revoke rows, and a copy of the cookie taken earlier is dead from then on.

A session also ends after ``SESSION_IDLE_MINUTES`` without a request
(``SESSION_IDLE_MINUTES_ADMIN`` for admins) and ``SESSION_MAX_HOURS`` after sign-in.
``last_seen_at`` is written at most once a minute, so reading pages costs no writes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, select

from market4.audit import services as audit
from market4.auth.models import User, UserSession
from market4.db import now_utc
from market4.extensions import db
from market4.vocabulary import SESSION_END_REASON_LABELS, Role

# Key of the session secret inside Flask's cookie session.
SECRET_NAME = "market4_sid"
TOUCH_EVERY = timedelta(minutes=1)
USER_AGENT_LENGTH = 200

REVOKE_REASONS = SESSION_END_REASON_LABELS


@dataclass(frozen=True)
class Lifetimes:
    idle_admin: timedelta
    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_config(cls, config: Any) -> Lifetimes:
        return cls(
            idle_admin=timedelta(minutes=float(config.get("SESSION_IDLE_MINUTES_ADMIN", 30))),
            idle=timedelta(minutes=float(config.get("SESSION_IDLE_MINUTES", 600))),
            absolute=timedelta(hours=float(config.get("SESSION_MAX_HOURS", 12))),
        )

    def idle_for(self, role: str) -> timedelta:
        return self.idle_admin if role == Role.ADMIN else self.idle


EXTENSION = "market4-session-lifetimes"


def init_app(app: Flask) -> None:
    lifetimes = app.extensions[EXTENSION] = Lifetimes.from_config(app.config)
    # The cookie may live as long as the server lets the session live, no longer.
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetimes.absolute
    # Sent again only when it changes, not on every answer: the lifetimes live in the
    # row. Resent with each file and background fetch, a slow answer written from an
    # older cookie would bring back what a newer one removed (a message shown twice);
    # and on a weak signal every byte counts.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False


def lifetimes() -> Lifetimes:
    """The app's session lifetimes (read from its settings at start-up)."""
    return current_app.extensions[EXTENSION]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def start(
    user: User, *, remote_addr: str | None, user_agent: str | None
) -> tuple[UserSession, str]:
    """A new session row for ``user``; returns it and the secret for the cookie."""
    secret = secrets.token_urlsafe(32)
    now = now_utc()
    row = UserSession(
        user=user,
        secret_hash=hash_secret(secret),
        created_at=now,
        last_seen_at=now,
        remote_addr=remote_addr,
        user_agent=(user_agent or "")[:USER_AGENT_LENGTH] or None,
    )
    db.session.add(row)
    db.session.flush()
    return row, secret


def renew(row: UserSession) -> str:
    """A new secret for a live session (after a password change): the old cookie is dead."""
    secret = secrets.token_urlsafe(32)
    row.secret_hash = hash_secret(secret)
    db.session.flush()
    return secret


def find(secret: object) -> UserSession | None:
    if not isinstance(secret, str) or not secret or len(secret) > 200:
        return None
    return db.session.scalar(
        select(UserSession).where(UserSession.secret_hash == hash_secret(secret))
    )


def ended(row: UserSession, user: User, lifetimes: Lifetimes, now: datetime) -> str | None:
    """Why ``row`` can no longer be used (``revoked``, ``idle``, ``expired``), or None."""
    if row.revoked_at is not None:
        return "revoked"
    if now - row.created_at >= lifetimes.absolute:
        return "expired"
    if now - row.last_seen_at >= lifetimes.idle_for(user.role):
        return "idle"
    return None


def needs_touch(row: UserSession, now: datetime) -> bool:
    return now - row.last_seen_at >= TOUCH_EVERY


def revoke(row: UserSession, reason: str) -> None:
    if row.revoked_at is None:
        row.revoked_at = now_utc()
        row.revoked_reason = reason
        db.session.flush()


def active(user: User, lifetimes: Lifetimes) -> list[UserSession]:
    """The user's sessions that still open pages, most recently used first."""
    now = now_utc()
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return [row for row in rows if ended(row, user, lifetimes, now) is None]


def revoke_all(
    user: User,
    *,
    reason: str,
    actor: User | None,
    channel: str = "web",
    keep: UserSession | None = None,
    always_record: bool = False,
) -> int:
    """Revoke every unrevoked session of ``user`` except ``keep``; returns how many."""
    query = select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    rows = list(db.session.scalars(query))
    now = now_utc()
    for row in rows:
        row.revoked_at, row.revoked_reason = now, reason
    db.session.flush()
    if rows or always_record:
        audit.record(
            "session_revoked",
            user,
            actor=actor,
            channel=channel,
            after={"sessions": len(rows), "reason": reason},
        )
    return len(rows)


# Ended sessions stay this long for the user's and the admin's view, then go.
KEEP_ENDED = timedelta(days=30)


def prune(now: datetime, lifetimes: Lifetimes) -> int:
    """Delete sessions revoked, or past their absolute lifetime, more than KEEP_ENDED ago."""
    result = db.session.execute(
        delete(UserSession).where(
            (UserSession.revoked_at < now - KEEP_ENDED)
            | (UserSession.created_at < now - lifetimes.absolute - KEEP_ENDED)
        )
    )
    return result.rowcount or 0

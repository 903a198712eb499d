"""Organisations, their users, and what each user may see (role + scope)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market4.db import now_utc
from market4.extensions import db
from market4.vocabulary import (
    ORGANISATION_KIND_LABELS,
    ROLE_LABELS,
    OrganisationKind,
    Role,
    sql_in,
)

if TYPE_CHECKING:
    from market4.areas.models import AdminUnit
    from market4.banks.models import Bank
    from market4.registry.markets import Market

# The label tables under their older names, for the admin pages.
ORGANISATION_KINDS = ORGANISATION_KIND_LABELS
ROLES = ROLE_LABELS

user_markets = Table(
    "user_markets",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("market_id", ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(sql_in("kind", OrganisationKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    # A bank branch acts for exactly one bank and sees only that bank's accounts.
    bank_bin: Mapped[Optional[str]] = mapped_column(ForeignKey("banks.bin"), index=True)
    # The province, commune or legacy district an office (or branch) covers.
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("admin_units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    bank: Mapped[Optional[Bank]] = relationship()
    area: Mapped[Optional[AdminUnit]] = relationship()
    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.name!r}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(sql_in("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    organisation: Mapped[Optional[Organisation]] = relationship(back_populates="users")
    # A market manager's scope; other roles are scoped through their organisation.
    markets: Mapped[list[Market]] = relationship(secondary=user_markets)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class LoginAttempt(db.Model):
    """Failed and successful sign-ins, for rate limiting and the access log."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[Optional[str]] = mapped_column(String(45), index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=now_utc, index=True)


class UserSession(db.Model):
    """One signed-in browser. The cookie carries a random secret; only its SHA-256 is kept
    here, so the server decides whether a session is alive: revoking the row ends it, even
    for a copy of the cookie taken before."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    last_seen_at: Mapped[datetime] = mapped_column(default=now_utc)
    remote_addr: Mapped[Optional[str]] = mapped_column(String(45))
    user_agent: Mapped[Optional[str]] = mapped_column(String(200))
    revoked_at: Mapped[Optional[datetime]] = mapped_column()
    # "sign_out", "password_changed", "deactivated", "sign_out_everywhere", "idle"...
    revoked_reason: Mapped[Optional[str]] = mapped_column(String(30))

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id} revoked={self.revoked_reason}>"


class LoginThrottle(db.Model):
    """A failure counter for one thing that guesses: an account, an address, an (account,
    address) pair, a known device, or a user's current-password check. Rows are locked
    while an attempt is evaluated, so parallel guesses are counted one after another."""

    __tablename__ = "login_throttles"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[Optional[datetime]] = mapped_column()
    next_allowed_at: Mapped[Optional[datetime]] = mapped_column()

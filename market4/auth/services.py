"""Accounts and sign-in: password hashing, rate limiting, user creation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from market4.audit import services as audit
from market4.auth.models import ROLES, LoginAttempt, Organisation, User
from market4.db import now_utc
from market4.errors import FieldError, ValidationFailed
from market4.extensions import db

# Five wrong passwords for one e-mail or from one address within the window lock the
# door for the rest of it: slow enough to stop guessing, short enough for a typo.
MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


class TooManyAttempts(Exception):
    pass


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    reason: str | None = None


def is_rate_limited(email: str, remote_addr: str | None) -> bool:
    since = now_utc() - ATTEMPT_WINDOW
    failures = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
    )
    by_email = db.session.scalar(failures.where(LoginAttempt.email == email.lower()))
    by_addr = (
        db.session.scalar(failures.where(LoginAttempt.remote_addr == remote_addr))
        if remote_addr
        else 0
    )
    return (by_email or 0) >= MAX_FAILED_ATTEMPTS or (by_addr or 0) >= MAX_FAILED_ATTEMPTS * 4


def authenticate(email: str, password: str, *, remote_addr: str | None) -> User:
    """The active user with these credentials; raises TooManyAttempts or ValidationFailed."""
    email = email.strip().lower()
    if is_rate_limited(email, remote_addr):
        raise TooManyAttempts()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    ok = (
        user is not None
        and user.is_active
        and user.password_hash is not None
        and check_password_hash(user.password_hash, password)
    )
    db.session.add(LoginAttempt(email=email, remote_addr=remote_addr, succeeded=ok))
    db.session.flush()
    if not ok:
        raise ValidationFailed(
            [FieldError("password", "Email hoặc mật khẩu không đúng.", "invalid_credentials")]
        )
    return user


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            [
                FieldError(
                    "new_password",
                    f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
                    "password_too_short",
                )
            ]
        )


def change_password(user: User, current: str, new: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise ValidationFailed(
            [FieldError("current_password", "Mật khẩu hiện tại không đúng.", "invalid_credentials")]
        )
    check_new_password(new)
    user.password_hash = generate_password_hash(new)
    audit.record("change_password", user, actor=user)
    db.session.flush()


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    organisation: Organisation | None = None,
    actor: User | None = None,
    channel: str = "web",
) -> User:
    email = email.strip().lower()
    errors = []
    if role not in ROLES:
        errors.append(FieldError("role", f"Vai trò không hợp lệ: {role}", "invalid_role"))
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        errors.append(FieldError("email", "Email này đã có tài khoản.", "duplicate_email"))
    if role == "bank_partner" and (organisation is None or organisation.bank_bin is None):
        errors.append(
            FieldError(
                "organisation",
                "Đối tác ngân hàng phải thuộc một chi nhánh ngân hàng.",
                "organisation_required",
            )
        )
    if role == "area_staff" and (organisation is None or organisation.area_id is None):
        errors.append(
            FieldError(
                "organisation",
                "Cán bộ địa phương phải thuộc một đơn vị có địa bàn.",
                "organisation_required",
            )
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            FieldError(
                "password",
                f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
                "password_too_short",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        organisation=organisation,
        password_hash=generate_password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "create",
        user,
        actor=actor,
        channel=channel,
        after={"email": email, "role": role, "organisation_id": getattr(organisation, "id", None)},
    )
    return user

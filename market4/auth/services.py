"""Accounts and sign-in: password hashing, login throttling, sessions, user creation."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from market4.audit import services as audit
from market4.auth import sessions, throttle
from market4.auth.models import ROLES, LoginAttempt, Organisation, User, UserSession
from market4.errors import FieldError, ValidationFailed
from market4.extensions import db
from market4.vocabulary import Role

MIN_PASSWORD_LENGTH = 10
MAX_EMAIL_IN_LOG = 254

TooManyAttempts = throttle.Throttled


@cache
def _dummy_hash() -> str:
    # Same method and cost as real hashes, so an unknown e-mail takes as long as a known one.
    return generate_password_hash("market4 dummy password, never valid")


def _verify(password_hash: str | None, password: str) -> bool:
    """Always one hash check, whether or not there is a hash to check against."""
    matches = check_password_hash(password_hash or _dummy_hash(), password)
    return password_hash is not None and matches


def authenticate(
    email: str, password: str, *, remote_addr: str | None, device: str | None = None
) -> User:
    """The active user with these credentials; raises TooManyAttempts or ValidationFailed.

    ``device`` is the known-device id of this browser for this e-mail (auth.devices), if
    any. The throttle counters stay locked until the caller commits, so the caller must
    commit whatever this raises: failures are only counted when committed.
    """
    email = email.strip().lower()
    logged_email = email[:MAX_EMAIL_IN_LOG]
    try:
        gate = throttle.acquire(throttle.sign_in_keys(email, remote_addr, known_device=device))
    except throttle.Throttled:
        db.session.add(LoginAttempt(email=logged_email, remote_addr=remote_addr, succeeded=False))
        db.session.flush()
        raise
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    usable = user is not None and user.is_active
    ok = _verify(user.password_hash if usable else None, password)
    db.session.add(LoginAttempt(email=logged_email, remote_addr=remote_addr, succeeded=ok))
    if not ok:
        gate.failed()
        audit.record(
            "sign_in_failed",
            user if usable else None,
            object_type="User",
            after={"email": logged_email},
        )
        db.session.flush()
        raise ValidationFailed(
            [FieldError("password", _l("Email hoặc mật khẩu không đúng."), "invalid_credentials")]
        )
    gate.passed()
    db.session.flush()
    return user


def sign_in(
    user: User, *, remote_addr: str | None, user_agent: str | None
) -> tuple[UserSession, str]:
    """Open a server-side session for ``user`` (after authenticate); returns it and its secret."""
    row, secret = sessions.start(user, remote_addr=remote_addr, user_agent=user_agent)
    audit.record("sign_in", user, actor=user, after={"session": row.id})
    return row, secret


def sign_out(user: User, current: UserSession | None) -> None:
    if current is not None:
        sessions.revoke(current, "sign_out")
    audit.record("sign_out", user, actor=user, after={"session": getattr(current, "id", None)})
    db.session.flush()


def sign_out_everywhere(user: User, *, actor: User | None, channel: str = "web") -> int:
    """End every session of ``user`` (the admin button and ``market4 users sign-out-everywhere``)."""
    return sessions.revoke_all(
        user, reason="sign_out_everywhere", actor=actor, channel=channel, always_record=True
    )


def sign_out_other_sessions(user: User, current: UserSession | None) -> int:
    """The user ends their own sessions on other devices, keeping this one."""
    return sessions.revoke_all(
        user, reason="other_sessions", actor=user, keep=current, always_record=True
    )


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            [
                FieldError(
                    "new_password",
                    _l(
                        "Mật khẩu cần ít nhất %(limit)s ký tự.",
                        limit=MIN_PASSWORD_LENGTH,
                    ),
                    "password_too_short",
                )
            ]
        )


def change_password(
    user: User, current: str, new: str, *, session: UserSession | None = None
) -> None:
    """Check the current password (throttled per user), set the new one and end every
    other session of the user; ``session``, the one in use, stays signed in."""
    gate = throttle.acquire([("password", str(user.id))])
    if not _verify(user.password_hash, current):
        gate.failed()
        db.session.flush()
        raise ValidationFailed(
            [
                FieldError(
                    "current_password", _l("Mật khẩu hiện tại không đúng."), "invalid_credentials"
                )
            ]
        )
    gate.passed()
    check_new_password(new)
    user.password_hash = generate_password_hash(new)
    audit.record("password_changed", user, actor=user)
    sessions.revoke_all(user, reason="password_changed", actor=user, keep=session)
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
        errors.append(
            FieldError("role", _l("Vai trò không hợp lệ: %(role)s", role=role), "invalid_role")
        )
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        errors.append(FieldError("email", _l("Email này đã có tài khoản."), "duplicate_email"))
    if role == Role.BANK_PARTNER and (organisation is None or organisation.bank_bin is None):
        errors.append(
            FieldError(
                "organisation",
                _l("Đối tác ngân hàng phải thuộc một chi nhánh ngân hàng."),
                "organisation_required",
            )
        )
    if role == Role.AREA_STAFF and (organisation is None or organisation.area_id is None):
        errors.append(
            FieldError(
                "organisation",
                _l("Cán bộ địa phương phải thuộc một đơn vị có địa bàn."),
                "organisation_required",
            )
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(
            FieldError(
                "password",
                _l(
                    "Mật khẩu cần ít nhất %(limit)s ký tự.",
                    limit=MIN_PASSWORD_LENGTH,
                ),
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

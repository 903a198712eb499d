"""API tokens: create (the secret is returned once), list and revoke.

Used by the web page (/khoa-api) and ``market4 tokens``; like every service these flush,
never commit, and raise domain errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from market4.api.auth import hash_secret, new_secret, shown_prefix
from market4.api.models import ApiToken
from market4.audit import services as audit
from market4.auth.models import User
from market4.db import now_utc
from market4.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from market4.extensions import db
from market4.registry.validation import clean_text
from market4.vocabulary import Role

# The roles that have something to call: partners register, staff read figures.
TOKEN_ROLES = frozenset({Role.BANK_PARTNER, Role.ADMIN, Role.AREA_STAFF, Role.MARKET_MANAGER})
NAME_MAX = 80
ACTIVE_TOKENS_MAX = 10


@dataclass(frozen=True)
class NewToken:
    """A freshly created token and its secret: show the secret once, it is not stored."""

    token: ApiToken
    secret: str


def clean_name(value: Any) -> str:
    name = clean_text(value)
    if not name:
        raise ValidationFailed(
            [FieldError("name", _l("Cần đặt tên cho khóa (ví dụ: “Máy chủ CRM”)."), "required")]
        )
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            [
                FieldError(
                    "name",
                    _l("Tên khóa dài tối đa %(limit)s ký tự.", limit=NAME_MAX),
                    "invalid_length",
                )
            ]
        )
    return name


def active_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def list_tokens(user: User) -> list[ApiToken]:
    """Every token of ``user``, newest first, revoked ones included (they stay as history)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(
                ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc()
            )
        )
    )


def create_token(user: User, name: Any, *, actor: Any, channel: str = "web") -> NewToken:
    """A new token for ``user``. Raises PermissionDenied (role without API use or inactive
    user), ValidationFailed (name) or Conflict (too many active tokens)."""
    if user.role not in TOKEN_ROLES or not user.is_active:
        raise PermissionDenied(_l("Tài khoản này không dùng được API."), code="no_api_access")
    clean = clean_name(name)
    active = db.session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if active >= ACTIVE_TOKENS_MAX:
        raise Conflict(
            _l(
                "Mỗi tài khoản có tối đa %(limit)s khóa đang dùng; hãy thu hồi khóa cũ.",
                limit=ACTIVE_TOKENS_MAX,
            ),
            code="too_many_tokens",
        )
    secret = new_secret()
    token = ApiToken(
        user_id=user.id, name=clean, token_hash=hash_secret(secret), prefix=shown_prefix(secret)
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "create",
        token,
        actor=actor,
        channel=channel,
        after={"user_id": user.id, "name": clean, "prefix": token.prefix},
    )
    return NewToken(token=token, secret=secret)


def get_token(token_id: int, *, owner: User | None = None) -> ApiToken:
    """The token ``token_id`` (of ``owner`` when given; others' tokens read as missing)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise NotFound(_l("Không tìm thấy khóa API."), code="token_not_found")
    return token


def revoke_token(token: ApiToken, *, actor: Any, channel: str = "web") -> ApiToken:
    """Revoke ``token`` from now on; Conflict when it already was."""
    if token.revoked_at is not None:
        raise Conflict(_l("Khóa này đã bị thu hồi."), code="token_revoked")
    token.revoked_at = now_utc()
    db.session.flush()
    audit.record("revoke", token, actor=actor, channel=channel, after={"prefix": token.prefix})
    return token

"""Bearer-token authentication, role checks and the per-token rate limit of the API.

- A token is ``m4_`` + 43 URL-safe characters (256 random bits). Only its SHA-256 is
  stored: a high-entropy secret needs no slow hash, and the digest is looked up directly.
- Missing, unknown and revoked tokens, and tokens of deactivated users, all answer 401
  with ``WWW-Authenticate: Bearer``; a valid token of the wrong role answers 403.
- ``last_used_at`` is written at most once every few minutes per token, so reads stay
  reads (and fast) under load.
- Rate limit: ``API_RATE_LIMIT_PER_MINUTE`` requests per token per minute (default 600;
  0 switches it off). With ``REDIS_URL`` the count is shared by every worker, so the
  limit holds whatever their number; without it each process counts alone
  (:mod:`market4.shared_state`). It costs no database write per request.
- Read cache: a GET answered before with the same token, URL and day is served again
  while no commit has changed anything (:func:`read_cache`), from Redis when there is one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, wraps
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy import Select, bindparam, select, text
from sqlalchemy.orm import joinedload

from market4 import shared_state
from market4.api.errors import ApiProblem
from market4.api.models import ApiToken
from market4.audit.services import API_CALLER_KEY
from market4.auth.models import Organisation, User
from market4.db import now_utc, today
from market4.extensions import db

TOKEN_PREFIX = "m4_"
SHOWN_PREFIX_LENGTH = 10  # "m4_" + 7 characters: enough to tell tokens apart in a list
LAST_USED_RESOLUTION = timedelta(minutes=5)
DEFAULT_RATE_LIMIT_PER_MINUTE = 600
DEFAULT_READ_CACHE_SECONDS = 30

BEARER_CHALLENGE = 'Bearer realm="market4"'
CACHE_KEY = "market4.api_cache_key"


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def shown_prefix(secret: str) -> str:
    return secret[:SHOWN_PREFIX_LENGTH]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's user (with organisation loaded) and the token."""

    user: User
    token: ApiToken


def _unauthenticated(detail: str, error: str = "invalid_token") -> ApiProblem:
    challenge = BEARER_CHALLENGE if error == "missing" else f'{BEARER_CHALLENGE}, error="{error}"'
    return ApiProblem(401, "unauthenticated", detail, headers={"WWW-Authenticate": challenge})


def bearer_secret() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if not header:
        raise _unauthenticated("Send the API token as 'Authorization: Bearer <token>'.", "missing")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _unauthenticated(
            "The Authorization header must be 'Bearer <token>'.", "invalid_request"
        )
    return secret.strip()


@cache
def token_by_hash() -> Select:
    """The token with its user, organisation and the organisation's area (which scopes
    most reads), by ``token_hash``: built once (after the models are all mapped), because
    building it cost as much as running it."""
    return (
        select(ApiToken)
        .where(ApiToken.token_hash == bindparam("token_hash"))
        .options(
            joinedload(ApiToken.user).joinedload(User.organisation).joinedload(Organisation.area)
        )
    )


def authenticate() -> Caller:
    """The caller of this request, or ApiProblem 401; also counts the rate limit."""
    secret = bearer_secret()
    token = db.session.scalar(token_by_hash(), {"token_hash": hash_secret(secret)})
    if token is None or token.revoked_at is not None:
        raise _unauthenticated("The API token is unknown or has been revoked.")
    if not token.user.is_active:
        raise _unauthenticated("The account this token belongs to is deactivated.")
    count_request(token.id)
    _touch(token)
    return Caller(user=token.user, token=token)


def _touch(token: ApiToken) -> None:
    now = now_utc()
    last = token.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite gives naive UTC back
        last = last.replace(tzinfo=now.tzinfo)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        # Kept by the request's unit of work (market4.unit_of_work) when the request
        # succeeds; a refused request leaves it to the next one.
        token.last_used_at = now


def current_caller() -> Caller:
    # Kept on the request, not on ``g``: an app context can outlive one request (tests,
    # CLI), and a caller must never carry over to the next request.
    caller = request.environ.get(API_CALLER_KEY)
    if caller is None:
        caller = request.environ[API_CALLER_KEY] = authenticate()
    return caller


def current_user() -> User:
    return current_caller().user


def require_token() -> Response | None:
    """``before_request`` of every API blueprint: nothing runs without a valid token.

    A GET answered before, with the same token and nothing changed since, is served
    from the read cache (see :class:`ReadCache`) without running the view.
    """
    if request.method == "OPTIONS":
        return None
    cache = read_cache(current_app)
    if request.method == "GET" and cache.ttl > 0 and request.headers.get("Authorization"):
        key = (
            hash_secret(request.headers["Authorization"]),
            request.full_path,
            today().isoformat(),
            change_state(),
        )
        request.environ[CACHE_KEY] = key
        hit = CachedAnswer.from_bytes(cache.get(key))
        if hit is not None:
            count_request(hit.token_id)
            response = current_app.response_class(hit.body, status=200, mimetype=hit.mimetype)
            response.headers["X-Cache"] = "hit"
            return response
    current_caller()
    return None


def remember_response(response: Response) -> Response:
    """``after_request``: keep a 200 JSON answer to a GET for the next identical request."""
    key = request.environ.get(CACHE_KEY)
    caller = request.environ.get(API_CALLER_KEY)
    if (
        key is not None
        and caller is not None
        and response.status_code == 200
        and response.is_json
        and not response.direct_passthrough
    ):
        answer = CachedAnswer(caller.token.id, response.get_data(), response.mimetype)
        read_cache(current_app).put(key, answer.to_bytes())
        response.headers["X-Cache"] = "miss"
    return response


def roles_allowed(*roles: str) -> Callable:
    """403 for a valid token whose user has another role (after the 401 checks)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            user = current_user()
            if user.role not in roles:
                raise ApiProblem(
                    403,
                    "role_not_allowed",
                    f"This endpoint is for {', '.join(sorted(roles))} tokens; "
                    f"this token belongs to a {user.role}.",
                )
            return view(*args, **kwargs)

        return wrapped

    return decorator


def count_request(token_id: int) -> None:
    """Count one request of the token; ApiProblem 429 with Retry-After past the limit."""
    per_minute = int(
        current_app.config.get("API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE)
    )
    try:
        shared_state.rate_limit(current_app, "api-token", per_minute).hit(token_id)
    except shared_state.RateLimitedError as refused:
        raise ApiProblem(
            429,
            "rate_limited",
            f"More than {per_minute} requests in a minute with this token; "
            f"retry after {refused.retry_after} s.",
            headers={"Retry-After": str(refused.retry_after)},
        ) from None


# --- read cache ------------------------------------------------------------------------

# Every change a response can show leaves a row in one of these tables: services write an
# audit event for each change (vendors, accounts, placards, stalls, markets, users,
# tokens…), and acceptance changes are rows of stall_status_changes. The newest id plus
# the number of rows among the last 1,000 ids changes whenever any transaction commits
# there — also one that took an id earlier but committed later.
_STATE = text(
    "SELECT (SELECT max(id) FROM audit_events), "
    "(SELECT count(*) FROM audit_events WHERE id > (SELECT coalesce(max(id), 0) - 1000 FROM audit_events)), "
    "(SELECT max(id) FROM stall_status_changes), "
    "(SELECT count(*) FROM stall_status_changes "
    " WHERE id > (SELECT coalesce(max(id), 0) - 1000 FROM stall_status_changes))"
)


def change_state() -> tuple[Any, ...]:
    return tuple(db.session.execute(_STATE).one())


@dataclass(frozen=True)
class CachedAnswer:
    token_id: int
    body: bytes
    mimetype: str

    def to_bytes(self) -> bytes:
        return f"{self.token_id} {self.mimetype}\n".encode() + self.body

    @classmethod
    def from_bytes(cls, data: bytes | None) -> CachedAnswer | None:
        if data is None:
            return None
        head, _, body = data.partition(b"\n")
        token_id, _, mimetype = head.decode().partition(" ")
        return cls(int(token_id), body, mimetype)


def read_cache(app: Flask) -> shared_state.AnswerCache:
    """Answers to GETs, per token and URL, valid while :func:`change_state` is unchanged.

    Read-heavy partners poll the same lists; serving them again costs one small query
    instead of the whole view. Correctness does not depend on the TTL: a commit in any
    worker changes the state, so a retry after a write — or after revoking the token —
    never sees the old answer. The TTL (``API_READ_CACHE_SECONDS``, default 30; 0 turns
    the cache off, as in tests) only bounds changes made outside the services (a bank
    directory sync).
    """
    ttl = float(
        app.config.get("API_READ_CACHE_SECONDS", 0 if app.testing else DEFAULT_READ_CACHE_SECONDS)
    )
    return shared_state.answer_cache(app, "api-read", ttl)

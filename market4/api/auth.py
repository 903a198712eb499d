"""Bearer-token authentication, role checks and the per-token rate limit of the API.

- A token is ``m4_`` + 43 URL-safe characters (256 random bits). Only its SHA-256 is
  stored: a high-entropy secret needs no slow hash, and the digest is looked up directly.
- Missing, unknown and revoked tokens, and tokens of deactivated users, all answer 401
  with ``WWW-Authenticate: Bearer``; a valid token of the wrong role answers 403.
- ``last_used_at`` is written at most once every few minutes per token, so reads stay
  reads (and fast) under load.
- Rate limit: ``API_RATE_LIMIT_PER_MINUTE`` requests per token per clock minute (default
  600; 0 switches it off), counted in each worker's memory. With N gunicorn workers a
  token can therefore reach N × the limit; that is deliberate — the limit protects the
  service from a runaway client, it is not a billing quota, and it costs no database
  write per request.
- Read cache: a GET answered before with the same token, URL and day is served from the
  worker's memory while no commit has changed anything (:class:`ReadCache`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload

from market4.api.errors import ApiProblem
from market4.api.models import ApiToken
from market4.audit.services import API_CALLER_KEY
from market4.auth.models import User
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


def authenticate() -> Caller:
    """The caller of this request, or ApiProblem 401; also counts the rate limit."""
    secret = bearer_secret()
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_secret(secret))
        .options(joinedload(ApiToken.user).joinedload(User.organisation))
    )
    if token is None or token.revoked_at is not None:
        raise _unauthenticated("The API token is unknown or has been revoked.")
    if not token.user.is_active:
        raise _unauthenticated("The account this token belongs to is deactivated.")
    rate_limiter(current_app).hit(token.id)
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
        hit = cache.get(key)
        if hit is not None:
            rate_limiter(current_app).hit(hit.token_id)
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
        read_cache(current_app).put(
            key, CachedAnswer(caller.token.id, response.get_data(), response.mimetype)
        )
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


class RateLimiter:
    """Fixed one-minute windows per token, in this process's memory (thread-safe)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.time) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._windows: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, token_id: int) -> None:
        if self.per_minute <= 0:
            return
        now = self.clock()
        minute = int(now // 60)
        with self._lock:
            window, count = self._windows.get(token_id, (minute, 0))
            if window != minute:
                window, count = minute, 0
                # Forget finished windows now and then, so memory stays flat.
                if len(self._windows) > 10_000:
                    self._windows.clear()
            count += 1
            self._windows[token_id] = (window, count)
        if count > self.per_minute:
            retry_after = max(1, int((minute + 1) * 60 - now + 0.999))
            raise ApiProblem(
                429,
                "rate_limited",
                f"More than {self.per_minute} requests in a minute with this token; "
                f"retry after {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )


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


class ReadCache:
    """Answers to GETs, per token and URL, valid while :func:`change_state` is unchanged.

    Read-heavy partners poll the same lists; serving them again costs one small query
    instead of the whole view. Correctness does not depend on the TTL: a commit in any
    worker changes the state, so a retry after a write — or after revoking the token —
    never sees the old answer. The TTL (``API_READ_CACHE_SECONDS``, default 30; 0 turns
    the cache off, as in tests) only bounds changes made outside the services (a bank
    directory sync). Entries live in each worker's memory, least recently used first out.
    """

    def __init__(
        self, ttl: float, max_entries: int = 512, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._entries: OrderedDict[tuple, tuple[float, CachedAnswer]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> CachedAnswer | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or self.clock() - found[0] > self.ttl:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: tuple, answer: CachedAnswer) -> None:
        with self._lock:
            self._entries[key] = (self.clock(), answer)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def read_cache(app: Flask) -> ReadCache:
    ttl = float(
        app.config.get("API_READ_CACHE_SECONDS", 0 if app.testing else DEFAULT_READ_CACHE_SECONDS)
    )
    cache = app.extensions.get("market4-api-read-cache")
    if cache is None or cache.ttl != ttl:
        cache = app.extensions["market4-api-read-cache"] = ReadCache(ttl)
    return cache


def rate_limiter(app: Flask) -> RateLimiter:
    limiter = app.extensions.get("market4-api-rate-limiter")
    limit = int(app.config.get("API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE))
    if limiter is None or limiter.per_minute != limit:
        limiter = app.extensions["market4-api-rate-limiter"] = RateLimiter(limit)
    return limiter

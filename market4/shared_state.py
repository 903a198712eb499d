"""State every worker must share: rate-limit counters and cached answers.

With ``MARKET4_REDIS_URL`` (``redis://host:6379/0``) both live in Redis, so a limit holds
across all gunicorn workers and machines, and an answer cached by one worker serves the
others. Without it each process keeps its own in memory: right for the embedded, single
process set-up, and what runs when nothing else is installed.

Redis is a help, not a dependency of correctness: when it cannot be reached, a request
is neither limited nor served from the cache (logged), rather than refused.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from flask import Flask

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "market4"


def redis_url(app: Flask) -> str | None:
    return app.config.get("REDIS_URL") or None


def key_prefix(app: Flask) -> str:
    """Keys of one deployment (or one test run) never meet another's in a shared Redis."""
    return app.config.get("REDIS_KEY_PREFIX") or DEFAULT_KEY_PREFIX


# --- rate limits --------------------------------------------------------------------------


class RateLimitedError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class RateLimit:
    """At most ``per_minute`` hits per key in a one-minute window, in memory or in Redis.

    The window opens at a key's first hit and lasts a minute (the ``limits`` library's
    fixed window, the same in both stores); 0 switches the limit off.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        namespace: str,
        storage_uri: str = "memory://",
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        from limits import parse, storage, strategies

        self.per_minute = per_minute
        self.namespace = namespace
        self._item = parse(f"{max(per_minute, 1)}/minute")
        options = {"wrap_exceptions": True, **(storage_options or {})}
        if storage_uri == "memory://":
            options = {}
        self._storage = storage.storage_from_string(storage_uri, **options)
        self._strategy = strategies.FixedWindowRateLimiter(self._storage)

    def hit(self, key: str | int) -> None:
        """Count one hit; raises :class:`RateLimitedError` past the limit."""
        if self.per_minute <= 0:
            return
        from limits.errors import StorageError

        try:
            if self._strategy.hit(self._item, self.namespace, str(key)):
                return
            reset_time = self._strategy.get_window_stats(self._item, self.namespace, str(key))[0]
        except StorageError:
            logger.warning("rate limit store unreachable; request not limited", exc_info=True)
            return
        raise RateLimitedError(max(1, int(reset_time - time.time() + 0.999)))


def rate_limit(app: Flask, name: str, per_minute: int) -> RateLimit:
    """The app's limit called ``name``, rebuilt when its setting changes."""
    url = redis_url(app)
    slot = f"market4-rate-limit-{name}"
    limit = app.extensions.get(slot)
    settings = (per_minute, url, key_prefix(app))
    if limit is None or getattr(limit, "settings", None) != settings:
        if url:
            limit = RateLimit(
                per_minute,
                namespace=name,
                storage_uri=url,
                storage_options={
                    "key_prefix": f"{key_prefix(app)}:limits",
                    "socket_timeout": 1,
                    "socket_connect_timeout": 1,
                },
            )
        else:
            limit = RateLimit(per_minute, namespace=name)
        limit.settings = settings
        app.extensions[slot] = limit
    return limit


# --- cached answers -------------------------------------------------------------------------


class AnswerCache(Protocol):
    ttl: float

    def get(self, key: tuple) -> bytes | None: ...

    def put(self, key: tuple, value: bytes) -> None: ...


class MemoryCache:
    """Values in this process, least recently used out first, each for ``ttl`` seconds."""

    def __init__(
        self, ttl: float, max_entries: int = 512, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._entries: OrderedDict[tuple, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or self.clock() - found[0] > self.ttl:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: tuple, value: bytes) -> None:
        with self._lock:
            self._entries[key] = (self.clock(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class RedisCache:
    """Values in Redis under a digest of the key, expiring after ``ttl`` seconds."""

    def __init__(self, ttl: float, client: Any, prefix: str) -> None:
        self.ttl, self.client, self.prefix = ttl, client, prefix

    def _name(self, key: tuple) -> str:
        return f"{self.prefix}:{hashlib.sha256(repr(key).encode()).hexdigest()}"

    def get(self, key: tuple) -> bytes | None:
        from redis.exceptions import RedisError

        try:
            return self.client.get(self._name(key))
        except RedisError:
            logger.warning("cache unreachable; answering without it", exc_info=True)
            return None

    def put(self, key: tuple, value: bytes) -> None:
        from redis.exceptions import RedisError

        try:
            self.client.set(self._name(key), value, px=max(1, int(self.ttl * 1000)))
        except RedisError:
            logger.warning("cache unreachable; answer not kept", exc_info=True)


def answer_cache(app: Flask, name: str, ttl: float) -> AnswerCache:
    """The app's cache called ``name``, rebuilt when its setting changes."""
    url = redis_url(app)
    slot = f"market4-cache-{name}"
    cache = app.extensions.get(slot)
    settings = (ttl, url, key_prefix(app))
    if cache is None or getattr(cache, "settings", None) != settings:
        if url:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
            cache = RedisCache(ttl, client, f"{key_prefix(app)}:cache:{name}")
        else:
            cache = MemoryCache(ttl)
        cache.settings = settings
        app.extensions[slot] = cache
    return cache

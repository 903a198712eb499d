"""Settings: safe defaults here, secrets and deployment choices from ``MARKET4_*`` variables.

Every setting can be overridden from the environment as ``MARKET4_<NAME>`` (Flask's
``from_prefixed_env``), e.g. ``MARKET4_DATABASE_URL`` or ``MARKET4_SECRET_KEY``.
"""

from __future__ import annotations

from typing import Any

ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """A setting is missing or unusable; the message is meant for the operator, one line."""


class Config:
    # "development" (the README's one-command set-up), "testing" or "production".
    ENV_NAME = "production"
    SECRET_KEY: str | None = None
    # None -> a SQLite file in the instance folder, resolved in create_app.
    DATABASE_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    # Seconds a request may wait for the database before /healthz reports it unreachable.
    DATABASE_CONNECT_TIMEOUT = 5
    # A read replica for dashboards and exports (market4.read_replica); None: the primary.
    DATABASE_READ_URL: str | None = None
    # Redis for what every worker must share (API rate limits, cached API answers);
    # None keeps them in each process's memory (market4.shared_state).
    REDIS_URL: str | None = None
    REDIS_KEY_PREFIX = "market4"
    # Where print jobs write their PDFs and ZIPs (market4.placards.jobs); None: the
    # instance folder's print-jobs/. Every web and worker process must see the same disk.
    PRINT_JOBS_DIR: str | None = None
    BABEL_DEFAULT_LOCALE = "vi"
    # The language of the CLI's messages (outside a request): "vi" or "en".
    CLI_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    # Share of a market's stalls that must accept cashless payment before the market
    # counts as "cashless" on dashboards; no national threshold exists (docs/domain.md, “The cashless-market threshold”).
    CASHLESS_MARKET_THRESHOLD = 0.8
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    # Server-side sessions (market4.auth.sessions): idle minutes for admins and for the
    # other roles (a working day), and the absolute lifetime in hours.
    SESSION_IDLE_MINUTES_ADMIN = 30
    SESSION_IDLE_MINUTES = 600
    SESSION_MAX_HOURS = 12
    # Proxies in front of the app: a hop count ("1") or a comma list of addresses/CIDRs.
    # Empty: X-Forwarded-For is ignored and the peer address is the client's.
    TRUSTED_PROXIES = ""
    # Strict-Transport-Security max-age; production is served over HTTPS only (0 = off).
    HSTS_SECONDS = 365 * 24 * 3600
    # Request bodies above this answer 413 before they are read. Uploads (the vendor
    # import) get their own allowance: market4.imports.reading.MAX_BYTES plus form overhead.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024
    MAX_FORM_PARTS = 1000


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # Only good for a laptop; production refuses to start without MARKET4_SECRET_KEY.
    SECRET_KEY = "development-only-not-secret"
    SESSION_COOKIE_SECURE = False
    HSTS_SECONDS = 0


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"
    SESSION_COOKIE_SECURE = False
    HSTS_SECONDS = 0


# The secret signs session cookies and CSRF tokens; anyone who guesses it can forge a
# signed-in session. 32 bytes is what ``secrets.token_hex(32)`` gives as 64 characters,
# and what OWASP ASVS 2.9/6.2 ask of a signing key.
MIN_SECRET_KEY_BYTES = 32
_HOW_TO_MAKE_A_SECRET = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


def check_secret_key(secret: str | bytes | None, env_name: str) -> None:
    """Refuse to start without a usable secret; outside production any secret will do."""
    if not secret:
        raise ConfigError(
            "MARKET4_SECRET_KEY is not set: production needs a long random secret "
            f"(e.g. {_HOW_TO_MAKE_A_SECRET}), or set MARKET4_ENV=development on a laptop"
        )
    if env_name != "production":
        return
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    known = {DevelopmentConfig.SECRET_KEY, TestingConfig.SECRET_KEY}
    if len(raw) < MIN_SECRET_KEY_BYTES or len(set(raw)) < 8 or secret in known:
        raise ConfigError(
            f"MARKET4_SECRET_KEY is too weak: production needs at least "
            f"{MIN_SECRET_KEY_BYTES} random bytes (e.g. {_HOW_TO_MAKE_A_SECRET})"
        )


CONFIG_CLASSES = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": Config,
}

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
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    # Share of a market's stalls that must accept cashless payment before the market
    # counts as "cashless" on dashboards; no national threshold exists (DOMAIN.md §3.6).
    CASHLESS_MARKET_THRESHOLD = 0.8
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # Only good for a laptop; production refuses to start without MARKET4_SECRET_KEY.
    SECRET_KEY = "development-only-not-secret"
    SESSION_COOKIE_SECURE = False


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"
    SESSION_COOKIE_SECURE = False


CONFIG_CLASSES = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": Config,
}

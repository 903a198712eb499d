"""Engine options and per-connection settings for the two supported databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url


def engine_options(uri: str, config: dict[str, Any]) -> dict[str, Any]:
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    timeout = int(config.get("DATABASE_CONNECT_TIMEOUT", 5))
    backend = make_url(uri).get_backend_name()
    if backend == "postgresql":
        options.setdefault("connect_args", {}).setdefault("connect_timeout", timeout)
    elif backend == "sqlite":
        options.setdefault("connect_args", {}).setdefault("timeout", timeout)
    return options


def install_sqlite_pragmas(engine: Engine) -> None:
    """Make SQLite enforce foreign keys and real transactions.

    pysqlite defers BEGIN until the first write and ignores SAVEPOINT semantics, which
    breaks all-or-nothing imports and the tests' rollback; SQLAlchemy's documented
    recipe hands transaction control back to SQLAlchemy.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

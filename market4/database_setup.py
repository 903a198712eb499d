"""Engine options, per-connection settings and migrations for the two supported databases."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url


def enable_migrations(app: Flask) -> None:
    """Set up Flask-Migrate (and its ``db`` command) on ``app``, once.

    Only a migration needs it: importing it loads Alembic, Mako and Pygments, a tenth of
    a second that no web worker and no other command should pay at start-up.
    """
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from market4 import ASSET_ROOT
    from market4.extensions import db

    # Batch mode lets later migrations alter SQLite tables (it cannot ALTER constraints).
    Migrate(
        app, db, directory=str(ASSET_ROOT / "migrations"), render_as_batch=True, compare_type=True
    )


def upgrade_schema() -> None:
    """Migrate the current app's database to the newest revision."""
    enable_migrations(current_app._get_current_object())
    from flask_migrate import upgrade

    upgrade()


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

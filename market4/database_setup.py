"""Engine options, per-connection settings and migrations for the two supported databases."""

from __future__ import annotations

import re
from functools import lru_cache
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
        # The driver begins no transaction of its own: install_postgresql_lazy_begin does,
        # at the first statement that needs one.
        options.setdefault("isolation_level", "AUTOCOMMIT")
    elif backend == "sqlite":
        options.setdefault("connect_args", {}).setdefault("timeout", timeout)
    return options


def install_per_connection_settings(engine: Engine) -> None:
    install_sqlite_pragmas(engine)
    install_postgresql_lazy_begin(engine)


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


def install_postgresql_lazy_begin(engine: Engine) -> None:
    """Begin a PostgreSQL transaction at the first statement that writes or locks.

    Most requests only read: a page of vendors, the figures, a dashboard. Opening a
    transaction for them costs two round trips out of eight for the API's statistics
    (BEGIN and COMMIT) and buys nothing: at READ COMMITTED, PostgreSQL's default and ours,
    every statement takes its own snapshot inside a transaction as well. So connections
    run in the driver's autocommit mode, and before a statement that is not a plain read
    (INSERT, UPDATE, DELETE, DDL, a SAVEPOINT, ``SELECT … FOR UPDATE``) this opens the
    transaction, which then holds everything up to the unit of work's commit or rollback:
    a request's or command's writes stay all or nothing. The driver's commit and rollback
    send nothing when no transaction was opened. Code that uses the driver's cursor
    directly (``COPY``) calls :func:`begin_now` first.
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "before_cursor_execute")
    def begin_before_writing(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        if _needs_transaction(statement):
            begin_now(connection)


def begin_now(connection: Any) -> None:
    """Open the transaction on this SQLAlchemy connection, if none is open (PostgreSQL)."""
    from psycopg.pq import TransactionStatus

    driver = connection.connection.driver_connection
    if driver.info.transaction_status == TransactionStatus.IDLE:
        driver.execute("BEGIN")


# A read starts with SELECT or WITH. It may still write or lock through a data-modifying
# CTE, a locking clause, SELECT INTO, or PostgreSQL's functions that change state
# (sequences, settings, advisory locks; the schema defines no functions of its own), so
# any of these words, whole and in any case, sends it into a transaction too. Erring
# towards a transaction costs one round trip; erring the other way would split a write
# from its unit of work.
_READ = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
_WRITES_OR_LOCKS = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|FOR\s+SHARE|FOR\s+KEY|FOR\s+NO|INTO|NEXTVAL|SETVAL|"
    r"SET_CONFIG|PG_ADVISORY\w*|LOCK)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1024)
def _needs_transaction(statement: str) -> bool:
    # Reading a long statement through the pattern takes 0.1 ms; statements repeat (the
    # same strings SQLAlchemy's own cache of 500 compiled statements hands out), so this
    # is one dictionary look-up for nearly every one.
    return not _READ.match(statement) or bool(_WRITES_OR_LOCKS.search(statement))

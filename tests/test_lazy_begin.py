"""PostgreSQL transactions begin at the first statement that writes or locks
(``database_setup.install_postgresql_lazy_begin``): reads send no BEGIN or COMMIT, and
writes stay all or nothing up to the unit of work's commit or rollback."""

from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import text

from market4 import create_app
from market4.database_setup import _needs_transaction
from market4.extensions import db


@pytest.fixture
def engine(postgres_databases):
    app = create_app(
        {"ENV_NAME": "testing", "DATABASE_URL": postgres_databases.create("lazy_begin")}
    )
    with app.app_context():
        with db.engine.connect() as connection:
            connection.execute(text("CREATE TABLE probe (x integer)"))
            connection.commit()
        yield db.engine
        db.engine.dispose()


def status(connection) -> TransactionStatus:
    return connection.connection.driver_connection.info.transaction_status


def count(engine) -> int:
    with engine.connect() as other:
        return other.execute(text("SELECT count(*) FROM probe")).scalar_one()


def test_reads_open_no_transaction(engine):
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM probe"))
        connection.execute(text("WITH n AS (SELECT 1 AS x) SELECT x FROM n"))
        assert status(connection) == TransactionStatus.IDLE
        connection.commit()


def test_a_write_opens_the_transaction_and_everything_after_it_is_in_it(engine):
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        connection.execute(text("INSERT INTO probe VALUES (1)"))
        assert status(connection) == TransactionStatus.INTRANS
        assert connection.execute(text("SELECT count(*) FROM probe")).scalar_one() == 1
        connection.execute(text("INSERT INTO probe VALUES (2)"))
        assert count(engine) == 0, "nothing is visible before the commit"
        connection.rollback()
    assert count(engine) == 0, "the rollback undid both writes"

    with engine.connect() as connection:
        connection.execute(text("INSERT INTO probe VALUES (1)"))
        connection.execute(text("INSERT INTO probe VALUES (2)"))
        connection.commit()
        assert status(connection) == TransactionStatus.IDLE
    assert count(engine) == 2


def test_a_failed_write_leaves_nothing_of_the_writes_before_it(engine):
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO probe VALUES (1)"))
        with pytest.raises(Exception, match="invalid input syntax"):
            connection.execute(text("INSERT INTO probe VALUES ('one')"))
        connection.rollback()
    assert count(engine) == 0


def test_a_select_that_locks_rows_holds_its_lock_until_the_end(engine):
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO probe VALUES (1)"))
        connection.commit()
        connection.execute(text("SELECT x FROM probe FOR UPDATE"))
        assert status(connection) == TransactionStatus.INTRANS
        connection.rollback()


@pytest.mark.parametrize(
    ("statement", "needs"),
    [
        ("SELECT 1", False),
        ("  select updated_at, last_used_at FROM api_tokens", False),
        ("WITH recent AS (SELECT 1) SELECT * FROM recent", False),
        ("SELECT x FROM probe FOR UPDATE", True),
        ("SELECT x FROM probe FOR NO KEY UPDATE OF probe", True),
        ("SELECT x FROM probe FOR KEY SHARE", True),
        ("SELECT x FROM probe FOR SHARE SKIP LOCKED", True),
        ("WITH gone AS (DELETE FROM probe RETURNING x) SELECT count(*) FROM gone", True),
        ("WITH n AS (INSERT INTO probe VALUES (1) RETURNING x) SELECT x FROM n", True),
        ("SELECT x INTO copy_of_probe FROM probe", True),
        ("SELECT pg_advisory_xact_lock(42)", True),
        ("SELECT nextval('probe_seq')", True),
        ("SELECT set_config('statement_timeout', '1s', true)", True),
        ("INSERT INTO probe VALUES (1)", True),
        ("UPDATE probe SET x = 2", True),
        ("DELETE FROM probe", True),
        ("SAVEPOINT sa_savepoint_1", True),
        ("CREATE INDEX ON probe (x)", True),
        ("LOCK TABLE probe", True),
        ("SET TIME ZONE 'UTC'", True),
        (";", True),
    ],
)
def test_which_statements_begin_a_transaction(statement, needs):
    assert _needs_transaction(statement) is needs

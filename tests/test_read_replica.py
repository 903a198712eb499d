"""MARKET4_DATABASE_READ_URL: dashboards and the API's statistics read the replica;
writes, sign-in and every other page use the primary.

The "replica" is a second database made as a copy of the primary and then changed, so
which one answered is visible in the page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update

from market4 import create_app
from market4.auth.models import User
from market4.banks.services import sync_banks
from market4.database_setup import upgrade_schema
from market4.extensions import db
from market4.read_replica import read_from_replica
from market4.registry.markets import Market
from tests import factories
from tests.clients import sign_in_directly

PRIMARY_NAME, REPLICA_NAME = "Chợ Tam Phước", "Chợ Bản Sao"


@pytest.fixture
def databases(tmp_path: Path) -> tuple[str, str, int]:
    """(primary URL, replica URL, admin id): one market, named differently in each."""
    primary, replica = tmp_path / "primary.db", tmp_path / "replica.db"
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{primary}"})
    with app.app_context():
        upgrade_schema()
        sync_banks()
        admin = factories.user("admin", factories.organisation(kind="operator", bank_bin=None))
        factories.stall(factories.market(name=PRIMARY_NAME))
        db.session.commit()
        admin_id = admin.id
        db.engine.dispose()
    shutil.copy(primary, replica)
    engine = create_engine(f"sqlite:///{replica}")
    with engine.begin() as connection:
        connection.execute(update(Market).values(name=REPLICA_NAME))
    engine.dispose()
    return f"sqlite:///{primary}", f"sqlite:///{replica}", admin_id


@pytest.fixture
def split_app(databases):
    primary, replica, admin_id = databases
    app = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": primary,
            "DATABASE_READ_URL": replica,
            "WTF_CSRF_ENABLED": False,
        }
    )
    # No app context held open: each request gets its own, with a fresh ``g``, as in
    # production.
    yield app, admin_id
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def test_the_dashboard_reads_the_replica_and_other_pages_the_primary(split_app):
    app, admin_id = split_app
    client = app.test_client()
    with app.app_context():
        sign_in_directly(client, db.session.get(User, admin_id))
        db.session.commit()
    dashboard = client.get("/tong-quan/")
    assert dashboard.status_code == 200
    assert REPLICA_NAME in dashboard.get_data(as_text=True)
    assert PRIMARY_NAME not in dashboard.get_data(as_text=True)
    markets = client.get("/cho/")
    assert markets.status_code == 200
    assert PRIMARY_NAME in markets.get_data(as_text=True)


def test_a_replica_request_still_writes_to_the_primary(split_app, databases):
    app, _ = split_app
    primary, replica, _ = databases
    with app.test_request_context("/tong-quan/"):
        read_from_replica()
        assert db.session.scalar(select(Market.name)) == REPLICA_NAME
        market = db.session.scalar(select(Market))
        db.session.add(
            Market(code="NEW-1", name="Chợ Mới", commune_id=market.commune_id)
        )  # flushed by the next query's autoflush, then committed: both on the primary
        db.session.execute(update(Market).where(Market.code == "NEW-1").values(name="Chợ Mới 2"))
        db.session.commit()
    for url, expected in ((primary, ["Chợ Mới 2"]), (replica, [])):
        engine = create_engine(url)
        with engine.connect() as connection:
            names = connection.scalars(text("SELECT name FROM markets WHERE code = 'NEW-1'"))
            assert list(names) == expected, url
        engine.dispose()


def test_without_a_replica_setting_there_is_one_database(app):
    assert "replica" not in db.engines
    with app.test_request_context("/tong-quan/"):
        read_from_replica()
        assert db.session.get_bind() is db.engines[None]

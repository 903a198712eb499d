"""Migrations: one head, upgrade from empty, models agree, downgrade and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from market4 import PROJECT_ROOT, create_app
from market4.banks import services as banks
from market4.database_setup import enable_migrations
from market4.demo import seed
from market4.extensions import db


def migrations_app(url: str):
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
    enable_migrations(app)
    return app


def test_exactly_one_head():
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrade_empty_database_then_models_match(new_database):
    app = migrations_app(new_database("migrate"))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_downgrade_to_base_and_up_again(new_database):
    app = migrations_app(new_database("roundtrip"))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "payment_accounts" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_the_rollup_migrations_fill_them_as_the_app_would(new_database):
    """The migrations that add ``market_days`` and ``market_bank_days`` fill them from the
    history already there: the same rows as the app's own rebuild, on the demo district."""
    app = migrations_app(new_database("rollup"))
    with app.app_context():
        upgrade()
        banks.sync_banks()
        seed.seed()
        db.session.commit()
        kept = _rollups()
        downgrade(revision=BEFORE_ROLLUPS)
        upgrade()
        assert _rollups() == kept
        assert all(kept.values())
        db.session.remove()
        db.engine.dispose()


BEFORE_ROLLUPS = "1ea2b07b0952"


def _rollups() -> dict[str, list[tuple]]:
    with db.engine.connect() as connection:
        return {
            table: sorted(tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}")))
            for table in ("market_days", "market_bank_days")
        }

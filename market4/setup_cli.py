"""``market4 setup``: everything a new database needs, safe to run on every start."""

from __future__ import annotations

import click

from market4.areas import services as area_services
from market4.banks.services import sync_banks
from market4.database_setup import upgrade_schema
from market4.demo import seed as demo
from market4.demo.cli import ALLOW_IN_PRODUCTION, check_demo_allowed
from market4.extensions import db
from market4.unit_of_work import cli_command


@click.command("setup")
@click.option(
    "--demo-if-empty",
    is_flag=True,
    help="Also build the demo district when the database has no markets.",
)
@ALLOW_IN_PRODUCTION
@cli_command
def setup_command(demo_if_empty: bool, allow_in_production: bool) -> None:
    """Migrate the schema, sync the bank directory, load administrative units."""
    if demo_if_empty:
        check_demo_allowed(allow_in_production)  # before anything changes
    upgrade_schema()
    added, updated = sync_banks()
    if area_services.unit_count() == 0:
        area_services.load_country()
    # Setup code, allowed its own commit (tests/test_one_commit.py): the reference data
    # is kept even when building the optional demo below fails.
    db.session.commit()
    click.echo(f"Database ready (banks: {added} added, {updated} updated).")
    if demo_if_empty and not _has_markets():
        logins = demo.seed()
        click.echo("Demo district created. Logins (password market4-demo):")
        for login in logins:
            click.echo(f"  {login.email:<36} {login.role}")


def _has_markets() -> bool:
    from sqlalchemy import select

    from market4.registry.markets import Market

    return db.session.scalar(select(Market.id).limit(1)) is not None

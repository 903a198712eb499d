"""``market4 demo seed``: the demo district and one login per role."""

from __future__ import annotations

import logging

import click
from flask import current_app

from market4.demo import data
from market4.demo import seed as demo
from market4.unit_of_work import cli_command


@click.group("demo")
def demo_group() -> None:
    """Demo data for trying market4 out."""


ALLOW_IN_PRODUCTION = click.option(
    "--allow-demo-in-production",
    "allow_in_production",
    is_flag=True,
    help="Build the demo even when MARKET4_ENV=production (its logins are public).",
)


def check_demo_allowed(allow_in_production: bool) -> None:
    """Demo logins share a published password: a production database must not get them
    by accident (a deployment script copied from the README), only on purpose."""
    if current_app.config["ENV_NAME"] != "production":
        return
    if not allow_in_production:
        raise click.ClickException(
            "refusing to build the demo data in production: its logins use the published "
            "password. Use MARKET4_ENV=development, or --allow-demo-in-production for a "
            "throw-away showcase server."
        )
    click.echo(
        f"WARNING: building demo data in production; every demo login has the password "
        f"{data.DEMO_PASSWORD!r}. Never let real vendors into this database.",
        err=True,
    )


@demo_group.command("seed")
@click.option("--reset", is_flag=True, help="Delete the demo data first and build it again.")
@ALLOW_IN_PRODUCTION
@cli_command
def seed_command(reset: bool, allow_in_production: bool) -> None:
    """Build the demo district (15 markets, 1,420 stalls); safe to run twice."""
    check_demo_allowed(allow_in_production)
    if reset:
        demo.reset()
    existed = demo.demo_exists()
    logins = demo.seed()
    click.echo(
        "Demo data already present; nothing changed."
        if existed
        else "Demo district created: 15 markets, 1420 stalls."
    )
    click.echo(f"Demo logins (password: {data.DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.email:<36} {login.role:<15} {login.description}")


@demo_group.command("national")
@click.option(
    "--scale",
    type=click.FloatRange(min=0.0001, max=1.0),
    default=1.0,
    show_default=True,
    help="Share of the country to build: 1 is ~11,000 markets and ~2,000,000 stalls.",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Same seed, same country.")
@ALLOW_IN_PRODUCTION
@cli_command
def national_command(scale: float, seed: int, allow_in_production: bool) -> None:
    """Build a synthetic country into an empty PostgreSQL database (COPY), for load tests."""
    from market4.demo import national

    check_demo_allowed(allow_in_production)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    summary = national.build(scale=scale, seed=seed)
    click.echo(
        f"Country built in {summary.seconds:.0f} s: {summary.markets:,} markets, "
        f"{summary.stalls:,} stalls, {summary.vendors:,} vendors, "
        f"{summary.status_changes:,} status changes, {summary.reports:,} monthly QR reports."
    )

"""``market4 demo seed``: the demo district and one login per role."""

from __future__ import annotations

import click

from market4.demo import data
from market4.demo import seed as demo
from market4.extensions import db


@click.group("demo")
def demo_group() -> None:
    """Demo data for trying market4 out."""


@demo_group.command("seed")
@click.option("--reset", is_flag=True, help="Delete the demo data first and build it again.")
def seed_command(reset: bool) -> None:
    """Build the demo district (15 markets, 1,420 stalls); safe to run twice."""
    if reset:
        demo.reset()
    existed = demo.demo_exists()
    logins = demo.seed()
    db.session.commit()
    click.echo(
        "Demo data already present; nothing changed."
        if existed
        else "Demo district created: 15 markets, 1420 stalls."
    )
    click.echo(f"Demo logins (password: {data.DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.email:<36} {login.role:<15} {login.description}")

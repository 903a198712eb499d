"""``market4 areas ...``: the administrative-unit data."""

from __future__ import annotations

import click

from market4.areas import services
from market4.unit_of_work import cli_command


@click.group("areas")
def areas_group() -> None:
    """Administrative units (2008 and 2025 schemes)."""


@areas_group.command("load")
@cli_command
def load_command() -> None:
    """Load every province, district and commune of both schemes (idempotent)."""
    added = services.load_country()
    click.echo(f"{added} administrative units added; {services.unit_count()} in the database.")

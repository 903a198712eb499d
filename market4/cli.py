"""The ``market4`` console script: Flask's command group over ``create_app``.

``market4 run``, ``market4 db upgrade``, ``market4 shell`` and the project's own commands
work from any folder. Operator mistakes (a missing secret, an unreachable database) end
in one line on stderr, not a traceback.
"""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import ArgumentError, OperationalError

from market4 import create_app
from market4.config import ConfigError

cli = FlaskGroup(
    name="market4",
    create_app=lambda: create_app(),
    # The app is always ours; .env files would hide the MARKET4_* settings the README lists.
    load_dotenv=False,
    help="market4: cashless-market registry, VietQR placards and dashboards.",
)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="market4")
    except ConfigError as exc:
        click.echo(f"market4: configuration error: {exc}", err=True)
        sys.exit(1)
    except ArgumentError as exc:
        click.echo(f"market4: configuration error: bad database URL: {exc}", err=True)
        sys.exit(1)
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        click.echo(f"market4: database unreachable: {reason}", err=True)
        sys.exit(1)

"""The ``market4`` console script: Flask's command group over ``create_app``.

``market4 run``, ``market4 db upgrade``, ``market4 shell`` and the project's own commands
work from any folder. Operator mistakes (a missing secret, an unreachable database) end
in one line on stderr, not a traceback.
"""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.exc import ArgumentError, OperationalError

from market4 import create_app
from market4.config import ConfigError

# The app's own commands and their one-line help, so that ``market4 --help`` lists them
# without building the app: building it imports every feature, the API toolkit and the
# migration engine, four times the cost of importing Flask and SQLAlchemy. Running a
# command still builds the app and takes the command from ``app.cli``;
# tests/test_cli.py keeps this table equal to what the app registers.
APP_COMMANDS = {
    "activity": "Banks' monthly QR payment reports: import a CSV or XLSX file.",
    "areas": "Administrative units (2008 and 2025 schemes).",
    "banks": "List the bank directory (BIN, NAPAS code, short name, VietQR status, name).",
    "db": "Perform database migrations.",
    "demo": "Demo data for trying market4 out.",
    "openapi": "OpenAPI commands.",
    "placards": "VietQR placards: print from the registry, reprint list, revoke.",
    "print-jobs": "Print jobs: many markets' placards in one resumable run (a ZIP of PDFs).",
    "setup": "Migrate the schema, sync the bank directory, load administrative units.",
    "stats": "Markets, stalls and how many accept cashless payment.",
    "tokens": "API tokens of users (the partner API at /api/v1).",
    "users": "Users and their roles.",
    "vendors": "Vendors: import from Excel/CSV, merge duplicated records.",
    "vietqr": "Encode and check VietQR payloads for NAPAS247 transfers.",
}


class Market4Group(FlaskGroup):
    """Flask's command group, listing the app's commands from :data:`APP_COMMANDS`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(click.Group.list_commands(self, ctx)) | set(APP_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "db":
            # Flask-Migrate's commands: the app sets it up only for them.
            from market4.database_setup import enable_migrations

            enable_migrations(ctx.ensure_object(ScriptInfo).load_app())
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            # Flask's own commands (run, shell, routes) are at hand; the app's are not.
            command = click.Group.get_command(self, ctx, name) or click.Command(
                name, help=APP_COMMANDS[name]
            )
            rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


cli = Market4Group(
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

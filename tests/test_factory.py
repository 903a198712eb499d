"""The app factory, configuration from the environment, and one-line operator errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from market4 import create_app
from market4.config import ConfigError


def run_market4(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MARKET4_")}
    return subprocess.run(
        [sys.executable, "-c", "from market4.cli import main; main()", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_is_refused():
    with pytest.raises(ConfigError, match="MARKET4_SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": None})


@pytest.mark.parametrize(
    "secret",
    ["x", "x" * 64, "short-but-not-empty", "development-only-not-secret", "0123456789" * 3],
)
def test_production_refuses_a_weak_secret_key(secret):
    with pytest.raises(ConfigError, match="too weak"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": secret})


def test_production_accepts_a_generated_secret_key(tmp_path):
    import secrets

    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
        }
    )
    assert app.config["ENV_NAME"] == "production"


def test_weak_secret_key_is_one_line_on_the_command_line(tmp_path):
    result = run_market4(
        "stats",
        env={
            "MARKET4_ENV": "production",
            "MARKET4_SECRET_KEY": "x",
            "MARKET4_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        },
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "MARKET4_SECRET_KEY is too weak" in result.stderr


def test_missing_secret_key_is_one_line_on_the_command_line(tmp_path):
    result = run_market4(
        "stats",
        env={"MARKET4_ENV": "production", "MARKET4_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "MARKET4_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line(tmp_path):
    result = run_market4(
        "stats",
        env={
            "MARKET4_ENV": "production",
            "MARKET4_SECRET_KEY": "production-test-secret-0123456789abcdef",
            # Port 9 (discard) has no PostgreSQL behind it on any machine we run on.
            "MARKET4_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
        },
    )
    assert result.returncode == 1
    assert result.stderr.startswith("market4: database unreachable:"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_malformed_database_url_is_one_line():
    result = run_market4(
        "stats", env={"MARKET4_ENV": "development", "MARKET4_DATABASE_URL": "not a url"}
    )
    assert result.returncode == 1
    assert result.stderr.startswith("market4: configuration error:"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="MARKET4_ENV"):
        create_app({"ENV_NAME": "staging"})


def test_settings_come_from_prefixed_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MARKET4_CASHLESS_MARKET_THRESHOLD", "0.9")
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/t.db"})
    assert app.config["CASHLESS_MARKET_THRESHOLD"] == 0.9


def test_default_database_is_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.delenv("MARKET4_DATABASE_URL", raising=False)
    app = create_app({"ENV_NAME": "testing"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/instance/market4.db")


def test_postgres_urls_use_psycopg3(tmp_path):
    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": "postgresql://u@h/db"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_help_lists_every_command_the_app_registers_with_its_own_help(app):
    """``market4 --help`` reads market4.cli.APP_COMMANDS instead of building the app."""
    import click

    from market4.cli import APP_COMMANDS
    from market4.database_setup import enable_migrations

    enable_migrations(app)  # what ``market4 db`` does first
    ctx = click.Context(app.cli)
    registered = {name: app.cli.get_command(ctx, name) for name in app.cli.list_commands(ctx)}
    assert set(APP_COMMANDS) == set(registered)
    for name, command in registered.items():
        assert APP_COMMANDS[name] == command.get_short_help_str(limit=500), name


def test_help_builds_no_app_and_imports_no_feature():
    """Help is answered before the app, its features and the heavy libraries load."""
    probe = (
        "import sys\n"
        "from market4.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('market4.extensions', 'market4.registry', 'flask_migrate', 'flask_smorest',"
        " 'openpyxl', 'reportlab')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MARKET4_")}
    # Production without a secret: help must not need one (it used to print a traceback).
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**clean, "MARKET4_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(r"\n  vendors +Vendors: import from Excel/CSV", result.stdout)
    assert result.stdout.strip().splitlines()[-1] == "[]"

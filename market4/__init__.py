"""market4: the cashless-market (chợ 4.0) registry, placards and dashboards."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from market4.config import CONFIG_CLASSES, ENVIRONMENTS, ConfigError, check_secret_key

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout holding this package (tests and benchmarks write their artefacts there).
PROJECT_ROOT = PACKAGE_DIR.parent
# templates/, static/ and migrations/ sit beside the package in a checkout (the agreed
# layout); building a wheel copies them into the package (setup.py).
ASSET_ROOT = PACKAGE_DIR if (PACKAGE_DIR / "templates").is_dir() else PROJECT_ROOT


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: ``config`` (tests) overrides ``MARKET4_*`` variables and defaults."""
    app = Flask(
        __name__,
        template_folder=str(ASSET_ROOT / "templates"),
        static_folder=str(ASSET_ROOT / "static"),
        instance_relative_config=True,
    )
    configure(app, config or {})
    register_extensions(app)
    register_blueprints(app)
    register_template_filters(app)
    register_commands(app)
    return app


def configure(app: Flask, overrides: Mapping[str, Any]) -> None:
    env_name = overrides.get("ENV_NAME") or os.environ.get("MARKET4_ENV", "production")
    if env_name not in ENVIRONMENTS:
        raise ConfigError(f"MARKET4_ENV={env_name!r} is not one of {', '.join(ENVIRONMENTS)}")
    app.config.from_object(CONFIG_CLASSES[env_name])
    app.config.from_prefixed_env("MARKET4")
    app.config.update(overrides)
    app.config["ENV_NAME"] = env_name

    check_secret_key(app.config.get("SECRET_KEY"), env_name)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app)


def database_uri(app: Flask) -> str:
    url = app.config.get("DATABASE_URL")
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{Path(app.instance_path) / 'market4.db'}"
    return with_driver(url)


def with_driver(url: str) -> str:
    """Accept the usual postgres:// and postgresql:// spellings; the driver is psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def register_extensions(app: Flask) -> None:
    import market4.models  # noqa: F401 - every table must be known to Alembic and the app
    from market4.database_setup import engine_options
    from market4.extensions import db

    options = engine_options(app.config["SQLALCHEMY_DATABASE_URI"], app.config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config.get("DATABASE_READ_URL"):
        from market4.read_replica import REPLICA

        replica = with_driver(app.config["DATABASE_READ_URL"])
        app.config["SQLALCHEMY_BINDS"] = {
            REPLICA: {"url": replica, **engine_options(replica, app.config)}
        }
    db.init_app(app)
    with app.app_context():
        from market4.database_setup import install_per_connection_settings

        for engine in db.engines.values():
            install_per_connection_settings(engine)

    from market4 import i18n, unit_of_work
    from market4.auth.access import init_login
    from market4.extensions import csrf
    from market4.security import headers, input_guard, request_limits

    unit_of_work.init_app(app)
    request_limits.init_app(app)  # before CSRF and the input guard, which read the form
    input_guard.init_app(app)
    csrf.init_app(app)
    init_login(app)
    i18n.init_app(app)
    headers.init_app(app)


def register_blueprints(app: Flask) -> None:
    from market4 import api
    from market4.blueprints import all_blueprints

    for blueprint in all_blueprints():
        app.register_blueprint(blueprint)
    api.init_app(app)  # the partner API registers its own blueprints (flask-smorest)


def register_template_filters(app: Flask) -> None:
    from market4 import errors_pages, formatting, navigation, vocabulary

    navigation.init_app(app)
    errors_pages.init_app(app)

    app.add_template_filter(formatting.vn_number, "vn_number")
    app.add_template_filter(formatting.vn_percent, "vn_percent")
    app.add_template_filter(formatting.vn_date, "vn_date")
    app.add_template_filter(formatting.vn_month, "vn_month")
    app.add_template_filter(formatting.vn_datetime, "vn_datetime")
    app.add_template_filter(formatting.percent_class, "percent_class")
    # Templates compare with the vocabulary's members (``Role.ADMIN``), never bare codes.
    app.jinja_env.globals.update({enum.__name__: enum for enum in vocabulary.ENUMS})


def register_commands(app: Flask) -> None:
    from market4.commands import register

    register(app)

"""Shared fixtures: the app on each database backend, a rolled-back session per test.

Tests that take ``app`` (or ``client``, ``runner``, ``session``) run once on SQLite and
once on PostgreSQL. PostgreSQL needs ``MARKET4_TEST_DATABASE_URL`` (e.g.
``postgresql://postgres@127.0.0.1:5432/test``); without it, or when the server does not
answer, those tests are skipped with the reason, unless ``--require-postgres`` (CI) turns
the skip into a failure. The schema is built by the real migrations, once per backend.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import g, request_started
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from market4 import create_app
from market4.extensions import db

BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("market4")
    group.addoption(
        "--require-postgres",
        action="store_true",
        help="Fail instead of skipping when PostgreSQL is not available (CI).",
    )
    group.addoption(
        "--require-browser",
        action="store_true",
        help="Fail instead of skipping when Chromium/Playwright is missing (CI).",
    )
    group.addoption(
        "--require-poppler",
        action="store_true",
        help="Fail instead of skipping when pdftoppm is missing (CI).",
    )
    group.addoption(
        "--require-redis",
        action="store_true",
        help="Fail instead of skipping when MARKET4_TEST_REDIS_URL is unset or unreachable (CI).",
    )


def unavailable(config: pytest.Config, option: str, reason: str) -> None:
    """Skip, or fail when the run demands the missing tool (CI)."""
    if config.getoption(option):
        pytest.fail(f"{reason} (and {option} is set)", pytrace=False)
    pytest.skip(reason)


# --- printed output: rasterise PDFs, read their QR codes and text ---------------------


@pytest.fixture(scope="session")
def rasterise(request):
    """rasterise(pdf_bytes, dpi) -> list of grayscale PIL images, one per page (pdftoppm)."""
    if shutil.which("pdftoppm") is None:
        unavailable(
            request.config,
            "--require-poppler",
            "scan-back tests skipped: pdftoppm (Debian poppler-utils) not installed",
        )
    from PIL import Image

    def run(pdf: bytes, dpi: int):
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "in.pdf"
            source.write_bytes(pdf)
            subprocess.run(
                ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(Path(tmp) / "page")],
                check=True,
                capture_output=True,
                timeout=120,
            )
            pages = sorted(
                Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])
            )
            images = []
            for path in pages:
                with Image.open(path) as image:
                    images.append(image.convert("L").copy())
            return images

    return run


@pytest.fixture(scope="session")
def decode_qr():
    """decode_qr(image) -> decoded QR texts in reading order (top to bottom, then left to right)."""
    import zxingcpp

    def run(image) -> list[str]:
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        centred = []
        for barcode in found:
            corners = (
                barcode.position.top_left,
                barcode.position.top_right,
                barcode.position.bottom_left,
                barcode.position.bottom_right,
            )
            centred.append(
                (sum(p.y for p in corners) / 4, sum(p.x for p in corners) / 4, barcode.text)
            )
        centred.sort()
        rows: list[list[tuple[float, float, str]]] = []
        for item in centred:  # same row if centres are within 10 % of the page height
            if rows and abs(rows[-1][0][0] - item[0]) < image.height * 0.1:
                rows[-1].append(item)
            else:
                rows.append([item])
        return [text for row in rows for _, _, text in sorted(row, key=lambda item: item[1])]

    return run


@pytest.fixture(scope="session")
def pdf_text():
    """pdf_text(pdf_bytes) -> list of extracted page texts (pypdf)."""
    import io

    from pypdf import PdfReader

    def run(pdf: bytes) -> list[str]:
        return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]

    return run


# --- Redis ----------------------------------------------------------------------------


@pytest.fixture
def redis_settings(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """App settings for the Redis at MARKET4_TEST_REDIS_URL, with a key prefix of this
    test's own (so parallel workers and earlier runs never share a counter)."""
    import uuid

    url = os.environ.get("MARKET4_TEST_REDIS_URL")
    if not url:
        unavailable(
            request.config,
            "--require-redis",
            "Redis tests skipped: MARKET4_TEST_REDIS_URL is not set",
        )
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(
            request.config, "--require-redis", f"Redis tests skipped: {url} unreachable: {exc}"
        )
    prefix = f"market4-test-{uuid.uuid4().hex}"
    yield {"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix}
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    for key in client.scan_iter(f"LIMITS:{prefix}*"):
        client.delete(key)
    for key in client.scan_iter(f"rq:*{prefix}*"):  # the print jobs' queue (RQ's own keys)
        client.delete(key)
    client.close()


# --- databases ------------------------------------------------------------------------


def migrate_to_head(url: str) -> None:
    from market4.database_setup import upgrade_schema

    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": url})
    with app.app_context():
        upgrade_schema()
        db.engine.dispose()


class PostgresDatabases:
    """Creates throw-away databases next to MARKET4_TEST_DATABASE_URL's and drops them."""

    def __init__(self, base_url: str) -> None:
        url = make_url(base_url)
        if url.drivername in ("postgres", "postgresql"):
            url = url.set(drivername="postgresql+psycopg")
        self.base_url = url
        self.admin = create_engine(
            url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        self.created: list[str] = []

    def check(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text("SELECT 1"))

    def create(self, label: str) -> str:
        name = f"market4_{label}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.base_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases(request: pytest.FixtureRequest) -> Iterator[PostgresDatabases]:
    base_url = os.environ.get("MARKET4_TEST_DATABASE_URL")
    if not base_url:
        unavailable(
            request.config,
            "--require-postgres",
            "PostgreSQL tests skipped: MARKET4_TEST_DATABASE_URL is not set",
        )
    databases = PostgresDatabases(base_url)
    try:
        databases.check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        unavailable(
            request.config,
            "--require-postgres",
            f"PostgreSQL tests skipped: {base_url} unreachable: {reason}",
        )
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def new_database(backend, request, tmp_path_factory):
    """Returns a function that creates a fresh, empty database URL on ``backend``."""
    if backend == "sqlite":

        def make_sqlite(label: str = "db") -> str:
            path = tmp_path_factory.mktemp("sqlite") / f"{label}.db"
            return f"sqlite:///{path}"

        return make_sqlite
    databases = request.getfixturevalue("postgres_databases")
    return databases.create


@pytest.fixture(scope="session")
def database_url(new_database) -> str:
    """The backend's test database, migrated to head once per session."""
    url = new_database("suite")
    migrate_to_head(url)
    return url


@pytest.fixture
def app(database_url, tmp_path):
    """The app inside one outer transaction that is rolled back after the test.

    The app's own commits become savepoint releases, so tests see real commit/rollback
    behaviour and still leave nothing behind (print jobs write under the test's tmp_path).
    """
    app = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "PRINT_JOBS_DIR": str(tmp_path / "print-jobs"),
        }
    )
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        db.session.configure(join_transaction_mode="create_savepoint")
        # Requests reuse this test's app context, so ``g`` would outlive each request;
        # in production every request starts with an empty ``g`` (and no cached user).
        request_started.connect(_forget_request_globals, app)
        request_started.connect(_commit_test_data, app)
        app.test_cli_runner_class = CommittingCliRunner
        try:
            yield app
        finally:
            db.session.remove()
            transaction.rollback()
            connection.close()
            engines[None] = engine
            engine.dispose()


def _commit_test_data(sender, **extra) -> None:
    """What a test flushed before a request is in the database, as it would be in
    production, so a request that fails (and rolls its own work back) cannot take it along.
    Still only a savepoint inside the test's transaction."""
    db.session.commit()


class CommittingCliRunner(FlaskCliRunner):
    """Commits what the test flushed before each command, like a request (above)."""

    def invoke(self, *args, **kwargs):
        db.session.commit()
        return super().invoke(*args, **kwargs)


def _forget_request_globals(sender, **extra) -> None:
    for name in list(g):
        g.pop(name)


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()

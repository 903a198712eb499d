"""Browser tests: Playwright drives Debian's Chromium against a live market4 server.

The server runs in a thread on a free loopback port, over a SQLite file seeded with the
demo district once per session. Screenshots go to ``test-artifacts/screenshots/``.
Without Chromium or Playwright the tests skip with the reason, unless
``--require-browser`` (CI) makes that a failure. Never run ``playwright install``: it
downloads a browser of its own; ``dev.py test`` installs Debian's ``chromium`` instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from market4 import PROJECT_ROOT, create_app
from market4.demo.data import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from market4.extensions import db
from tests.browser.live_server import serve_in_thread

CHROMIUM = os.environ.get("MARKET4_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser(request):
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        _unavailable(
            request, f"browser tests skipped: {CHROMIUM} not found (Debian package chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable(request, "browser tests skipped: the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _unavailable(request, reason: str) -> None:
    if request.config.getoption("--require-browser"):
        pytest.fail(f"{reason} (and --require-browser is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_server(live_app) -> str:
    """Base URL of a running app with the demo district in a fresh SQLite file."""
    return live_app.config["LIVE_SERVER_URL"]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory) -> Iterator:
    """The app behind ``live_server`` (for looking things up in its database)."""
    from market4.banks.services import sync_banks
    from market4.database_setup import upgrade_schema
    from market4.demo.seed import seed

    path = tmp_path_factory.mktemp("live") / "market4.db"
    app = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": f"sqlite:///{path}",
            "WTF_CSRF_ENABLED": True,
            "PRINT_JOBS_DIR": str(path.parent / "print-jobs"),
        }
    )
    with app.app_context():
        upgrade_schema()
        sync_banks()
        seed()
        db.session.commit()
    server = serve_in_thread(app)
    app.config["LIVE_SERVER_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server,
        locale="vi-VN",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server,
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def sign_in():
    """``sign_in(page, "quanlycho")`` signs a demo user in through the form."""
    return _sign_in


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` saves a full-page PNG under test-artifacts/."""
    return _screenshot


def _sign_in(page, local_part: str) -> None:
    page.goto("/dang-nhap")
    page.get_by_label("Email").fill(f"{local_part}@{DEMO_EMAIL_DOMAIN}")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap" not in url)


def _screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def go_offline(page) -> None:
    """Switch the phone's network off and wait until the page and its service worker both
    know: Chromium tells the worker later than the page, and a page the worker fetched
    meanwhile would come from the server (a file the worker has no copy of fails only
    then); the walk's pages choose between posting and keeping a visit by
    ``navigator.onLine``, so it must say offline too before a test goes on."""
    page.context.set_offline(True)
    page.wait_for_function(
        """async () => {
            if (navigator.onLine) {
                return false;
            }
            try {
                await fetch("/static/js/offline.js?offline-probe=" + Math.random());
                return false;
            } catch (offline) {
                return !navigator.onLine;
            }
        }""",
        polling=100,
    )

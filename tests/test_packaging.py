"""The built wheel is the product: installed outside the checkout it sets up and serves.

``python -m build`` makes the sdist and, from it, the wheel; a fresh virtual environment
outside the repository installs the wheel (its dependencies come from the package index,
as on a server), runs ``market4 setup --demo-if-empty`` and serves. Every demo role then
walks its pages, each page's CSS and JS must load, and the English switch must translate.
This is slow (a build and an install), so it runs once for the whole module.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

import pytest

from market4 import PROJECT_ROOT
from market4.demo.data import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD

DEMO_ROLES = ("admin", "agribank", "quanlycho", "huyenchauduc")
PAGES_PER_ROLE = 40
# Links that change state or only make files are left to the other tests.
SKIPPED_PATHS = re.compile(r"/dang-xuat|/ngon-ngu/|\.pdf$|\.png$|\.csv$|\.xlsx$|/tai-")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment, outside the checkout, with only the built wheel in it."""
    work = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(PROJECT_ROOT)])
    (wheel,) = (work / "dist").glob("market4-*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    return venv


@pytest.fixture(scope="module")
def server(installed: Path, tmp_path_factory) -> Iterator[str]:
    outside = tmp_path_factory.mktemp("elsewhere")  # not the checkout: nothing found by cwd
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MARKET4_", "FLASK_", "PYTHON"))
    }
    env["MARKET4_ENV"] = "development"
    market4 = str(installed / "bin" / "market4")
    run([market4, "setup", "--demo-if-empty"], cwd=outside, env=env)
    port = free_port()
    process = subprocess.Popen(
        [market4, "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=outside,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def test_the_installed_package_holds_no_compiled_catalogue(installed: Path) -> None:
    # .mo files are compiled into the instance folder at start-up, never into the package.
    (site_packages,) = (installed / "lib").glob("python3*/site-packages")
    package = site_packages / "market4"
    assert (package / "templates" / "base.html").is_file()
    assert (package / "migrations" / "env.py").is_file()
    assert list((package / "translations").rglob("*.po"))
    assert not list(package.rglob("*.mo"))


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_every_page_of_a_role_serves_with_its_styles_and_scripts(server: str, role: str) -> None:
    browser = Browser(server)
    browser.sign_in(f"{role}@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD)
    pages = browser.crawl(f"{server}/", limit=PAGES_PER_ROLE)
    assert len(pages) > 3, pages
    assets = {asset for page in pages.values() for asset in page.assets}
    assert any(urlsplit(asset).path.endswith(".css") for asset in assets), assets
    for asset in sorted(assets):
        status, content_type, body = browser.get(asset)
        assert status == 200 and body, asset
        expected = "text/css" if urlsplit(asset).path.endswith(".css") else "javascript"
        assert expected in content_type, (asset, content_type)


def test_every_static_file_is_served_as_committed(server: str) -> None:
    # Scripts and vendored libraries too (the crawl above only meets some of them).
    static = PROJECT_ROOT / "static"
    files = sorted(path for path in static.rglob("*") if path.is_file())
    assert any(path.suffix == ".js" for path in files)
    for path in files:
        url = f"{server}/static/{path.relative_to(static).as_posix()}"
        with urllib.request.urlopen(url, timeout=60) as response:
            assert response.read() == path.read_bytes(), url


def test_the_english_switch_translates_the_installed_app(server: str) -> None:
    browser = Browser(server)
    browser.sign_in(f"admin@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD)
    _, _, vietnamese = browser.get(f"{server}/")
    assert "Đăng xuất" in vietnamese
    browser.post_form(f"{server}/", "/ngon-ngu/en", {"next": "/"})
    _, _, english = browser.get(f"{server}/")
    assert "Sign out" in english and "Đăng xuất" not in english


class Page:
    def __init__(self, links: list[str], assets: list[str]) -> None:
        self.links = links
        self.assets = assets


class Browser:
    """Just enough of a browser: cookies, CSRF tokens from forms, links and assets."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, url: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(url, timeout=60) as response:
                body = response.read().decode("utf-8", "replace")
                return response.status, response.headers.get("Content-Type", ""), body
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), ""

    def post_form(self, page_url: str, action: str, fields: dict[str, str]) -> str:
        _, _, page = self.get(page_url)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, f"no CSRF token on {page_url}"
        data = urlencode({"csrf_token": token.group(1), **fields}).encode()
        with self.opener.open(urljoin(self.base, action), data=data, timeout=60) as response:
            return response.read().decode("utf-8", "replace")

    def sign_in(self, email: str, password: str) -> None:
        landing = self.post_form(
            f"{self.base}/dang-nhap", "/dang-nhap", {"email": email, "password": password}
        )
        assert "/dang-xuat" in landing, f"{email} could not sign in"

    def crawl(self, start: str, limit: int) -> dict[str, Page]:
        seen: dict[str, Page] = {}
        queue = [start]
        while queue and len(seen) < limit:
            url = queue.pop(0)
            if url in seen:
                continue
            status, content_type, body = self.get(url)
            assert status == 200, f"{url} answered {status}"
            if "text/html" not in content_type:
                continue
            page = parse_page(url, body)
            seen[url] = page
            queue.extend(link for link in page.links if self.follows(link) and link not in seen)
        return seen

    def follows(self, url: str) -> bool:
        return url.startswith(self.base) and not SKIPPED_PATHS.search(urlsplit(url).path)


class LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        elif tag == "script" and values.get("src"):
            self.assets.append(values["src"] or "")
        elif tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.assets.append(values["href"] or "")


def parse_page(url: str, body: str) -> Page:
    parser = LinkParser()
    parser.feed(body)
    absolute = [urldefrag(urljoin(url, link)).url for link in parser.links]
    return Page(absolute, [urljoin(url, asset) for asset in parser.assets])


def run(command: list[str], **kwargs) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise AssertionError("the installed server did not answer /healthz within 60 s")

"""No input makes a page fail: nasty values in every form field and query parameter.

Each role (and a signed-out visitor) walks every web page of the demo district, collects
every form on it (GET filters and POST forms alike, with their field names) and the
page's own path, then Hypothesis throws values at them: non-ASCII digits ("²"), NUL,
numbers too big for an id, wrong shapes, long text. Every answer must be below 500, on
SQLite and PostgreSQL (where a NUL or an out-of-range integer reaching the database would
raise). The partner API gets the same treatment from schemathesis (tests/api).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_authorisation_matrix import (  # noqa: F401 - fixtures
    ADMIN,
    ANON,
    MANAGER,
    PARTNER,
    STAFF,
    demo_objects,
    sign_in,
    web_routes,
)

NASTY = [
    "²",
    "١٢",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "2147483648",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "",
    " ",
    "%",
    "'\"",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "x" * 3000,
    "🙂",
    "30/02/2026",
    "2026-13-45",
    '=HYPERLINK("http://x")',
    "tru\u0301ng",
]
VALUES = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
# Actions that end the signed-in session: fuzzing them would only test the sign-in page.
SKIPPED_ACTIONS = {"/dang-xuat", "/mat-khau/dang-xuat-noi-khac"}
SLOW_ANSWER_SECONDS = 10  # a hang detector, not a speed target


@dataclass(frozen=True)
class Target:
    method: str
    url: str
    fields: tuple[str, ...]


class FormFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(((attrs.get("method") or "get").lower(), attrs.get("action"), []))
        elif tag in ("input", "select", "textarea") and self.forms:
            name, kind = attrs.get("name"), (attrs.get("type") or "").lower()
            if name and name != "csrf_token" and kind not in ("file", "submit"):
                self.forms[-1][2].append(name)


def targets_of(client, app, values) -> list[Target]:
    targets = []
    for rule in web_routes(app):
        url = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
        targets.append(Target("GET", url, ()))
        if "GET" not in rule.methods:
            continue
        page = client.get(url)
        if page.status_code != 200 or not page.mimetype.startswith("text/html"):
            continue
        finder = FormFinder()
        finder.feed(page.get_data(as_text=True))
        for method, action, fields in finder.forms:
            target = urljoin(url, action) if action else url
            path = urlsplit(target).path
            if path not in SKIPPED_ACTIONS:
                targets.append(Target(method.upper(), path, tuple(dict.fromkeys(fields))))
    # The registration form's live check takes JSON from its script.
    targets.append(
        Target(
            "JSON",
            "/tieu-thuong/kiem-tra",
            ("account_id", "vendor_id", "stall_id", "bank_bin", "phone", "account_number"),
        )
    )
    return sorted(set(targets), key=lambda t: (t.url, t.method))


@pytest.fixture
def crawl(app, client, session, demo_objects, request):  # noqa: F811
    role = request.param
    sign_in(client, role)
    return client, targets_of(client, app, demo_objects)


def mangle_path(url: str, value: str) -> str:
    """The page's path with one of its segments replaced by ``value``."""
    parts = url.split("/")
    index = max(range(len(parts)), key=lambda i: parts[i].isdigit() or "-" in parts[i])
    parts[index] = value
    return "/".join(parts)


@pytest.mark.parametrize(
    "crawl",
    [ADMIN, PARTNER, MANAGER, STAFF, ANON],
    ids=["admin", "bank_partner", "market_manager", "area_staff", "signed_out"],
    indirect=True,
)
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_input_makes_a_page_fail(crawl, data):
    client, targets = crawl
    target = data.draw(st.sampled_from(targets), label="target")
    if target.fields:
        names = data.draw(
            st.lists(st.sampled_from(target.fields), min_size=1, unique=True), label="fields"
        )
    else:
        names = data.draw(st.lists(st.sampled_from(["q", "page", "id", "x"]), max_size=2))
    values = {name: data.draw(VALUES, label=name) for name in names}
    url = target.url
    if data.draw(st.booleans(), label="mangle path") and url.count("/") > 1:
        url = mangle_path(url, data.draw(st.sampled_from(["²", "%00", "2147483648", "-1"])))
    started = time.monotonic()
    if target.method == "JSON":
        shape = data.draw(st.sampled_from(["strings", "wrong types", "not an object"]))
        body = (
            values
            if shape == "strings"
            else {name: [value, {"x": 1}] for name, value in values.items()}
            if shape == "wrong types"
            else [list(values.values())]
        )
        response = client.post(url, json=body)
    elif target.method == "POST":
        response = client.post(url, data=values)
    else:
        response = client.get(url, query_string=values)
    elapsed = time.monotonic() - started
    assert response.status_code < 500, (target.method, url, values, response.status_code)
    assert elapsed < SLOW_ANSWER_SECONDS, (target.method, url, values, elapsed)


@pytest.mark.parametrize(
    ("role", "method", "url", "values", "status"),
    [
        (STAFF, "GET", "/tong-quan/", {"xa": "²"}, 200),
        (STAFF, "GET", "/tong-quan/", {"hang": "²"}, 200),
        (STAFF, "GET", "/tong-quan/xuat.csv", {"xa": "²", "hang": "²"}, 200),
        (PARTNER, "JSON", "/tieu-thuong/kiem-tra", {"account_id": "²"}, 200),
        (PARTNER, "JSON", "/tieu-thuong/kiem-tra", {"account_id": ["1"]}, 400),
        (PARTNER, "GET", "/tieu-thuong/", {"q": "a\x00b"}, 400),
        (MANAGER, "GET", "/cho/", {"q": "\x00"}, 400),
        (PARTNER, "GET", "/tieu-thuong/dang-ky", {"cho": "\x00"}, 400),
        (PARTNER, "GET", "/tieu-thuong/2147483648", {}, 404),
        (PARTNER, "GET", "/tieu-thuong/", {"trang": "²"}, 200),
    ],
)
def test_the_inputs_that_once_failed(
    client,
    demo_objects,  # noqa: F811
    role,
    method,
    url,
    values,
    status,
):
    sign_in(client, role)
    if method == "JSON":
        response = client.post(url, json=values)
    else:
        response = client.get(url, query_string=values)
    assert response.status_code == status
    if status == 400:
        message = (
            response.get_json()["message"] if response.is_json else response.get_data(as_text=True)
        )
        assert "NUL" in message or "phải là chữ hoặc số" in message

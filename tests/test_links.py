"""No page offers a link its reader may not follow.

Each role walks every page of the demo district it may open and follows each link on
it: a link that answers 403 (or 404) is a button the reader should never have been
shown, as the market manager's "register a vendor" button once was.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

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

# Files: their links are checked by the tests of what they print.
FILE_TYPES = ("application/pdf", "image/", "text/csv", "application/vnd.")


class LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith(("#", "mailto:", "tel:")):
            self.links.append(href)


@pytest.mark.parametrize(
    "role",
    [ADMIN, PARTNER, MANAGER, STAFF, ANON],
    ids=["admin", "bank_partner", "market_manager", "area_staff", "signed_out"],
)
def test_every_link_a_page_shows_can_be_followed(app, client, session, demo_objects, role):  # noqa: F811
    sign_in(client, role)
    adapter = app.url_map.bind("localhost")
    links: dict[tuple, tuple[str, str]] = {}  # one link per endpoint and query: pages repeat them
    for rule in web_routes(app):
        if "GET" not in rule.methods:
            continue
        url = rule.build({arg: demo_objects[arg] for arg in rule.arguments}, append_unknown=False)[
            1
        ]
        page = client.get(url)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        finder = LinkFinder()
        finder.feed(page.get_data(as_text=True))
        for href in finder.links:
            target = urlsplit(urljoin(url, href))
            if target.netloc or target.path.startswith("/static/"):
                continue
            endpoint, _ = adapter.match(target.path, method="GET")
            query = tuple(sorted(dict.fromkeys(p.split("=")[0] for p in target.query.split("&"))))
            links.setdefault((endpoint, query), (target.geturl(), url))
    assert links
    refused = []
    for target, shown_on in sorted(links.values()):
        response = client.get(target)
        if response.mimetype.startswith(FILE_TYPES):
            continue
        if response.status_code in (403, 404):
            refused.append(f"{shown_on} links to {target} ({response.status_code})")
    assert not refused, "\n".join(refused)

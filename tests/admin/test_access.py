"""Only admins reach /quan-tri: signed-out people are sent to sign in, other roles get 403.

The routes are read from the app's URL map, so a page added later is covered too.
"""

from __future__ import annotations

from market4.demo.data import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from market4.demo.seed import seed


def admin_routes(app) -> list[tuple[str, str]]:
    """(method, URL) for every admin endpoint, with id 1 for path parameters."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, url))
    return routes


def test_every_admin_endpoint_is_listed(app):
    urls = {url for _, url in admin_routes(app)}
    assert {
        "/quan-tri/",
        "/quan-tri/don-vi",
        "/quan-tri/tai-khoan",
        "/quan-tri/ngan-hang",
        "/quan-tri/cho",
        "/quan-tri/nhat-ky",
        "/quan-tri/dia-ban.json",
    } <= urls
    assert len(admin_routes(app)) >= 20


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    for method, url in admin_routes(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/dang-nhap"), (method, url)


def test_demo_roles_other_than_admin_are_refused_and_the_admin_gets_in(
    app, client, session, sign_in
):
    seed()  # once for all roles: seeding is the slow part
    for local_part in ("agribank", "quanlycho", "xangaigiao", "huyenchauduc", "socongthuong"):
        assert (
            sign_in(client, f"{local_part}@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD).status_code == 302
        )
        for method, url in admin_routes(app):
            response = client.open(
                url, method=method, data={"active": "0", "new_password": "x" * 12}
            )
            assert response.status_code == 403, (local_part, method, url)
        assert 'href="/quan-tri/"' not in client.get("/").get_data(as_text=True)
        client.post("/dang-xuat")

    assert sign_in(client, f"admin@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD).status_code == 302
    for url in (
        "/quan-tri/",
        "/quan-tri/don-vi",
        "/quan-tri/tai-khoan",
        "/quan-tri/ngan-hang",
        "/quan-tri/cho",
        "/quan-tri/nhat-ky",
        "/quan-tri/dia-ban.json?q=ngai",
    ):
        assert client.get(url).status_code == 200, url
    assert 'href="/quan-tri/"' in client.get("/").get_data(as_text=True)  # the main menu entry

"""The public home page and the health check."""

from __future__ import annotations

import io

from market4 import create_app


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database_as_503():
    app = create_app(
        {
            "ENV_NAME": "testing",
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
            "DATABASE_CONNECT_TIMEOUT": 1,
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    # Anyone may call /healthz: it says the database is down, never why (host names,
    # user names and driver messages help an attacker, not the load balancer).
    assert response.json == {"status": "error", "database": "unavailable"}
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_home_page_is_vietnamese_with_sign_in_link(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="vi"' in page
    assert "Đăng nhập" in page
    assert "chợ 4.0" in page.lower() or "Chợ 4.0" in page


def test_the_app_can_be_installed_on_a_phone(client):
    """A web-app manifest with icons the app serves itself, a favicon and a theme colour."""
    import json

    from PIL import Image

    page = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'rel="icon"' in page and 'name="theme-color"' in page
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["short_name"] == "market4" and manifest["lang"] == "vi"
    sizes = set()
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            with Image.open(io.BytesIO(served.data)) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
                sizes.add(image.width)
        served.close()
    assert {192, 512} <= sizes  # what browsers require to offer "install"
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.data[:4] == b"\x00\x00\x01\x00"
    favicon.close()

"""The public home page and the health check."""

from __future__ import annotations

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

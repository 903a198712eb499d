"""MARKET4_TRUSTED_PROXIES: whom to believe about X-Forwarded-For (nobody by default)."""

from __future__ import annotations

import pytest

from market4 import proxies
from market4.config import ConfigError


def address_seen(app, setting, peer, forwarded=None):
    app.extensions[proxies.EXTENSION] = proxies.parse(setting)
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    with app.test_request_context("/", headers=headers, environ_base={"REMOTE_ADDR": peer}):
        return proxies.client_address()


def test_by_default_the_header_is_ignored(app):
    assert address_seen(app, "", "203.0.113.5", "1.2.3.4") == "203.0.113.5"


@pytest.mark.parametrize(
    ("setting", "peer", "forwarded", "client"),
    [
        (1, "10.0.0.1", "198.51.100.7", "198.51.100.7"),
        # A client's own X-Forwarded-For is kept to the left; one proxy appends the real one.
        (1, "10.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        (2, "10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        # Fewer hops than configured: the request skipped a proxy; the peer is the client.
        (2, "10.0.0.1", "198.51.100.7", "10.0.0.1"),
        ("10.0.0.0/8", "10.0.0.1", "6.6.6.6, 198.51.100.7, 10.2.0.1", "198.51.100.7"),
        # A peer outside the list is not a proxy: its header is not believed.
        ("10.0.0.0/8", "203.0.113.5", "198.51.100.7", "203.0.113.5"),
        ("10.0.0.1,10.0.0.2", "10.0.0.2", "not-an-address", "10.0.0.2"),
        ("1", "10.0.0.1", "2001:db8::7", "2001:db8::7"),
    ],
)
def test_trusted_proxies_name_the_client(app, setting, peer, forwarded, client):
    assert address_seen(app, setting, peer, forwarded) == client


def test_a_bad_setting_stops_start_up_with_a_clear_error(database_url):
    from market4 import create_app

    with pytest.raises(ConfigError, match="MARKET4_TRUSTED_PROXIES: 'proxy.local'"):
        create_app(
            {"ENV_NAME": "testing", "DATABASE_URL": database_url, "TRUSTED_PROXIES": "proxy.local"}
        )


def test_behind_a_trusted_proxy_the_throttle_counts_the_real_clients(app, session):
    """Without the setting every client behind the proxy shares one address and one
    throttle; with it, one client's guesses do not hold back the others."""
    from market4.auth.models import LoginThrottle

    app.extensions[proxies.EXTENSION] = proxies.parse(1)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    for n in range(3):
        client.post(
            "/dang-nhap",
            data={"email": f"u{n}@example.vn", "password": "x"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
    keys = set(
        session.scalars(
            LoginThrottle.__table__.select()
            .with_only_columns(LoginThrottle.key)
            .where(LoginThrottle.kind == "address")
        )
    )
    assert keys == {"198.51.100.0", "198.51.100.1", "198.51.100.2"}

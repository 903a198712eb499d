"""Signed-in test clients for tests that make their own users (``auth.services.create_user``)."""

from __future__ import annotations

from typing import Any

PASSWORD = "mật khẩu đủ dài"


def signed_in(app: Any, user: Any, password: str = PASSWORD) -> Any:
    """A test client with ``user`` signed in through the real sign-in page."""
    client = app.test_client()
    response = client.post("/dang-nhap", data={"email": user.email, "password": password})
    assert response.status_code == 302, f"{user.email} could not sign in"
    return client

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


def sign_in_directly(client: Any, user: Any) -> None:
    """Sign ``user`` in without a password, as the sign-in page would: a server-side
    session row (market4.auth.sessions) and its secret in the cookie. ``None`` signs out."""
    from flask import g

    from market4.auth import sessions

    g.pop("_login_user", None)  # the test's app context outlives each request
    secret = None
    if user is not None:
        _, secret = sessions.start(user, remote_addr="127.0.0.1", user_agent="pytest")
    with client.session_transaction() as flask_session:
        flask_session.clear()
        if secret is not None:
            flask_session["_user_id"] = str(user.id)
            flask_session["_fresh"] = True
            flask_session[sessions.SECRET_NAME] = secret

"""Sign-in, sign-out, password change, rate limiting, language switch, users CLI."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from market4.auth.models import User
from tests import factories

PASSWORD = "correct horse battery"


@pytest.fixture
def user(make_admin):
    return make_admin("Lan@Example.vn", "Nguyễn Thị Lan", PASSWORD)


def sign_in(client, email, password):
    return client.post("/dang-nhap", data={"email": email, "password": password})


def test_sign_in_and_out(client, user):
    response = sign_in(client, "lan@example.vn", PASSWORD)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Nguyễn Thị Lan" in page and "Đăng xuất" in page
    client.post("/dang-xuat")
    assert "Đăng xuất" not in client.get("/").get_data(as_text=True)


def test_passwords_are_hashed_with_a_slow_hash(user):
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:", "argon2"))


def test_wrong_password_is_refused_in_vietnamese(client, user):
    response = sign_in(client, "lan@example.vn", "wrong password")
    assert response.status_code == 401
    assert "Email hoặc mật khẩu không đúng." in response.get_data(as_text=True)


def test_open_redirect_after_sign_in_is_ignored(client, user):
    response = client.post(
        "/dang-nhap?next=https://evil.example/",
        data={"email": "lan@example.vn", "password": PASSWORD},
    )
    assert response.headers["Location"] == LANDING[user.role]


# Each role lands where it works (when no page asked for the sign-in).
LANDING = {
    "admin": "/tong-quan/",
    "area_staff": "/tong-quan/",
    "market_manager": "/cho/",
    "bank_partner": "/tieu-thuong/",
}


@pytest.mark.parametrize("role", sorted(LANDING))
def test_each_role_lands_on_the_page_it_works_on(client, session, role):
    person = factories.user(role=role)
    person.password_hash = generate_password_hash(PASSWORD)
    session.flush()
    response = client.post("/dang-nhap", data={"email": person.email, "password": PASSWORD})
    assert response.headers["Location"] == LANDING[role]
    # Already signed in, the sign-in page sends them there too; a ?next= page wins.
    assert client.get("/dang-nhap").headers["Location"] == LANDING[role]


def test_change_password(client, user):
    sign_in(client, "lan@example.vn", PASSWORD)
    short = client.post(
        "/mat-khau",
        data={"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
    )
    assert "ít nhất 10" in short.get_data(as_text=True)
    response = client.post(
        "/mat-khau",
        data={
            "current_password": PASSWORD,
            "new_password": "a much longer one",
            "confirm": "a much longer one",
        },
    )
    assert response.status_code == 302
    client.post("/dang-xuat")
    assert sign_in(client, "lan@example.vn", "a much longer one").status_code == 302


def test_language_switch_to_english(client):
    client.post("/ngon-ngu/en", data={"next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Sign in" in page
    client.post("/ngon-ngu/vi", data={"next": "/"})
    assert "Đăng nhập" in client.get("/").get_data(as_text=True)


def test_session_cookie_flags(app, client, user):
    response = sign_in(client, "lan@example.vn", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_outside_development(tmp_path):
    from market4 import create_app

    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "production-test-secret-0123456789abcdef",
            "DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_csrf_is_enforced_on_forms(database_url, user):
    from market4 import create_app

    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": database_url})
    response = app.test_client().post("/dang-nhap", data={"email": "x@y.vn", "password": "z"})
    assert response.status_code == 400


def test_users_create_command(runner, session):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "root@market4.vn",
            "--role",
            "admin",
            "--password",
            "a long enough secret",
        ]
    )
    assert result.exit_code == 0, result.output
    created = session.scalar(select(User).where(User.email == "root@market4.vn"))
    assert created.role == "admin"
    refused = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "root@market4.vn",
            "--role",
            "admin",
            "--password",
            "a long enough secret",
        ]
    )
    assert refused.exit_code == 2
    assert re.search(r"email: .*đã có tài khoản", refused.output)


def test_wrong_password_message_is_translated(client, user):
    client.post("/ngon-ngu/en", data={"next": "/"})
    response = sign_in(client, "lan@example.vn", "wrong password")
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.get_data(as_text=True)

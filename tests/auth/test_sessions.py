"""Server-side sessions: logout, password change, deactivation and "sign out everywhere"
end every copy of a session; idle and absolute lifetimes; a fresh session at sign-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from market4.admin import services as admin_services
from market4.audit.models import AuditEvent
from market4.auth import sessions
from market4.auth.models import User, UserSession
from market4.db import now_utc
from tests import factories

PASSWORD = "correct horse battery"
PROTECTED = "/tong-quan/"


def make_user(session, email: str) -> User:
    """A bank partner with a password."""
    user = factories.user("bank_partner")
    user.email, user.password_hash = email, generate_password_hash(PASSWORD)
    session.flush()
    return user


@pytest.fixture
def admin(make_admin):
    return make_admin("quantri@example.vn", "Quản trị", PASSWORD)


def sign_in(app, email, password=PASSWORD, address="127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    response = client.post("/dang-nhap", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s cookie, taken now."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def opens(client) -> bool:
    return client.get(PROTECTED).status_code == 200


def test_a_cookie_copied_before_logout_is_dead_after_it(app, admin):
    owner = sign_in(app, admin.email)
    thief = copy_of(app, owner)
    assert opens(thief)
    owner.post("/dang-xuat")
    assert not opens(owner) and not opens(thief)
    assert thief.get(PROTECTED).headers["Location"].startswith("/dang-nhap")


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app, admin, session):
    phone, laptop = sign_in(app, admin.email), sign_in(app, admin.email)
    stolen = copy_of(app, laptop)  # the cookie as it was before the change
    response = laptop.post(
        "/mat-khau",
        data={
            "current_password": PASSWORD,
            "new_password": "a new long one",
            "confirm": "a new long one",
        },
    )
    assert response.status_code == 302
    assert opens(laptop)
    assert not opens(phone)
    assert not opens(stolen), "the session secret is renewed by the change"
    reasons = session.scalars(select(UserSession.revoked_reason).where(UserSession.user == admin))
    assert "password_changed" in set(reasons)


def test_deactivation_and_a_reset_password_end_every_session(app, admin, session):
    user = make_user(session, "lan@example.vn")
    client = sign_in(app, user.email)
    admin_services.set_user_active(user, False, actor=admin)
    session.commit()
    assert not opens(client)
    admin_services.set_user_active(user, True, actor=admin)
    client = sign_in(app, user.email)
    admin_services.reset_password(user, "handed over safely", actor=admin)
    session.commit()
    assert not opens(client)


def test_the_admins_sign_out_everywhere_button(app, admin, session):
    user = make_user(session, "lan@example.vn")
    phone, laptop = sign_in(app, user.email), sign_in(app, user.email)
    console = sign_in(app, admin.email)
    page = console.get(f"/quan-tri/tai-khoan/{user.id}").get_data(as_text=True)
    assert "Đang mở 2 phiên đăng nhập." in page
    response = console.post(f"/quan-tri/tai-khoan/{user.id}/dang-xuat-moi-noi")
    assert response.status_code == 302
    assert not opens(phone) and not opens(laptop) and opens(console)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "session_revoked"))
    assert event.actor_id == admin.id and event.after == {
        "sessions": 2,
        "reason": "sign_out_everywhere",
    }
    log = console.get("/quan-tri/nhat-ky?action=session_revoked").get_data(as_text=True)
    assert "Kết thúc phiên đăng nhập" in log and "Đăng xuất mọi nơi" in log


def test_the_sign_out_everywhere_command(app, runner, admin, session):
    client = sign_in(app, admin.email)
    with app.app_context():
        result = runner.invoke(args=["users", "sign-out-everywhere", "QuanTri@example.vn"])
    assert result.exit_code == 0, result.output
    assert "1 session" in result.output
    assert not opens(client)
    unknown = runner.invoke(args=["users", "sign-out-everywhere", "nobody@example.vn"])
    assert unknown.exit_code == 2 and "no user" in unknown.output


def test_a_user_sees_their_sessions_and_signs_the_others_out(app, admin):
    phone, laptop = sign_in(app, admin.email, address="10.0.0.7"), sign_in(app, admin.email)
    page = laptop.get("/mat-khau").get_data(as_text=True)
    assert "10.0.0.7" in page and "phiên này" in page
    assert laptop.post("/mat-khau/dang-xuat-noi-khac").status_code == 302
    assert opens(laptop) and not opens(phone)


def age(session, user, **fields):
    for row in session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        for name, delta in fields.items():
            setattr(row, name, getattr(row, name) - delta)
    session.commit()


def test_an_admin_session_ends_after_30_idle_minutes(app, admin, session):
    client = sign_in(app, admin.email)
    age(session, admin, last_seen_at=timedelta(minutes=29))
    assert opens(client)  # and that request counts as activity
    age(session, admin, last_seen_at=timedelta(minutes=31))
    response = client.get(PROTECTED, follow_redirects=True)
    assert "Phiên đăng nhập đã kết thúc" in response.get_data(as_text=True)
    row = session.scalar(select(UserSession).where(UserSession.user_id == admin.id))
    assert row.revoked_reason == "idle"


def test_other_roles_keep_a_working_day_but_no_session_outlives_12_hours(app, session):
    user = make_user(session, "lan@example.vn")
    client = sign_in(app, user.email)
    age(session, user, last_seen_at=timedelta(hours=3))
    assert opens(client)
    age(session, user, created_at=timedelta(hours=12))
    assert not opens(client)
    row = session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.revoked_reason == "expired"


def test_last_seen_is_written_at_most_once_a_minute(app, admin, session):
    client = sign_in(app, admin.email)
    row = session.scalar(select(UserSession).where(UserSession.user_id == admin.id))
    first = row.last_seen_at
    assert opens(client) and opens(client)
    session.refresh(row)
    assert row.last_seen_at == first
    age(session, admin, last_seen_at=timedelta(minutes=2))
    assert opens(client)
    session.refresh(row)
    assert now_utc() - row.last_seen_at < timedelta(seconds=30)


def test_sign_in_starts_a_new_session_and_a_new_csrf_token(app, admin, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
        token_before = before["csrf_token"]
    response = client.post(
        "/dang-nhap",
        data={"email": admin.email, "password": PASSWORD, "csrf_token": form_token},
    )
    assert response.status_code == 302
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf_token") != token_before
        assert after[sessions.SECRET_NAME]
    # The token from before sign-in no longer passes.
    refused = client.post("/mat-khau/dang-xuat-noi-khac", data={"csrf_token": form_token})
    assert refused.status_code == 400


def test_sign_in_out_and_failures_are_audited_with_the_address(app, admin, session):
    client = sign_in(app, admin.email, address="10.1.2.3")
    client.post("/dang-xuat")
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    stranger.post("/dang-nhap", data={"email": admin.email, "password": "wrong"})
    stranger.post("/dang-nhap", data={"email": "nobody@example.vn", "password": "wrong"})
    events = {
        (event.action, event.remote_addr, event.object_id)
        for event in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "User"))
    }
    assert ("sign_in", "10.1.2.3", str(admin.id)) in events
    assert ("sign_out", "10.1.2.3", str(admin.id)) in events
    assert ("sign_in_failed", "10.9.9.9", str(admin.id)) in events
    assert ("sign_in_failed", "10.9.9.9", None) in events


def test_the_cookie_goes_out_only_when_the_session_changes(app, admin):
    client = sign_in(app, admin.email)
    assert client.get(PROTECTED).status_code == 200  # the CSRF token is made here once
    for path in (PROTECTED, "/static/css/market4.css", "/healthz"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert "Set-Cookie" not in response.headers, path

    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("success", "Đã ghi nhận thử.")]
    response = client.get(PROTECTED)
    assert "Đã ghi nhận thử." in response.get_data(as_text=True)
    assert "Set-Cookie" in response.headers, "the message shown leaves the cookie"


def test_a_page_kept_ahead_leaves_a_waiting_message_to_the_next_page(app, admin):
    client = sign_in(app, admin.email)
    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("success", "Đã ghi nhận thử.")]

    ahead = client.get(PROTECTED, headers={"X-Market4-Keep": "ahead"})
    assert ahead.status_code == 200
    assert "Đã ghi nhận thử." not in ahead.get_data(as_text=True)

    assert "Đã ghi nhận thử." in client.get(PROTECTED).get_data(as_text=True)
    assert "Đã ghi nhận thử." not in client.get(PROTECTED).get_data(as_text=True)

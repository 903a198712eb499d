"""Sign-in requirements for views: who is signed in, and which roles a page admits."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from market4 import proxies
from market4.auth import sessions
from market4.auth.models import User, UserSession
from market4.db import now_utc
from market4.extensions import db, login_manager
from market4.parsing import ascii_int

SESSION_ENDED = _l("Phiên đăng nhập đã kết thúc, vui lòng đăng nhập lại.")
_ENDED_KEY = "market4_session_ended"
_CURRENT_KEY = "market4_user_session"
# What Flask-Login keeps in the cookie session besides our secret.
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember", sessions.SECRET_NAME)


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = _login_message
    proxies.init_app(app)
    sessions.init_app(app)
    app.before_request(resume_session)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    number = ascii_int(user_id)
    user = db.session.get(User, number) if number is not None else None
    if user is None or not user.is_active:
        _forget_session()
        return None
    return _check_session(user)


def _check_session(user: User) -> User | None:
    """``user`` if the cookie's secret names a live session of theirs, else None."""
    row = sessions.find(session.get(sessions.SECRET_NAME))
    now = now_utc()
    reason = "missing" if row is None or row.user_id != user.id else None
    if reason is None:
        reason = sessions.ended(row, user, sessions.lifetimes(), now)
    if reason is not None:
        if row is not None and row.user_id == user.id and reason in ("idle", "expired"):
            sessions.revoke(row, reason)
        _forget_session()
        return None
    if sessions.needs_touch(row, now):
        row.last_seen_at = now
    g.setdefault(_CURRENT_KEY, row)
    return user


def _forget_session() -> None:
    for key in _LOGIN_KEYS:
        session.pop(key, None)
    g.setdefault(_ENDED_KEY, True)


def resume_session() -> None:
    """``before_request``: check the session first thing. The once-a-minute
    ``last_seen_at`` write is part of the request's unit of work (market4.unit_of_work):
    kept when the request succeeds; a refused request leaves it to the next one."""
    if "_user_id" not in session or request.endpoint == "static":
        return
    current_user._get_current_object()  # runs load_user


def current_session() -> UserSession | None:
    """The server-side session of this request's signed-in user."""
    if not current_user.is_authenticated:
        return None
    return g.get(_CURRENT_KEY)


def remember_session(row: UserSession) -> None:
    g.setdefault(_CURRENT_KEY, row)


def _login_message(message: object) -> str:
    # A session that just ended says so instead of the plain "please sign in".
    return str(SESSION_ENDED if g.get(_ENDED_KEY) else message)


def role_required(*roles: str) -> Callable:
    """Signed-out users go to sign-in; signed-in users of another role get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator

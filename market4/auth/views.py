"""Sign in, sign out, change password, switch language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from market4 import unit_of_work
from market4.auth import devices, services, sessions
from market4.auth.access import current_session, remember_session
from market4.auth.forms import PasswordForm, SignInForm, SignOutOthersForm
from market4.errors import ValidationFailed
from market4.formatting import vn_datetime
from market4.i18n import LOCALES
from market4.navigation import home_for
from market4.proxies import client_address

bp = Blueprint("auth", __name__)


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        address = client_address()
        email = form.email.data.strip().lower()
        known = devices.read(request)
        try:
            user = services.authenticate(
                email,
                form.password.data,
                remote_addr=address,
                device=devices.device_for(known, email),
            )
        except services.TooManyAttempts as refused:
            unit_of_work.keep_despite_refusal()  # the refusal is recorded in the access log
            message = _(
                "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.",
                minutes=refused.minutes,
            )
            status, headers = _held_back(form.password, message, refused)
        except ValidationFailed:
            unit_of_work.keep_despite_refusal()  # the failure feeds the throttle and the log
            form.password.errors.append(_("Email hoặc mật khẩu không đúng."))
            status = 401
        else:
            row, secret = services.sign_in(
                user, remote_addr=address, user_agent=request.user_agent.string
            )
            _begin_session(user, row, secret)
            response = redirect(_safe_next(request.args.get("next")) or home_for(user))
            devices.remember(response, email, known)
            return response
    return render_template("auth/login.html", form=form), status, headers


def _held_back(field, message: str, refused: services.TooManyAttempts) -> tuple[int, dict]:
    """The throttle's answer: the message at the field, 429 and when to come back."""
    field.errors.append(message)
    return 429, {"Retry-After": str(refused.seconds)}


def _clear_cookie_session() -> None:
    """Nothing of the cookie session survives but the language, so a session id or CSRF
    token planted before sign-in, or left after sign-out, is worthless."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _begin_session(user, row, secret: str) -> None:
    _clear_cookie_session()
    login_user(user)
    session[sessions.SECRET_NAME] = secret
    # The cookie lives as long as the server allows (PERMANENT_SESSION_LIFETIME).
    session.permanent = True
    remember_session(row)


@bp.post("/dang-xuat")
@login_required
def logout():
    services.sign_out(current_user, current_session())
    logout_user()
    _clear_cookie_session()
    flash(_("Bạn đã đăng xuất."), "success")
    return redirect(url_for("home.index"))


@bp.route("/mat-khau", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        this_session = current_session()
        try:
            services.change_password(
                current_user,
                form.current_password.data,
                form.new_password.data,
                session=this_session,
            )
        except services.TooManyAttempts as refused:
            unit_of_work.keep_despite_refusal()  # the refusal is recorded in the access log
            message = _(
                "Nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.",
                minutes=refused.minutes,
            )
            status, headers = _held_back(form.current_password, message, refused)
        except ValidationFailed as failure:
            unit_of_work.keep_despite_refusal()  # a wrong password counts against the throttle
            for error in failure.errors:
                getattr(form, error.field, form.new_password).errors.append(error.message)
        else:
            secret = sessions.renew(this_session) if this_session is not None else None
            if secret is not None:
                session[sessions.SECRET_NAME] = secret
            session.pop("csrf_token", None)
            flash(_("Đã đổi mật khẩu."), "success")
            return redirect(url_for("home.index"))
    return _password_page(form), status, headers


@bp.post("/mat-khau/dang-xuat-noi-khac")
@login_required
def sign_out_others():
    if SignOutOthersForm().validate_on_submit():
        count = services.sign_out_other_sessions(current_user, current_session())
        flash(_("Đã đăng xuất %(n)s phiên khác.", n=count), "success")
    return redirect(url_for("auth.password"))


def _password_page(form: PasswordForm) -> str:
    this_session = current_session()
    rows = sessions.active(current_user, sessions.lifetimes())
    return render_template(
        "auth/password.html",
        form=form,
        sign_out_form=SignOutOthersForm(formdata=None),
        user_sessions=[
            {
                "current": this_session is not None and row.id == this_session.id,
                "created": vn_datetime(row.created_at),
                "last_seen": vn_datetime(row.last_seen_at),
                "address": row.remote_addr or "–",
                "agent": row.user_agent or "–",
            }
            for row in rows
        ],
    )


@bp.post("/ngon-ngu/<locale>")
def set_locale(locale: str):
    if locale not in LOCALES:
        abort(404)
    session["locale"] = locale
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect after sign-in is a phishing tool."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target

"""Sign in, sign out, change password, switch language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from market4.auth import services
from market4.auth.forms import PasswordForm, SignInForm
from market4.errors import ValidationFailed
from market4.extensions import db
from market4.i18n import LOCALES

bp = Blueprint("auth", __name__)


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data, form.password.data, remote_addr=request.remote_addr
            )
        except services.TooManyAttempts:
            db.session.commit()
            form.password.errors.append(
                _("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.")
            )
            status = 429
        except ValidationFailed:
            db.session.commit()  # keep the failed attempt: it feeds the rate limit
            form.password.errors.append(_("Email hoặc mật khẩu không đúng."))
            status = 401
        else:
            db.session.commit()
            login_user(user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("auth/login.html", form=form), status


@bp.post("/dang-xuat")
@login_required
def logout():
    logout_user()
    flash(_("Bạn đã đăng xuất."), "success")
    return redirect(url_for("home.index"))


@bp.route("/mat-khau", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except ValidationFailed as failure:
            for error in failure.errors:
                getattr(form, error.field, form.new_password).errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Đã đổi mật khẩu."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


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

"""Sign-in and password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, Length

from market4.form_rules import email, required


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[required(), email()])
    password = PasswordField(_l("Mật khẩu"), validators=[required()])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[required()])
    new_password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[required(), Length(min=10, message=_l("Mật khẩu cần ít nhất 10 ký tự."))],
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            required(),
            EqualTo("new_password", message=_l("Hai mật khẩu không khớp.")),
        ],
    )


class SignOutOthersForm(FlaskForm):
    """The "sign out my other sessions" button: only the CSRF token."""

"""Sign-in and password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(), Length(min=10, message=_l("Mật khẩu cần ít nhất 10 ký tự."))],
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("Hai mật khẩu không khớp.")),
        ],
    )


class SignOutOthersForm(FlaskForm):
    """The "sign out my other sessions" button: only the CSRF token."""

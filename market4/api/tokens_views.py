"""The "Khóa API" page (/khoa-api): the signed-in user's API tokens.

Create shows the secret exactly once (it is not stored, only its hash); revoke ends a
token at once. Each view parses a form, calls ``api.tokens``, commits once and redirects,
except the page right after creation, which must show the secret and is not cached.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from market4 import unit_of_work
from market4.api import tokens
from market4.api.auth import DEFAULT_RATE_LIMIT_PER_MINUTE
from market4.auth.access import role_required
from market4.errors import DomainError, ValidationFailed
from market4.form_rules import max_length

bp = Blueprint("tokens", __name__, url_prefix="/khoa-api")

ROLES = tuple(sorted(tokens.TOKEN_ROLES))


class TokenForm(FlaskForm):
    name = StringField(
        _l("Tên khóa"),
        validators=[DataRequired(_l("Cần đặt tên cho khóa.")), max_length(tokens.NAME_MAX)],
    )


class RevokeForm(FlaskForm):
    """Only the CSRF token: the token id is in the URL."""


def _page(form: TokenForm, new_token: tokens.NewToken | None = None, status: int = 200):
    response = current_app.make_response(
        (
            render_template(
                "api/tokens.html",
                form=form,
                revoke_form=RevokeForm(),
                tokens=tokens.list_tokens(current_user),
                new_token=new_token,
                active_max=tokens.ACTIVE_TOKENS_MAX,
                rate_limit=current_app.config.get(
                    "API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE
                ),
            ),
            status,
        )
    )
    # The secret is on this page once: keep it out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@role_required(*ROLES)
def index():
    return _page(TokenForm())


@bp.post("/")
@role_required(*ROLES)
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        new_token = tokens.create_token(
            current_user, form.name.data, actor=current_user, channel="web"
        )
    except ValidationFailed as error:
        form.name.errors = [e.message for e in error.errors]
        return _page(form, status=422)
    except DomainError as error:
        unit_of_work.discard()
        flash(error.message, "error")
        return redirect(url_for("tokens.index"))
    return _page(TokenForm(formdata=None), new_token=new_token, status=201)


@bp.post("/<int:token_id>/thu-hoi")
@role_required(*ROLES)
def revoke(token_id: int):
    if not RevokeForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ hoặc phiên làm việc đã hết hạn, vui lòng thử lại."), "error")
        return redirect(url_for("tokens.index"))
    try:
        token = tokens.get_token(token_id, owner=current_user)
        tokens.revoke_token(token, actor=current_user, channel="web")
    except DomainError as error:
        unit_of_work.discard()
        if error.status == 404:
            abort(404)
        flash(error.message, "error")
        return redirect(url_for("tokens.index"))
    flash(
        _("Đã thu hồi khóa “%(name)s”: từ giờ khóa này không dùng được nữa.", name=token.name),
        "success",
    )
    return redirect(url_for("tokens.index"))

"""Admin forms: each declares its fields and rules and turns itself into service input.

Rules that belong to the domain (a bank branch needs a bank, a commune office a 2025
commune, market codes are unique) live in the services, so the CLI and the API get
them too; :func:`show_errors` puts the services' messages next to the fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from market4.admin import queries
from market4.admin.fields import (
    AreaField,
    CheckboxListField,
    optional_int,
)
from market4.admin.market_services import MARKET_CODE_MAX, MarketData
from market4.admin.services import AREA_LEVELS_BY_KIND, OrganisationData, UserChanges
from market4.areas.models import SCHEME_2008, SCHEME_2025
from market4.auth.models import ORGANISATION_KINDS, ROLES, Organisation
from market4.auth.services import MIN_PASSWORD_LENGTH
from market4.errors import DomainError, Duplicate, ValidationFailed
from market4.extensions import db
from market4.form_rules import REQUIRED, ChoiceField, VietnameseDateField, max_length, one_of
from market4.registry.markets import MARKET_CLASSES, MARKET_KINDS, Market

PASSWORD_TOO_SHORT = _l("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH)
PASSWORDS_DIFFER = _l("Hai mật khẩu không khớp.")


def translated(labels: Mapping[str, object]) -> list[tuple[str, str]]:
    """Choices from the models' Vietnamese label tables, through the catalogue at render time."""
    return [(key, str(label)) for key, label in labels.items()]


def show_errors(form: FlaskForm, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Each problem next to its field; one without a field becomes a flash message."""
    aliases = aliases or {}
    if isinstance(error, ValidationFailed):
        problems = [(item.field, item.message) for item in error.errors]
    elif isinstance(error, Duplicate):
        problems = [(error.field, error.message)]
    else:
        problems = [("", error.message)]
    for field_name, message in problems:
        field = form._fields.get(aliases.get(field_name, field_name))
        if field is None:
            flash(message, "error")
        else:
            field.errors = [*field.errors, message]


class OrganisationForm(FlaskForm):
    kind = ChoiceField(_l("Loại đơn vị"))
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(REQUIRED), max_length(200)])
    bank_bin = ChoiceField(_l("Ngân hàng"), default="")
    area = AreaField(_l("Địa bàn"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = translated(ORGANISATION_KINDS)
        self.bank_bin.choices = [("", _("— Không chọn —")), *queries.bank_choices()]

    def validate(self, extra_validators: Any = None) -> bool:
        # A typed name is looked for among the units this kind of office may cover.
        self.area.levels = AREA_LEVELS_BY_KIND.get(self.kind.data)
        return super().validate(extra_validators)

    def to_data(self) -> OrganisationData:
        return OrganisationData(
            kind=self.kind.data,
            name=self.name.data or "",
            bank_bin=self.bank_bin.data or None,
            area=self.area.unit,
        )


def _role_and_organisation(form: FlaskForm) -> None:
    form.role.choices = translated(ROLES)
    form.organisation_id.choices = [
        ("", _("— Không thuộc đơn vị nào —")),
        *queries.organisation_choices(),
    ]


class UserCreateForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Email không hợp lệ."), check_deliverability=False),
            max_length(254),
        ],
    )
    name = StringField(_l("Họ tên"), validators=[DataRequired(REQUIRED), max_length(120)])
    # No role is preselected: an admin account is never what a hurried click creates.
    role = ChoiceField(_l("Vai trò"), validators=[DataRequired(_l("Chọn vai trò."))], default="")
    organisation_id = ChoiceField(_l("Đơn vị"), coerce=optional_int)
    password = PasswordField(
        _l("Mật khẩu ban đầu"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=MIN_PASSWORD_LENGTH, message=PASSWORD_TOO_SHORT),
        ],
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu"),
        validators=[DataRequired(REQUIRED), EqualTo("password", PASSWORDS_DIFFER)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _role_and_organisation(self)
        self.role.choices = [("", _("— Chọn vai trò —")), *self.role.choices]

    @property
    def organisation(self) -> Organisation | None:
        return (
            db.session.get(Organisation, self.organisation_id.data)
            if self.organisation_id.data
            else None
        )


class UserEditForm(FlaskForm):
    name = StringField(_l("Họ tên"), validators=[DataRequired(REQUIRED), max_length(120)])
    role = ChoiceField(_l("Vai trò"))
    organisation_id = ChoiceField(_l("Đơn vị"), coerce=optional_int)
    market_ids = CheckboxListField(_l("Chợ được giao quản lý"), coerce=int)
    is_active = BooleanField(_l("Tài khoản đang hoạt động"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _role_and_organisation(self)
        self.market_ids.choices = queries.market_choices()

    def to_changes(self) -> UserChanges:
        organisation_id = self.organisation_id.data
        organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
        markets = [db.session.get(Market, market_id) for market_id in self.market_ids.data or []]
        return UserChanges(
            name=self.name.data or "",
            role=self.role.data,
            organisation=organisation,
            markets=[market for market in markets if market is not None],
            is_active=bool(self.is_active.data),
        )


class PasswordResetForm(FlaskForm):
    new_password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=MIN_PASSWORD_LENGTH, message=PASSWORD_TOO_SHORT),
        ],
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(REQUIRED), EqualTo("new_password", PASSWORDS_DIFFER)],
    )


class MarketForm(FlaskForm):
    code = StringField(
        _l("Mã chợ"),
        validators=[DataRequired(REQUIRED), max_length(MARKET_CODE_MAX)],
        filters=[lambda text: text.strip().upper() if isinstance(text, str) else text],
    )
    name = StringField(_l("Tên chợ"), validators=[DataRequired(REQUIRED), max_length(160)])
    kind = ChoiceField(_l("Loại"))
    market_class = ChoiceField(_l("Hạng chợ"), coerce=optional_int)
    address = StringField(_l("Địa chỉ"), validators=[Optional(), max_length(255)])
    commune = AreaField(_l("Xã/phường/đặc khu (địa giới 2025)"), levels={(SCHEME_2025, "commune")})
    legacy_district = AreaField(
        _l("Huyện trước 01/07/2025 (không bắt buộc)"), levels={(SCHEME_2008, "district")}
    )
    programme_joined_on = VietnameseDateField(_l("Ngày tham gia chương trình chợ 4.0"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = translated(MARKET_KINDS)
        self.market_class.choices = [
            ("", _("— Chưa xếp hạng —")),
            *((number, _("Hạng %(n)d", n=number)) for number in MARKET_CLASSES),
        ]

    def to_data(self) -> MarketData:
        return MarketData(
            code=self.code.data or "",
            name=self.name.data or "",
            kind=self.kind.data,
            commune=self.commune.unit,
            market_class=self.market_class.data,
            address=self.address.data,
            legacy_district=self.legacy_district.unit,
            programme_joined_on=self.programme_joined_on.data,
        )


class ConfirmForm(FlaskForm):
    """A bare POST button (the bank sync): only the CSRF token."""


class UserActiveForm(FlaskForm):
    """The deactivate (``active=0``) or reactivate (``active=1``) button."""

    active = HiddenField(validators=[one_of(["0", "1"])])

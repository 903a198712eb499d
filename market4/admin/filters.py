"""The GET forms above each list: search box and selects, read from the query string.

They carry no CSRF token (they change nothing) and a bad value is simply ignored,
except a date the reader typed wrongly, which is pointed out next to the field.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField

from market4.admin import audit_log, queries
from market4.admin.audit_log import AuditFilters
from market4.admin.forms import translated
from market4.auth.models import ORGANISATION_KINDS, ROLES
from market4.form_rules import VietnameseDateField
from market4.parsing import ascii_int
from market4.registry.markets import MARKET_KINDS


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Tìm"))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(formdata=request.args, **kwargs)

    @property
    def query(self) -> str:
        return (self.q.data or "").strip()


def _any(label: Any) -> tuple[str, str]:
    return ("", str(label))


class OrganisationFilter(FilterForm):
    kind = SelectField(_l("Loại đơn vị"), validate_choice=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind.choices = [_any(_l("Tất cả")), *translated(ORGANISATION_KINDS)]


class UserFilter(FilterForm):
    role = SelectField(_l("Vai trò"), validate_choice=False)
    organisation = SelectField(_l("Đơn vị"), coerce=ascii_int, validate_choice=False)
    active = SelectField(_l("Trạng thái"), validate_choice=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.role.choices = [_any(_l("Tất cả")), *translated(ROLES)]
        self.organisation.choices = [_any(_l("Tất cả")), *queries.organisation_choices()]
        self.active.choices = [_any(_l("Tất cả")), ("1", _("Đang hoạt động")), ("0", _("Đã khóa"))]

    @property
    def active_flag(self) -> bool | None:
        return {"1": True, "0": False}.get(self.active.data or "")


class MarketFilter(FilterForm):
    commune = SelectField(_l("Xã/phường"), coerce=ascii_int, validate_choice=False)
    kind = SelectField(_l("Loại"), validate_choice=False)
    programme = SelectField(_l("Chợ 4.0"), validate_choice=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commune.choices = [_any(_l("Tất cả")), *queries.communes_with_markets()]
        self.kind.choices = [_any(_l("Tất cả")), *translated(MARKET_KINDS)]
        self.programme.choices = [
            _any(_l("Tất cả")),
            ("1", _("Đã tham gia")),
            ("0", _("Chưa tham gia")),
        ]

    @property
    def in_programme(self) -> bool | None:
        return {"1": True, "0": False}.get(self.programme.data or "")


class AuditFilterForm(FilterForm):
    actor = SelectField(_l("Người thực hiện"), coerce=ascii_int, validate_choice=False)
    object_type = SelectField(_l("Loại đối tượng"), validate_choice=False)
    object_id = StringField(_l("Mã đối tượng"))
    action = SelectField(_l("Thao tác"), validate_choice=False)
    date_from = VietnameseDateField(_l("Từ ngày"))
    date_to = VietnameseDateField(_l("Đến ngày"))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.actor.choices = [_any(_l("Tất cả")), *audit_log.actor_choices()]
        self.object_type.choices = [_any(_l("Tất cả")), *audit_log.object_type_choices()]
        self.action.choices = [_any(_l("Tất cả")), *audit_log.action_choices()]

    def to_filters(self) -> AuditFilters:
        """The filters to apply; a mistyped date is left out (and shown as an error)."""
        self.validate()
        return AuditFilters(
            actor_id=self.actor.data,
            object_type=self.object_type.data or None,
            object_id=(self.object_id.data or "").strip() or None,
            action=self.action.data or None,
            date_from=None if self.date_from.errors else self.date_from.data,
            date_to=None if self.date_to.errors else self.date_to.data,
        )

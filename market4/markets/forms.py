"""Forms of the market and stall pages: each declares its fields and its rules.

Domain rules (stall codes unique per market, known goods categories, dates after the
stall opened) live in ``markets.services`` so the CLI and the API share them;
:func:`show_errors` puts the services' messages next to the matching field.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Optional, ValidationError

from market4 import form_rules, stall_filters
from market4.db import today
from market4.errors import DomainError, ValidationFailed
from market4.form_rules import ChoiceField, InstantField, max_length
from market4.parsing import ascii_int
from market4.registry.validation import GOODS_CATEGORIES, STALL_CODE_MAX
from market4.vocabulary import (
    CHECK_RESULT_LABELS,
    REVOKE_REASON_LABELS,
    STALL_STATUS_LABELS,
    VISIT_OUTCOME_LABELS,
    StallStatus,
    VisitOutcome,
)

REQUIRED = _l("Vui lòng điền mục này.")

VISIT_LABELS = VISIT_OUTCOME_LABELS
CHECK_LABELS = CHECK_RESULT_LABELS

# Stall filter of the market page: "" = every open stall.
STALL_FILTERS = {
    StallStatus.ACCEPTING: STALL_STATUS_LABELS[StallStatus.ACCEPTING],
    StallStatus.NOT_ACCEPTING: STALL_STATUS_LABELS[StallStatus.NOT_ACCEPTING],
    "reprint": _l("Cần in lại bảng mã"),
    "visit": _l("Cần đến kiểm tra"),
    "vacant": _l("Sạp trống"),
    "closed": _l("Sạp đã đóng"),
}
REVOKE_REASONS = REVOKE_REASON_LABELS


class VietnameseDateField(form_rules.VietnameseDateField):
    """A dd/mm/yyyy date that starts as today in Vietnam (a visit, a move, a closing)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("default", today)
        super().__init__(label, validators, **kwargs)


def goods_choices() -> list[tuple[str, str]]:
    return [("", _("— Chưa chọn —")), *((name, _(name)) for name in GOODS_CATEGORIES)]


def choices(labels: dict[str, Any], blank: str | None = None) -> list[tuple[str, str]]:
    listed = [(key, str(label)) for key, label in labels.items()]
    return [("", blank), *listed] if blank is not None else listed


class StallForm(FlaskForm):
    """Add or edit a stall; the code's uniqueness is checked by ``create/update_stall``."""

    code = StringField(
        _l("Mã sạp"), validators=[DataRequired(REQUIRED), max_length(STALL_CODE_MAX)]
    )
    zone = StringField(_l("Khu / nhà lồng"), validators=[Optional(), max_length(60)])
    row = StringField(_l("Dãy"), validators=[Optional(), max_length(40)])
    goods_category = ChoiceField(_l("Ngành hàng"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goods_category.choices = goods_choices()

    def to_data(self) -> dict[str, Any]:
        return {
            "code": self.code.data,
            "zone": self.zone.data,
            "row": self.row.data,
            "goods_category": self.goods_category.data or None,
        }


class CloseStallForm(FlaskForm):
    closed_on = VietnameseDateField(_l("Ngày đóng sạp"), validators=[DataRequired(REQUIRED)])


class VisitForm(FlaskForm):
    """A verification visit: the outcome comes from the button pressed.

    The pages also send the live placard they showed (``placard_id``, empty for none),
    and a visit queued on a phone the moment it was recorded (``observed_at``): see
    ``services.record_visit``."""

    outcome = ChoiceField(_l("Kết quả kiểm tra"), validators=[DataRequired(REQUIRED)])
    visited_on = VietnameseDateField(_l("Ngày kiểm tra"), validators=[DataRequired(REQUIRED)])
    note = StringField(_l("Ghi chú"), validators=[Optional(), max_length(255)])
    # "walk": sent from walk mode, which goes on to the next stall of list ``walk_list``.
    back = HiddenField()
    walk_list = HiddenField()
    placard_id = HiddenField()
    observed_at = InstantField(_l("Thời điểm ghi nhận"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(key, str(VISIT_LABELS[key])) for key in VisitOutcome]

    def validate_placard_id(self, field: HiddenField) -> None:
        if field.data and ascii_int(field.data) is None:
            raise ValidationError(_("Mã bảng đã xem không hợp lệ."))

    def visit_arguments(self) -> dict[str, Any]:
        """``services.record_visit``'s keyword arguments from the validated form."""
        arguments: dict[str, Any] = {
            "on": self.visited_on.data,
            "note": self.note.data,
            "observed_at": self.observed_at.data,
        }
        if self.placard_id.data is not None:  # sent, even empty: the page said what it showed
            arguments["seen_placard_id"] = ascii_int(self.placard_id.data)
        return arguments


class VendorSearchForm(FlaskForm):
    """GET search for a vendor to put at a stall (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Tìm tiểu thương"), validators=[Optional(), max_length(80)])


class AssignForm(FlaskForm):
    vendor_id = HiddenField(validators=[DataRequired(REQUIRED)])
    started_on = VietnameseDateField(_l("Bắt đầu từ ngày"), validators=[DataRequired(REQUIRED)])
    replace_occupant = BooleanField(_l("Thay tiểu thương đang ở sạp"))


class NewVendorForm(FlaskForm):
    """A person not in the registry yet starts at the stall (their bank adds the account)."""

    display_name = StringField(
        _l("Họ tên tiểu thương"), validators=[DataRequired(REQUIRED), max_length(200)]
    )
    phone = StringField(
        _l("Số điện thoại di động"), validators=[DataRequired(REQUIRED), max_length(40)]
    )
    consent = BooleanField(_l("Tiểu thương đã đồng ý cho lưu và xử lý các thông tin trên"))
    started_on = VietnameseDateField(_l("Bắt đầu từ ngày"), validators=[DataRequired(REQUIRED)])
    replace_occupant = BooleanField(_l("Thay tiểu thương đang ở sạp"))


class MoveForm(FlaskForm):
    to_stall_id = ChoiceField(
        _l("Chuyển sang sạp"), coerce=str, validators=[DataRequired(REQUIRED)]
    )
    moved_on = VietnameseDateField(_l("Từ ngày"), validators=[DataRequired(REQUIRED)])
    replace_occupant = BooleanField(_l("Thay tiểu thương đang ở sạp mới"))


class EndOccupancyForm(FlaskForm):
    ended_on = VietnameseDateField(_l("Ngày rời sạp"), validators=[DataRequired(REQUIRED)])


class StallFilterForm(stall_filters.StallFilterForm):
    """The market page's stall filter (GET)."""

    STATUSES = STALL_FILTERS
    ALL_LABEL = _l("Mọi sạp đang mở")


class MarketSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Tìm chợ theo tên hoặc mã"), validators=[Optional(), max_length(80)])


def show_errors(
    form: FlaskForm, error: DomainError, aliases: dict[str, str] | None = None
) -> list[str]:
    """Put each problem next to its field; return the messages that have no field."""
    aliases = aliases or {}
    if isinstance(error, ValidationFailed):
        problems = [(item.field, item.message) for item in error.errors]
    elif error.code == "duplicate_stall_code":
        problems = [("code", error.message)]
    else:
        problems = [("", error.message)]
    loose = []
    for field_name, message in problems:
        field = form._fields.get(aliases.get(field_name, field_name))
        if field is None:
            loose.append(message)
        else:
            field.errors = [*field.errors, message]
    return loose

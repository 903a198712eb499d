"""Forms of the placard pages: print a market or a stall, revoke a placard, check a scan."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, ValidationError

from market4 import stall_filters
from market4.form_rules import ChoiceField, InstantField, max_length
from market4.parsing import ascii_int
from market4.vocabulary import PLACARD_LAYOUT_LABELS, REVOKE_REASON_LABELS, PlacardLayout

LAYOUT_LABELS = PLACARD_LAYOUT_LABELS
REVOKE_REASONS = REVOKE_REASON_LABELS


def _choices(labels: dict[str, object], keys: tuple[str, ...] | None = None) -> list[SelectChoice]:
    return [SelectChoice(key, labels[key]) for key in (keys or tuple(labels))]


# Which stalls a print run covers. "needed" is the default everywhere: a run never
# re-issues placards already posted on stalls unless asked, and then only after the
# count of posted placards that stop working has been confirmed.
PRINT_SCOPES = {
    "needed": _l("Chỉ các sạp cần in: chưa có bảng, bảng cũ hoặc bị mất"),
    "all": _l("Tất cả sạp có tài khoản (in lại cả bảng đang dán)"),
}


# The placard page's stall filter: what a market board asks before a print run or a walk.
PLACARD_FILTERS = {
    "reprint": _l("Cần in (mới hoặc in lại)"),
    "issued": _l("Đã in, chưa dán"),
    "posted": _l("Đã dán tại sạp"),
    "visit": _l("Cần đến kiểm tra"),
    "no_account": _l("Chưa có tài khoản để in"),
}


class PlacardFilterForm(stall_filters.StallFilterForm):
    """The placard page's stall filter (GET)."""

    STATUSES = PLACARD_FILTERS


class PrintForm(FlaskForm):
    """The one print form: a whole market, or one stall (``stall_id``); print or preview."""

    layout = RadioField(_l("Khổ giấy"), choices=_choices(LAYOUT_LABELS), default=PlacardLayout.A4X4)
    # Anything but "all" (including nothing, from a script) means the safe default.
    scope = RadioField(
        _l("In cho"), choices=_choices(PRINT_SCOPES), default="needed", validate_choice=False
    )
    cover_page = BooleanField(_l("Kèm trang danh sách để ký nhận khi dán"), default=True)
    stall_id = HiddenField()
    # The number of posted placards the person agreed to supersede (see print_stalls).
    confirm_superseding = HiddenField(default="0")

    @property
    def single_stall_id(self) -> int | None:
        return ascii_int(self.stall_id.data)

    @property
    def confirmed(self) -> int:
        return ascii_int(self.confirm_superseding.data) or 0


class PrintJobForm(FlaskForm):
    """Start a print job: every market of the user's scope, or of one province."""

    area = ChoiceField(_l("Các chợ"), default="")
    layout = RadioField(_l("Khổ giấy"), choices=_choices(LAYOUT_LABELS), default=PlacardLayout.A4X4)
    scope = RadioField(
        _l("In cho"), choices=_choices(PRINT_SCOPES), default="needed", validate_choice=False
    )
    confirm_current = BooleanField(
        _l("Tôi hiểu: mọi bảng mã đang dán tại các sạp này sẽ hết hiệu lực khi in lại")
    )
    cover_page = BooleanField(_l("Mỗi chợ kèm trang danh sách để ký nhận khi dán"), default=True)

    def __init__(self, *args: Any, areas: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area.choices = areas

    @property
    def include_current(self) -> bool:
        return self.scope.data == "all"

    def validate_confirm_current(self, field: BooleanField) -> None:
        if self.include_current and not field.data:
            raise ValidationError(
                _l("In lại cả bảng đang dán cần xác nhận: đánh dấu ô này, hoặc chỉ in sạp cần in.")
            )


class MarketSettingsForm(FlaskForm):
    """How this market's placards print the account number."""

    mask_account = BooleanField(_l("Che số tài khoản trên bảng mã (chỉ in 4 số cuối)"))


class RevokeForm(FlaskForm):
    reason = RadioField(
        _l("Lý do thu hồi"),
        choices=_choices(REVOKE_REASONS),
        validators=[DataRequired(_l("Chọn lý do thu hồi."))],
    )
    note = StringField(_l("Ghi chú"), validators=[Optional(), max_length(200)])
    # "stall": the form was sent from the stall's page, which the user returns to.
    back = HiddenField()

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() ends the note's own validation when it is empty, so the rule lives here.
        if self.reason.data == "other" and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _l("Ghi rõ lý do khác.")]
            return False
        return valid

    def reason_text(self) -> str:
        note = (self.note.data or "").strip()
        return f"{self.reason.data}: {note}" if note else self.reason.data


class InspectForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only lookup, submitted by GET so a scan result can be shared

    payload = TextAreaField(
        _l("Nội dung mã QR"),
        validators=[DataRequired(_l("Dán hoặc quét nội dung mã QR.")), max_length(512)],
    )


class StallCheckForm(FlaskForm):
    """What is posted at a stall: the scanned text, or a photo to read it from."""

    payload = TextAreaField(_l("Nội dung mã QR"), validators=[Optional(), max_length(600)])
    photo = FileField(
        _l("Hoặc chụp ảnh mã QR"),
        validators=[
            FileAllowed(
                ["jpg", "jpeg", "png", "webp", "gif", "bmp"],
                _l("Chỉ nhận ảnh JPEG, PNG hoặc WebP."),
            )
        ],
    )
    note = StringField(_l("Ghi chú"), validators=[Optional(), max_length(200)])
    # Sent by a walk step's scan: the walk list to go on with (checked by the walk's own
    # pages, which fall back to their default list for anything else).
    walk_list = HiddenField(validators=[Optional(), max_length(20)])
    # A walk step's scan queued on a phone without a network: when it was read.
    observed_at = InstantField(_l("Thời điểm ghi nhận"), validators=[Optional()])

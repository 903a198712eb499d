"""Forms of the placard pages: print a market or a stall, revoke a placard, check a scan."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

LAYOUT_LABELS = {
    "a4x4": _l("4 bảng trên một tờ A4 (có dấu cắt)"),
    "a4x2": _l("2 bảng trên một tờ A4 ngang (có dấu cắt)"),
    "a6": _l("Mỗi bảng một tờ A6"),
    "a5": _l("Mỗi bảng một tờ A5"),
    "a4": _l("Mỗi bảng một tờ A4"),
}
SINGLE_LAYOUTS = ("a6", "a5", "a4")

# Revocation reasons; the stored reason is the key (plus the note for "other").
REVOKE_REASONS = {
    "lost": _l("Bảng bị mất, rách hoặc mờ"),
    "swapped": _l("Bị dán đè / thay bằng mã QR lạ"),
    "other": _l("Lý do khác"),
}


def _choices(labels: dict[str, object], keys: tuple[str, ...] | None = None) -> list[SelectChoice]:
    return [SelectChoice(key, labels[key]) for key in (keys or tuple(labels))]


class MarketPrintForm(FlaskForm):
    layout = RadioField(_l("Khổ giấy"), choices=_choices(LAYOUT_LABELS), default="a4x4")
    only_outdated = BooleanField(_l("Chỉ in các sạp chưa có bảng, bảng cũ hoặc bị mất"))
    cover_page = BooleanField(_l("Kèm trang danh sách để ký nhận khi dán"), default=True)


class StallPrintForm(FlaskForm):
    layout = RadioField(_l("Khổ giấy"), choices=_choices(LAYOUT_LABELS, SINGLE_LAYOUTS),
                        default="a6")


class RevokeForm(FlaskForm):
    reason = RadioField(_l("Lý do thu hồi"), choices=_choices(REVOKE_REASONS),
                        validators=[DataRequired(_l("Chọn lý do thu hồi."))])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=200)])

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

    payload = TextAreaField(_l("Nội dung mã QR"), validators=[DataRequired(_l("Dán hoặc quét nội dung mã QR.")),
                                                               Length(max=512)])

"""Validators with our own messages, for every form.

WTForms ships no Vietnamese catalogue, so a validator left with its default message
shows "This field is required." on a Vietnamese page. These carry messages from our
catalogue; ``tests/test_translations.py`` fails on any validator without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, Length, StopValidation, ValidationError
from wtforms.widgets import TextInput

REQUIRED = _l("Vui lòng điền mục này.")
INVALID_CHOICE = _l("Lựa chọn không hợp lệ.")
INVALID_DATE = _l("Ngày không hợp lệ, hãy nhập theo dạng ngày/tháng/năm (vd. 22/11/2026).")


def required(message: object = REQUIRED) -> DataRequired:
    return DataRequired(message)


def max_length(maximum: int) -> Length:
    return Length(max=maximum, message=_l("Tối đa %(max)d ký tự."))


def email() -> Email:
    return Email(_l("Email không hợp lệ."), check_deliverability=False)


def one_of(values: Sequence[str]) -> AnyOf:
    return AnyOf(values, message=INVALID_CHOICE)


class ChoiceErrors:
    """Mixed into a choice field: its own errors (a value not offered, one that does not
    convert) in our words, since WTForms ships no Vietnamese catalogue for them."""

    def pre_validate(self, form: Any) -> None:
        try:
            super().pre_validate(form)  # type: ignore[misc]
        except ValidationError as error:
            raise ValidationError(str(INVALID_CHOICE)) from error

    def process_formdata(self, valuelist: list[str]) -> None:
        # Spaces around a value (a link edited by hand, a script) choose nothing else:
        # " posted " is "posted", and " " is no choice, which an optional field takes as
        # "all" (WTForms' Optional passes blank input and clears the choice's error).
        valuelist = [value.strip() if isinstance(value, str) else value for value in valuelist]
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]
        except ValueError as error:
            raise ValueError(str(INVALID_CHOICE)) from error


class ChoiceField(ChoiceErrors, SelectField):
    """A select whose own errors are in Vietnamese."""


class VietnameseDateField(DateField):
    """A date typed as dd/mm/yyyy (what Vietnamese paperwork says; yyyy-mm-dd accepted).

    A text input, not ``type=date``: browsers show that in the device's locale and send
    ISO dates, so the page would not say what the hint and the log say. Empty is no date
    (a required field says to fill it in); anything else that is not a date says it is
    invalid, and only that.
    """

    widget = TextInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%d/%m/%Y", "%Y-%m-%d"])
        render_kw = {
            "placeholder": "dd/mm/yyyy",
            "inputmode": "numeric",
            **kwargs.pop("render_kw", {}),
        }
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%d/%m/%Y") if self.data else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return  # not sent at all: the default stands (today, on the market forms)
        text = " ".join(valuelist).strip()
        self.data = None
        if not text:
            return
        for date_format in self.strptime_format:
            try:
                self.data = datetime.strptime(text, date_format).date()
                return
            except ValueError:
                continue
        raise ValueError(str(INVALID_DATE))

    def pre_validate(self, form: Any) -> None:
        # A date that could not be read was not left empty: say only that it is invalid.
        if self.process_errors:
            raise StopValidation()


class InstantField(StringField):
    """When a phone observed what it sends later (the offline walk): a moment as ISO 8601
    with its offset ("2026-11-22T03:04:05.678Z", what a browser's ``Date.toISOString``
    gives), read as UTC; empty is none."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not text:
            return
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            message = _("Thời điểm ghi nhận không đọc được: %(value)s", value=text[:40])
            raise ValueError(message) from None
        # A moment without an offset is kept as sent: the service says what is missing.
        self.data = moment.astimezone(UTC) if moment.tzinfo is not None else moment

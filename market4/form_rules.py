"""Validators with our own messages, for every form.

WTForms ships no Vietnamese catalogue, so a validator left with its default message
shows "This field is required." on a Vietnamese page. These carry messages from our
catalogue; ``tests/test_translations.py`` fails on any validator without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import AnyOf, DataRequired, Email, Length, ValidationError

REQUIRED = _l("Vui lòng điền mục này.")
INVALID_CHOICE = _l("Lựa chọn không hợp lệ.")


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
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]
        except ValueError as error:
            raise ValueError(str(INVALID_CHOICE)) from error


class ChoiceField(ChoiceErrors, SelectField):
    """A select whose own errors are in Vietnamese."""

"""Form fields the admin forms share, with their error messages in Vietnamese.

WTForms ships no Vietnamese catalogue, so every message a field can produce on its
own ("Not a valid choice", "Not a valid date value") is replaced here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.utils import unset_value
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from market4.areas.lookup import AreaLookupError, Level, resolve_area, unit_label
from market4.areas.models import AdminUnit
from market4.form_rules import ChoiceErrors
from market4.parsing import ascii_int


def optional_int(value: Any) -> int | None:
    """Select values: "" (nothing chosen) → None, "12" → 12."""
    if value in (None, ""):
        return None
    number = ascii_int(value)
    if number is None:
        raise ValueError(f"not an id: {str(value)[:20]!r}")
    return number


class CheckboxListField(ChoiceErrors, SelectMultipleField):
    """Several choices as checkboxes: easier than a multi-select on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AreaField(StringField):
    """An administrative unit picked by name (autocomplete, or a choice after a search
    without JavaScript) or typed as ``scheme/level/code``.

    The text lives under the field's name, the id the autocomplete picked under
    ``<name>_id`` and the candidate chosen after an ambiguous search under ``<name>_choice``.
    After validation ``unit`` is the unit (or None for empty text); when a name matched
    several units, ``candidates`` lists them for the template to offer as a choice.
    ``levels`` narrows name searches to the ``(scheme, level)`` pairs that make sense;
    None searches every level, an empty set means no unit may be given at all.
    """

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        *,
        levels: Collection[Level] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.levels = levels
        self.unit: AdminUnit | None = None
        self.unit_id: int | None = None
        self.candidates: list[AdminUnit] = []

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        if formdata is not None and self.name in formdata:
            raw_id = formdata.get(f"{self.name}_choice") or formdata.get(f"{self.name}_id", "")
            self.unit_id = ascii_int(raw_id)
            self.unit = None

    def process_data(self, value: Any) -> None:
        if isinstance(value, AdminUnit):
            self.unit, self.unit_id, self.data = value, value.id, unit_label(value)
        else:
            self.data = value

    def pre_validate(self, form: Any) -> None:
        if self.levels is not None and not self.levels and (self.data or "").strip():
            raise ValidationError(str(_l("Loại đơn vị này không gắn với địa bàn, hãy để trống.")))
        try:
            self.unit = resolve_area(self.data, self.unit_id, self.levels or None)
        except AreaLookupError as error:
            self.unit, self.candidates = None, error.candidates
            raise ValidationError(str(error)) from error
        self.unit_id = self.unit.id if self.unit else None

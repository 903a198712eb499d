"""The stall filter both long stall tables share: the market page (``/cho/<code>``) and the
placard page (``/bang-ma/cho/<code>``).

Both narrow a market's stalls by text, zone and row the same way; each page brings its
own list of statuses (what a market page and a placard page ask about differs), and
decides what each status means for its rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Optional

from market4.domain.text import search_key
from market4.form_rules import ChoiceField, max_length
from market4.registry.markets import Stall
from market4.registry.ordering import natural_key


class StallFilterForm(FlaskForm):
    """Text, zone, row and one status (GET). Subclasses set ``STATUSES`` (value → label)
    and ``ALL_LABEL``, the blank choice."""

    STATUSES: dict[str, Any] = {}
    ALL_LABEL: Any = _l("Mọi sạp")

    class Meta:
        csrf = False

    q = StringField(_l("Tìm sạp hoặc tiểu thương"), validators=[Optional(), max_length(80)])
    zone = ChoiceField(_l("Khu"), validators=[Optional()])
    row = ChoiceField(_l("Dãy"), validators=[Optional()])
    status = ChoiceField(_l("Trạng thái"), validators=[Optional()])

    def __init__(self, *args: Any, stalls: Iterable[Stall], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stalls = list(stalls)
        zones = sorted({stall.zone for stall in stalls if stall.zone}, key=natural_key)
        rows = sorted({stall.row for stall in stalls if stall.row}, key=natural_key)
        self.zone.choices = [("", _("Tất cả khu")), *((zone, zone) for zone in zones)]
        self.row.choices = [("", _("Tất cả dãy")), *((row, row) for row in rows)]
        self.status.choices = [
            ("", str(self.ALL_LABEL)),
            *((key, str(label)) for key, label in self.STATUSES.items()),
        ]
        self._words = ""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        self._words = search_key(self.q.data) if valid else ""
        return valid

    def keeps(self, stall: Stall, searchable_name: str = "") -> bool:
        """Whether ``stall`` passes the text, zone and row filters; the caller passes only
        the vendor name the viewer may read, so a hidden name cannot be probed."""
        if self.zone.data and stall.zone != self.zone.data:
            return False
        if self.row.data and stall.row != self.row.data:
            return False
        return not self._words or self._words in search_key(f"{stall.code} {searchable_name}")

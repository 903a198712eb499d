"""The dashboard's query arguments: parsed, checked, and turned back into links.

Every argument is optional. A value that cannot be used is dropped and explained in
``DashboardFilters.notes`` (shown on the page), so a hand-edited or stale link still
answers with the figures rather than an error page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import Select

from market4.formatting import vn_date, vn_number
from market4.parsing import ascii_int
from market4.registry.markets import MARKET_CLASSES, MARKET_KINDS, Market

# Query-argument spellings, kept Vietnamese like the rest of the URLs.
SORT_KEYS = ("ten", "xa", "sap", "qr", "ty_le", "nhan_qr")
# Words read best A→Z; numbers are usually wanted largest first.
DEFAULT_DIRECTION = {
    "ten": "asc",
    "xa": "asc",
    "sap": "desc",
    "qr": "desc",
    "ty_le": "desc",
    "nhan_qr": "desc",
}
DIRECTIONS = ("asc", "desc")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")
_THRESHOLD_TEXT = re.compile(r"^\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*%?\s*$")


@dataclass(frozen=True)
class DashboardFilters:
    """What the viewer asked for, after every unusable value has been dropped."""

    day: date
    threshold_percent: Decimal
    # The drill-down: a province or legacy district under the viewer's area (vung=).
    area_id: int | None = None
    commune_id: int | None = None
    kind: str | None = None
    market_class: int | None = None
    sort: str = "ten"
    direction: str = "asc"
    # Whether the day was chosen (links then keep it) or defaulted to today.
    day_given: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)

    @functools.cached_property
    def threshold(self) -> Fraction:
        """The threshold as an exact share (0.8), so 168/210 counts at 80% without float doubt."""
        return Fraction(self.threshold_percent) / 100

    @property
    def threshold_label(self) -> str:
        """``80`` → ``"80%"``, ``75.5`` → ``"75,5%"``."""
        decimals = 0 if self.threshold_percent == self.threshold_percent.to_integral() else 2
        text = vn_number(float(self.threshold_percent), decimals)
        return f"{text.rstrip('0').rstrip(',') if decimals else text}%"

    def meets_threshold(self, accepting: int, total: int) -> bool:
        # accepting / total >= p / q, in integers (a country is 11,000 calls).
        share = self.threshold
        return total > 0 and accepting * share.denominator >= share.numerator * total

    def query_args(self, **changes: object) -> dict[str, str]:
        """Arguments that reproduce these filters in a link (defaults left out)."""
        chosen = replace(self, **changes) if changes else self
        args: dict[str, str] = {}
        if chosen.day_given:
            args["ngay"] = vn_date(chosen.day)
        if chosen.area_id is not None:
            args["vung"] = str(chosen.area_id)
        if chosen.commune_id is not None:
            args["xa"] = str(chosen.commune_id)
        if chosen.kind:
            args["loai"] = chosen.kind
        if chosen.market_class is not None:
            args["hang"] = str(chosen.market_class)
        args["nguong"] = _plain_decimal(chosen.threshold_percent)
        if (chosen.sort, chosen.direction) != ("ten", "asc"):
            args["sap_xep"], args["chieu"] = chosen.sort, chosen.direction
        return args

    def sort_link_args(self, key: str) -> dict[str, str]:
        """Arguments for a column header: the same column flips, another starts at its default."""
        if key == self.sort:
            direction = "asc" if self.direction == "desc" else "desc"
        else:
            direction = DEFAULT_DIRECTION[key]
        return self.query_args(sort=key, direction=direction)

    @property
    def narrowed(self) -> bool:
        """Whether an area, commune, kind or class filter hides some markets in scope."""
        return any(
            v is not None for v in (self.area_id, self.commune_id, self.kind, self.market_class)
        )


def parse_filters(
    args: Mapping[str, str],
    *,
    today: date,
    default_threshold_percent: Decimal,
    commune_ids: Container[int],
    area_ids: Container[int] = frozenset(),
) -> DashboardFilters:
    """Read the dashboard's query arguments; ``commune_ids`` are the communes in scope,
    ``area_ids`` the provinces and legacy districts the viewer may drill into.

    Never raises: each bad value is replaced by its default and noted.
    """
    notes: list[str] = []
    day, day_given = _parse_day(args.get("ngay", ""), today, notes)
    return DashboardFilters(
        day=day,
        day_given=day_given,
        threshold_percent=_parse_threshold(
            args.get("nguong", ""), default_threshold_percent, notes
        ),
        area_id=_parse_area(args.get("vung", ""), area_ids, notes),
        commune_id=_parse_commune(args.get("xa", ""), commune_ids, notes),
        kind=_parse_choice(args.get("loai", ""), tuple(MARKET_KINDS), notes, _("Loại chợ")),
        market_class=_parse_class(args.get("hang", ""), notes),
        sort=_parse_choice(args.get("sap_xep", ""), SORT_KEYS, notes, _("Sắp xếp")) or "ten",
        direction=_parse_direction(args, notes),
        notes=tuple(notes),
    )


def apply_filters(markets_query: Select, filters: DashboardFilters) -> Select:
    """Narrow a SELECT of markets (already restricted to the viewer's scope)."""
    if filters.commune_id is not None:
        markets_query = markets_query.where(Market.commune_id == filters.commune_id)
    if filters.kind is not None:
        markets_query = markets_query.where(Market.kind == filters.kind)
    if filters.market_class is not None:
        markets_query = markets_query.where(Market.market_class == filters.market_class)
    return markets_query


def _parse_day(text: str, today: date, notes: list[str]) -> tuple[date, bool]:
    text = text.strip()
    if not text:
        return today, False
    for pattern in DATE_FORMATS:
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if day > today:
            notes.append(
                _("Ngày %(day)s chưa tới; đang hiển thị số liệu hôm nay.", day=vn_date(day))
            )
            return today, False
        return day, True
    notes.append(
        _(
            "Không hiểu ngày “%(text)s” (cần dạng ngày/tháng/năm, ví dụ %(example)s); "
            "đang hiển thị số liệu hôm nay.",
            text=text[:40],
            example=vn_date(today),
        )
    )
    return today, False


def _parse_threshold(text: str, default: Decimal, notes: list[str]) -> Decimal:
    if not text.strip():
        return default
    match = _THRESHOLD_TEXT.match(text)
    value = None
    if match:
        try:
            value = Decimal(match.group(1).replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern only admits digits
            value = None
    if value is None or not 0 < value <= 100:
        notes.append(
            _(
                "Ngưỡng “%(text)s” không hợp lệ (cần một số từ 1 đến 100); "
                "đang dùng ngưỡng mặc định %(default)s%%.",
                text=text[:20],
                default=_plain_decimal(default),
            )
        )
        return default
    return value


def _parse_area(text: str, area_ids: Container[int], notes: list[str]) -> int | None:
    text = text.strip()
    if not text:
        return None
    if ascii_int(text) in area_ids:
        return ascii_int(text)
    notes.append(_("Đơn vị đã chọn không thuộc phạm vi của bạn; đang hiển thị cả phạm vi."))
    return None


def _parse_commune(text: str, commune_ids: Container[int], notes: list[str]) -> int | None:
    text = text.strip()
    if not text:
        return None
    if ascii_int(text) in commune_ids:
        return ascii_int(text)
    # Outside the viewer's scope reads the same as unknown: ids cannot be probed.
    notes.append(_("Xã/phường đã chọn không thuộc phạm vi của bạn; đang hiển thị mọi xã/phường."))
    return None


def _parse_class(text: str, notes: list[str]) -> int | None:
    text = text.strip()
    if not text:
        return None
    if ascii_int(text) in MARKET_CLASSES:
        return ascii_int(text)
    notes.append(
        _("Hạng chợ “%(text)s” không hợp lệ (chỉ có hạng 1, 2, 3); đã bỏ qua.", text=text[:20])
    )
    return None


def _parse_choice(text: str, choices: tuple[str, ...], notes: list[str], label: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if text in choices:
        return text
    notes.append(_("%(label)s “%(text)s” không hợp lệ; đã bỏ qua.", label=label, text=text[:40]))
    return None


def _parse_direction(args: Mapping[str, str], notes: list[str]) -> str:
    text = args.get("chieu", "").strip()
    if text in DIRECTIONS:
        return text
    if text:
        notes.append(_("Chiều sắp xếp “%(text)s” không hợp lệ; đã bỏ qua.", text=text[:20]))
    sort = args.get("sap_xep", "").strip()
    return DEFAULT_DIRECTION.get(sort, "asc")


def _plain_decimal(value: Decimal) -> str:
    """``Decimal("80.0")`` → ``"80"``: the form shows what a person would type."""
    return format(value.normalize(), "f")

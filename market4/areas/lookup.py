"""Finding an administrative unit by what a person types: a name, or ``scheme/level/code``.

Names repeat across provinces and across the two schemes ("Ngãi Giao" is a 2008
thị trấn and a 2025 xã), and codes were reused by the 2025 reform, so a typed name is
only ever resolved among the levels the caller allows, and a typed code only together
with its scheme and level (docs/domain.md, “Administrative units”).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Collection
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from market4.areas.models import LEVELS, SCHEME_2008, SCHEME_2025, AdminUnit
from market4.areas.services import find_unit
from market4.domain.text import nfc, search_key
from market4.extensions import db
from market4.formatting import vietnamese_sort_key

Level = tuple[str, str]  # (scheme, level), e.g. ("2025", "commune")

UNIT_KEY = re.compile(r"^\s*(2008|2025)\s*/\s*(province|district|commune)\s*/\s*(\w+)\s*$")
SEARCH_LIMIT = 20


class AreaLookupError(ValueError):
    """The text names no unit, or several; ``candidates`` holds the latter for a choice."""

    def __init__(self, message: str, candidates: list[AdminUnit] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


@dataclass(frozen=True)
class _IndexedUnit:
    """One unit with its search keys computed once, not on every keystroke."""

    id: int
    scheme: str
    level: str
    code: str
    folded_name: str
    folded_full_name: str
    spelled: str  # the full name as written, case-folded: to prefer the typed diacritics
    order: tuple


# Units change only when a data set is loaded, so the folded index is kept per database
# and rebuilt when the table's row count or highest id moves.
_INDEX: dict[str, tuple[tuple, list[_IndexedUnit]]] = {}


def _index() -> list[_IndexedUnit]:
    database = str(db.session.get_bind().engine.url)
    fingerprint = tuple(
        db.session.execute(select(func.count(AdminUnit.id), func.max(AdminUnit.id))).one()
    )
    cached = _INDEX.get(database)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    rows = db.session.execute(
        select(
            AdminUnit.id,
            AdminUnit.scheme,
            AdminUnit.level,
            AdminUnit.code,
            AdminUnit.name,
            AdminUnit.division_type,
        )
    )
    units = []
    for id_, scheme, level, code, name, division_type in rows:
        full_name = f"{division_type} {name}"
        units.append(
            _IndexedUnit(
                id=id_,
                scheme=scheme,
                level=level,
                code=code,
                folded_name=search_key(name),
                folded_full_name=search_key(full_name),
                spelled=" ".join(nfc(full_name).casefold().split()),
                order=(LEVELS.index(level), scheme != SCHEME_2025, vietnamese_sort_key(name), id_),
            )
        )
    _INDEX[database] = (fingerprint, units)
    return units


def unit_key(unit: AdminUnit) -> str:
    """The unambiguous way to write a unit: ``2025/commune/26575``."""
    return f"{unit.scheme}/{unit.level}/{unit.code}"


def unit_label(unit: AdminUnit) -> str:
    """What a person recognises: "Xã Ngãi Giao, Thành phố Hồ Chí Minh".

    A pre-2025 unit says so, because its name may now belong to another place.
    """
    names = [unit.full_name]
    parent = unit.parent
    while parent is not None:
        names.append(parent.full_name)
        parent = parent.parent
    label = ", ".join(names)
    if unit.scheme == SCHEME_2008:
        label += " " + _("(địa giới trước 01/07/2025)")
    return label


def unit_province(unit: AdminUnit) -> AdminUnit:
    while unit.parent is not None:
        unit = unit.parent
    return unit


def search_units(
    text: str, *, levels: Collection[Level] | None = None, limit: int = SEARCH_LIMIT
) -> list[AdminUnit]:
    """Units whose name matches ``text``, best first; diacritics and case are ignored.

    Ranking: exact name, name prefix, a word of the name, anywhere in the name; ties
    prefer the spelling typed with its diacritics, then higher levels, the 2025 scheme,
    and the name in Vietnamese order. A number matches codes by prefix.
    """
    query = search_key(text)
    if not query:
        return []
    wanted = " ".join(nfc(text).casefold().split())
    ranked = []
    for unit in _index():
        if levels and (unit.scheme, unit.level) not in levels:
            continue
        closeness = _closeness(unit, query, text.strip())
        if closeness is not None:
            ranked.append((closeness, wanted not in unit.spelled, unit.order, unit.id))
    ids = [unit_id for *_, unit_id in heapq.nsmallest(limit, ranked)]
    units = {
        unit.id: unit for unit in db.session.scalars(select(AdminUnit).where(AdminUnit.id.in_(ids)))
    }
    return [units[unit_id] for unit_id in ids if unit_id in units]


def _closeness(unit: _IndexedUnit, query: str, raw: str) -> int | None:
    """0 exact, 1 prefix, 2 a word, 3 anywhere; None when the name does not match."""
    if raw.isascii() and raw.isdigit():
        if not unit.code.startswith(raw):
            return None
        return 0 if unit.code == raw else 1
    name, full_name = unit.folded_name, unit.folded_full_name
    if query in (name, full_name):
        return 0
    if name.startswith(query) or full_name.startswith(query):
        return 1
    if f" {query}" in f" {name}":
        return 2
    if query in name:
        return 3
    return None


def find_by_key(text: str) -> AdminUnit | None:
    """The unit written as ``scheme/level/code``; None when ``text`` is not such a key.

    Raises AreaLookupError when the key is well-formed but names no unit.
    """
    found = UNIT_KEY.match(text)
    if not found:
        return None
    scheme, level, code = found.groups()
    unit = find_unit(scheme, level, code)
    if unit is None:
        raise AreaLookupError(_("Không có địa bàn %(key)s.", key=f"{scheme}/{level}/{code}"))
    return unit


def resolve_area(
    text: str | None, unit_id: int | None, levels: Collection[Level] | None = None
) -> AdminUnit | None:
    """The one unit ``text`` (and the id picked beside it) names; None for empty text.

    ``unit_id`` comes from the autocomplete or a choice among candidates; it is only
    trusted while the text still describes that unit, so editing the text without
    JavaScript cannot leave a stale id behind.
    """
    text = nfc(text or "").strip()
    if not text:
        return None
    by_key = find_by_key(text)
    if by_key is not None:
        return by_key
    candidates = search_units(text, levels=levels)
    if unit_id is not None:
        chosen = db.session.get(AdminUnit, unit_id)
        if chosen is not None and (text == unit_label(chosen) or chosen in candidates):
            return chosen
    exact = [
        unit
        for unit in candidates
        if search_key(text) in (search_key(unit.name), search_key(unit.full_name))
    ]
    if len(exact) == 1:
        return exact[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise AreaLookupError(_("Không tìm thấy địa bàn “%(text)s”.", text=text))
    raise AreaLookupError(
        _("Có nhiều địa bàn khớp với “%(text)s”, hãy chọn một.", text=text),
        exact or candidates,
    )


def as_json(unit: AdminUnit) -> dict[str, object]:
    """One autocomplete suggestion."""
    province = unit_province(unit)
    return {
        "id": unit.id,
        "label": unit_label(unit),
        "name": unit.full_name,
        "province": province.full_name if province is not unit else None,
        "scheme": unit.scheme,
        "level": unit.level,
        "code": unit.code,
        "key": unit_key(unit),
    }

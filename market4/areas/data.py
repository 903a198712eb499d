"""Read the bundled Vietnamese administrative-unit data (``market4/data/areas/*.csv``).

Pure standard library on purpose: the files are also read by scripts, tests and seeders that
must not need Flask or a database. ``scripts/build_areas.py`` generates the files and
``market4/data/areas/SOURCE.md`` describes where they come from.

Two schemes live side by side:

* ``"2008"`` - provinces / districts / communes, the codes in force until 2025-06-30;
* ``"2025"`` - provinces / communes (no district level), in force from 2025-07-01.

The 2025 reform reused commune codes (3,316 of the 3,321 new codes are also old codes, most
naming a different place), so a unit is only identified by ``(scheme, level, code)``.
Lineage rows always lead from a 2008 unit to a 2025 unit.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

SCHEME_2008 = "2008"
SCHEME_2025 = "2025"
SCHEMES = (SCHEME_2008, SCHEME_2025)
LEVELS = ("province", "district", "commune")

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "areas"
UNITS_FILE = DATA_DIR / "units.csv"
LINEAGE_FILE = DATA_DIR / "lineage.csv"

UnitKey = tuple[str, str, str]
"""``(scheme, level, code)``: the only safe identity of a unit."""


@dataclass(frozen=True)
class UnitRecord:
    """One administrative unit. ``name`` has no type prefix; ``full_name`` is the official name."""

    scheme: str
    level: str
    code: str
    name: str
    division_type: str
    parent_code: str | None  # a unit of the same scheme one level up; None for provinces

    @property
    def key(self) -> UnitKey:
        return (self.scheme, self.level, self.code)

    @property
    def parent_key(self) -> UnitKey | None:
        if self.parent_code is None:
            return None
        return (self.scheme, parent_level(self.scheme, self.level), self.parent_code)

    @property
    def full_name(self) -> str:
        """E.g. "Xã Ngãi Giao", "Quận 1", "Tỉnh Bà Rịa - Vũng Tàu"."""
        return f"{self.division_type} {self.name}"


@dataclass(frozen=True)
class LineageRecord:
    """A 2008 unit that became, wholly or partly, a 2025 unit.

    ``is_default`` marks the successor to use when only one can be chosen: the only one,
    or for a split commune the part the source designates. Non-default rows are the other
    parts of a split and are less reliable (see SOURCE.md).
    """

    old_code: str
    new_code: str
    is_default: bool
    old_level: str = "commune"
    new_level: str = "commune"

    @property
    def old_key(self) -> UnitKey:
        return (SCHEME_2008, self.old_level, self.old_code)

    @property
    def new_key(self) -> UnitKey:
        return (SCHEME_2025, self.new_level, self.new_code)


def parent_level(scheme: str, level: str) -> str:
    """The level of a unit's parent: a 2025 commune hangs directly off its province."""
    if level == "commune":
        return "district" if scheme == SCHEME_2008 else "province"
    if level == "district" and scheme == SCHEME_2008:
        return "province"
    raise ValueError(f"a {scheme} {level} has no parent")


def _read_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def iter_units(scheme: str | None = None, level: str | None = None) -> Iterator[UnitRecord]:
    """All units in file order (scheme, then province/district/commune, then code).

    File order puts every parent before its children, so rows can be inserted as read.
    """
    for row in _read_rows(UNITS_FILE):
        if (scheme is None or row["scheme"] == scheme) and (level is None or row["level"] == level):
            yield UnitRecord(
                scheme=row["scheme"],
                level=row["level"],
                code=row["code"],
                name=row["name"],
                division_type=row["division_type"],
                parent_code=row["parent_code"] or None,
            )


def iter_lineage() -> Iterator[LineageRecord]:
    """All lineage rows: province->province, commune->commune(s), island district->đặc khu."""
    for row in _read_rows(LINEAGE_FILE):
        yield LineageRecord(
            old_code=row["old_code"],
            new_code=row["new_code"],
            is_default=_parse_bool(row["is_default"]),
            old_level=row["old_level"],
            new_level=row["new_level"],
        )


def _parse_bool(text: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(f"expected 'true' or 'false', got {text!r}")


@cache
def units_by_key() -> Mapping[UnitKey, UnitRecord]:
    """Every unit indexed by ``(scheme, level, code)``; read once per process (~14k rows)."""
    return MappingProxyType({unit.key: unit for unit in iter_units()})


def get_unit(scheme: str, level: str, code: str) -> UnitRecord:
    """Look a unit up by its full identity; raises ``KeyError`` if it does not exist."""
    return units_by_key()[(scheme, level, code)]


def units_for_provinces(scheme_province_codes: Mapping[str, Iterable[str]]) -> list[UnitRecord]:
    """The given provinces of each scheme with all their descendants, parents first.

    ``{"2025": {"79"}, "2008": {"77"}}`` gives 2025 Thành phố Hồ Chí Minh with its communes
    and 2008 Tỉnh Bà Rịa - Vũng Tàu with its districts and their communes. Unknown province
    codes raise ``KeyError`` so a typo cannot silently load nothing.
    """
    wanted: set[UnitKey] = set()
    for scheme, province_codes in scheme_province_codes.items():
        for code in province_codes:
            wanted.add(get_unit(scheme, "province", code).key)

    selected: list[UnitRecord] = []
    # File order is parents-first, so one pass sees each parent before its children.
    for unit in iter_units():
        if unit.key in wanted or (unit.parent_key is not None and unit.parent_key in wanted):
            wanted.add(unit.key)
            selected.append(unit)
    return selected


def lineage_within(units: Iterable[UnitRecord]) -> list[LineageRecord]:
    """Lineage rows whose old and new units are both among ``units`` (e.g. a loaded subset)."""
    present = {unit.key for unit in units}
    return [row for row in iter_lineage() if row.old_key in present and row.new_key in present]

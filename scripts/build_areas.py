#!/usr/bin/env python3
"""Generate market4's Vietnamese administrative-unit data files from ``vietnamadminunits``.

Source
    The PyPI package ``vietnamadminunits`` 1.0.4 (MIT licence, (c) 2025 Tran Ngoc Minh Hieu).
    It bundles, inside the installed package:

    * ``data/dataset.db`` (SQLite)
        - table ``admin_units``: the 2025 scheme, one row per commune-level unit
          (34 provinces, 3,321 communes; no district level any more);
        - table ``admin_units_legacy``: the pre-2025 ("2008") scheme, one row per commune
          (63 provinces, 696 districts, 10,035 communes), plus one row with an empty ward
          for each of the five island districts that had no communes.
    * ``data/converter_2025.json``: the tables behind ``convert_address`` (old address ->
      new address), keyed by the package's accent-free name keys, not by codes:
        - ``DICT_PROVINCE``: new province key -> old province keys merged into it;
        - ``DICT_PROVINCE_WARD_NO_DIVIDED``: new province -> new ward key -> the
          ``"{old province}_{old district}_{old ward}"`` keys that went wholly into it;
        - ``DICT_PROVINCE_WARD_DIVIDED``: new province -> old ward key (split between
          several new wards) -> candidate new wards, exactly one flagged
          ``isDefaultNewWard`` (what the converter picks when it has no street to geocode).

Output (in ``market4/data/areas/``, UTF-8, ``\\n`` line ends, sorted, byte-identical across runs)
    ``units.csv``    ``scheme,level,code,name,division_type,parent_code``
        scheme "2008" (pre-2025 codes, valid until 2025-06-30) or "2025"; level
        province | district | commune; codes zero-padded exactly as the source has them;
        ``name`` is the official name *without* its type prefix and ``division_type`` is
        that prefix, so ``f"{division_type} {name}"`` is the official full name
        ("Xã" + "Ngãi Giao", "Quận" + "1", "Tỉnh" + "Bà Rịa - Vũng Tàu"). ``parent_code``
        is the code of the parent unit in the same scheme (empty for provinces).
    ``lineage.csv``  ``old_level,old_code,new_level,new_code,is_default``
        old side is always scheme 2008, new side scheme 2025. Rows: every old province ->
        its new province; every old commune -> the new commune(s) it went into; the five
        island districts without communes -> the special zone (đặc khu) they became.
        ``is_default`` is "true" for the only/default successor, "false" for the other
        parts of a split commune.

The type prefix is taken from the official full name rather than from the source's
``wardType``/``districtType`` columns, because those disagree with the name for seven units
(e.g. 2008 "Phường 5", Quận Phú Nhuận, is typed "Xã"); the name is the authoritative field.
Ten source names write the prefix with a capital ("Thành Phố Bắc Kạn"); the prefix is
emitted in its official spelling ("Thành phố"). Both lists are printed at the end of a run.

Run (from the repository root; keeps the package out of the application's virtualenv)::

    python3 -m venv /tmp/areas && /tmp/areas/bin/pip install vietnamadminunits==1.0.4 \
        && /tmp/areas/bin/python scripts/build_areas.py

``SOURCE.md`` beside the CSV files is kept by hand from what a run prints (source hashes,
row counts, output hashes); rerun and compare when in doubt.

Needs only the standard library plus the installed ``vietnamadminunits`` (used solely to
locate its data files; its heavy imports are never triggered). Fails loudly on any
inconsistency rather than writing a partial data set.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.metadata
import importlib.util
import json
import sqlite3
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

SOURCE_PACKAGE = "vietnamadminunits"
EXPECTED_VERSION = "1.0.4"

SCHEME_2008 = "2008"
SCHEME_2025 = "2025"
LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2}

# Longest first so "Thành phố" / "Thị xã" / "Thị trấn" win over shorter prefixes.
DIVISION_TYPES = (
    "Thành phố",
    "Thị trấn",
    "Thị xã",
    "Đặc khu",
    "Phường",
    "Huyện",
    "Quận",
    "Tỉnh",
    "Xã",
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = REPO_ROOT / "market4" / "data" / "areas"

# Source names whose type prefix was re-cased, and units whose source type column disagrees
# with their name (both reported at the end of a run, for SOURCE.md).
RECASED_PREFIXES: list[str] = []
TYPE_COLUMN_DISAGREEMENTS: set[tuple[str, str, str, str]] = set()

UNIT_COLUMNS = ("scheme", "level", "code", "name", "division_type", "parent_code")
LINEAGE_COLUMNS = ("old_level", "old_code", "new_level", "new_code", "is_default")


class SourceDataError(RuntimeError):
    """The source package's data does not satisfy an invariant this script relies on."""


@dataclass(frozen=True)
class Unit:
    scheme: str
    level: str
    code: str
    name: str
    division_type: str
    parent_code: str

    def sort_key(self) -> tuple:
        return (self.scheme, LEVEL_ORDER[self.level], self.code)


@dataclass(frozen=True)
class Lineage:
    old_level: str
    old_code: str
    new_level: str
    new_code: str
    is_default: bool

    def sort_key(self) -> tuple:
        return (
            LEVEL_ORDER[self.old_level],
            self.old_code,
            LEVEL_ORDER[self.new_level],
            self.new_code,
        )


def locate_source() -> tuple[str, Path]:
    """Return the installed package version and its data directory, without importing it.

    Importing ``vietnamadminunits`` pulls in shapely/geopy; finding the spec is enough.
    """
    try:
        version = importlib.metadata.version(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(
            f"{SOURCE_PACKAGE} is not installed in this interpreter; see the docstring of {__file__}"
        ) from None
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or spec.origin is None:
        raise SystemExit(f"cannot locate the {SOURCE_PACKAGE} package")
    return version, Path(spec.origin).parent / "data"


def split_official_name(full_name: str) -> tuple[str, str]:
    """Split an official name into (name, division_type): "Xã Ngãi Giao" -> ("Ngãi Giao", "Xã").

    The prefix is matched case-insensitively and returned in its official spelling, because
    the source writes ten units as "Thành Phố …", "Thị Xã …" or "Thị Trấn …".
    """
    for division_type in DIVISION_TYPES:
        prefix = division_type + " "
        if full_name.casefold().startswith(prefix.casefold()) and len(full_name) > len(prefix):
            if not full_name.startswith(prefix):
                RECASED_PREFIXES.append(full_name)
            return full_name[len(prefix) :], division_type
    raise SourceDataError(f"no known division type prefix in {full_name!r}")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


class UnitCollector:
    """Accumulates units, rejecting a code that reappears with a different name or parent."""

    def __init__(self) -> None:
        self.units: dict[tuple[str, str, str], Unit] = {}

    def add(
        self,
        scheme: str,
        level: str,
        code: str,
        full_name: str,
        parent_code: str = "",
        source_type: str | None = None,
    ) -> None:
        if not code:
            raise SourceDataError(f"empty {scheme} {level} code for {full_name!r}")
        name, division_type = split_official_name(nfc(full_name))
        if source_type is not None and nfc(source_type) != division_type:
            TYPE_COLUMN_DISAGREEMENTS.add((scheme, code, nfc(full_name), nfc(source_type)))
        unit = Unit(scheme, level, code, name, division_type, parent_code)
        key = (scheme, level, code)
        previous = self.units.setdefault(key, unit)
        if previous != unit:
            raise SourceDataError(f"conflicting records for {key}: {previous} vs {unit}")


def read_units(db: sqlite3.Connection) -> tuple[list[Unit], dict, dict]:
    """Read both schemes; also return the source's name keys -> codes, for the lineage."""
    collector = UnitCollector()
    # Keys as used by converter_2025.json: "{province}_{district}_{ward}" (ward may be "").
    old_commune_key_to_code: dict[str, tuple[str, str]] = {}
    keys_to_codes: dict[str, dict] = {"old_province": {}, "new_province": {}, "new_commune": {}}

    legacy_rows = db.execute(
        "SELECT province, provinceCode, provinceKey, district, districtCode, districtKey, districtType,"
        " ward, wardCode, wardKey, wardType FROM admin_units_legacy"
    )
    for (
        province,
        province_code,
        province_key,
        district,
        district_code,
        district_key,
        district_type,
        ward,
        ward_code,
        ward_key,
        ward_type,
    ) in legacy_rows:
        collector.add(SCHEME_2008, "province", province_code, province)
        collector.add(
            SCHEME_2008, "district", district_code, district, province_code, district_type
        )
        keys_to_codes["old_province"][province_key] = province_code
        if ward is None:
            # Island districts (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) had no
            # communes; the converter maps the district itself.
            old_commune_key_to_code[f"{province_key}_{district_key}_"] = ("district", district_code)
        else:
            collector.add(SCHEME_2008, "commune", ward_code, ward, district_code, ward_type)
            old_commune_key_to_code[f"{province_key}_{district_key}_{ward_key}"] = (
                "commune",
                ward_code,
            )

    for province, province_code, province_key, ward, ward_code, ward_key, ward_type in db.execute(
        "SELECT province, provinceCode, provinceKey, ward, wardCode, wardKey, wardType FROM admin_units"
    ):
        collector.add(SCHEME_2025, "province", province_code, province)
        collector.add(SCHEME_2025, "commune", ward_code, ward, province_code, ward_type)
        keys_to_codes["new_province"][province_key] = province_code
        keys_to_codes["new_commune"][(province_key, ward_key)] = ward_code

    units = sorted(collector.units.values(), key=Unit.sort_key)
    return units, old_commune_key_to_code, keys_to_codes


def build_lineage(
    converter: dict, old_commune_key_to_code: dict, keys_to_codes: dict
) -> list[Lineage]:
    """Turn the converter's name-keyed tables into code-keyed lineage rows."""
    rows: dict[tuple[str, str, str, str], Lineage] = {}

    def add(row: Lineage) -> None:
        key = (row.old_level, row.old_code, row.new_level, row.new_code)
        if key in rows and rows[key] != row:
            raise SourceDataError(f"conflicting lineage rows: {rows[key]} vs {row}")
        rows[key] = row

    def resolve(mapping: dict, key, what: str) -> str:
        try:
            return mapping[key]
        except KeyError:
            raise SourceDataError(f"converter_2025.json names unknown {what} {key!r}") from None

    for new_province_key, old_province_keys in converter["DICT_PROVINCE"].items():
        new_code = resolve(keys_to_codes["new_province"], new_province_key, "2025 province")
        for old_province_key in old_province_keys:
            old_code = resolve(keys_to_codes["old_province"], old_province_key, "2008 province")
            add(Lineage("province", old_code, "province", new_code, True))

    for new_province_key, new_wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward_key, old_keys in new_wards.items():
            new_code = resolve(
                keys_to_codes["new_commune"], (new_province_key, new_ward_key), "2025 commune"
            )
            for old_key in old_keys:
                old_level, old_code = resolve(old_commune_key_to_code, old_key, "2008 commune")
                add(Lineage(old_level, old_code, "commune", new_code, True))

    for new_province_key, splits in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, candidates in splits.items():
            old_level, old_code = resolve(old_commune_key_to_code, old_key, "2008 commune")
            defaults = [c for c in candidates if c["isDefaultNewWard"]]
            if len(defaults) != 1:
                raise SourceDataError(
                    f"split commune {old_key!r} has {len(defaults)} default successors"
                )
            for candidate in candidates:
                new_code = resolve(
                    keys_to_codes["new_commune"],
                    (new_province_key, candidate["newWardKey"]),
                    "2025 commune",
                )
                add(
                    Lineage(
                        old_level,
                        old_code,
                        "commune",
                        new_code,
                        bool(candidate["isDefaultNewWard"]),
                    )
                )

    lineage = sorted(rows.values(), key=Lineage.sort_key)
    check_lineage(lineage, old_commune_key_to_code)
    return lineage


def check_lineage(lineage: list[Lineage], old_commune_key_to_code: dict) -> None:
    """Every old commune (and commune-less island district) needs exactly one default successor."""
    defaults = Counter((row.old_level, row.old_code) for row in lineage if row.is_default)
    expected = set(old_commune_key_to_code.values())
    missing = expected - set(defaults)
    if missing:
        raise SourceDataError(
            f"{len(missing)} old communes have no successor, e.g. {sorted(missing)[:5]}"
        )
    doubled = [unit for unit, count in defaults.items() if count > 1]
    if doubled:
        raise SourceDataError(f"old units with several default successors: {doubled[:5]}")


def check_units(units: list[Unit]) -> None:
    """Parents must exist at the level above, in the same scheme."""
    parent_level = {
        (SCHEME_2008, "district"): "province",
        (SCHEME_2008, "commune"): "district",
        (SCHEME_2025, "commune"): "province",
    }
    present = {(u.scheme, u.level, u.code) for u in units}
    for unit in units:
        expected_parent_level = parent_level.get((unit.scheme, unit.level))
        if expected_parent_level is None:
            if unit.level != "province" or unit.parent_code:
                raise SourceDataError(f"unexpected unit {unit}")
        elif (unit.scheme, expected_parent_level, unit.parent_code) not in present:
            raise SourceDataError(f"unresolved parent of {unit}")


def write_csv(path: Path, columns: tuple[str, ...], rows: list[tuple]) -> None:
    # newline="" plus an explicit "\n" terminator: identical bytes on every platform.
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT_DIR, help="output directory (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    version, data_dir = locate_source()
    if version != EXPECTED_VERSION:
        # Another version may rename or re-key units; regenerate deliberately, not by accident.
        raise SystemExit(
            f"{SOURCE_PACKAGE} {version} installed, this script is pinned to {EXPECTED_VERSION}"
        )

    db_path = data_dir / "dataset.db"
    converter_path = data_dir / "converter_2025.json"
    with sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True) as db:
        units, old_commune_key_to_code, keys_to_codes = read_units(db)
    check_units(units)
    converter = json.loads(converter_path.read_text(encoding="utf-8"))
    lineage = build_lineage(converter, old_commune_key_to_code, keys_to_codes)

    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(
        args.out / "units.csv",
        UNIT_COLUMNS,
        [(u.scheme, u.level, u.code, u.name, u.division_type, u.parent_code) for u in units],
    )
    write_csv(
        args.out / "lineage.csv",
        LINEAGE_COLUMNS,
        [
            (r.old_level, r.old_code, r.new_level, r.new_code, "true" if r.is_default else "false")
            for r in lineage
        ],
    )

    # Everything SOURCE.md quotes, so it can be checked against a fresh run.
    print(f"source: {SOURCE_PACKAGE} {version}")
    for path in (db_path, converter_path):
        print(f"  sha256 {path.name}: {sha256(path)}")
    for (scheme, level), count in sorted(
        Counter((u.scheme, u.level) for u in units).items(),
        key=lambda item: (item[0][0], LEVEL_ORDER[item[0][1]]),
    ):
        print(f"units {scheme} {level}: {count}")
    print(f"units total: {len(units)}")
    print(f"type column disagrees with name (name used): {sorted(TYPE_COLUMN_DISAGREEMENTS)}")
    print(f"type prefixes re-cased: {len(set(RECASED_PREFIXES))}: {sorted(set(RECASED_PREFIXES))}")
    by_kind = defaultdict(Counter)
    for row in lineage:
        by_kind[f"{row.old_level}->{row.new_level}"][
            "default" if row.is_default else "non-default"
        ] += 1
    for kind, counts in sorted(by_kind.items()):
        print(f"lineage {kind}: {dict(sorted(counts.items()))}")
    split = Counter(
        row.old_code for row in lineage if row.old_level == "commune" and not row.is_default
    )
    print(f"lineage split old communes: {len(split)}")
    print(f"lineage total: {len(lineage)}")
    for name in ("units.csv", "lineage.csv"):
        path = args.out / name
        print(
            f"wrote {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}: "
            f"{path.stat().st_size} bytes, sha256 {sha256(path)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

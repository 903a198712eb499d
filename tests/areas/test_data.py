"""Checks on the committed administrative-unit files, read through ``market4.areas.data``.

These run from the CSV files alone (no ``vietnamadminunits``), so they guard both the
generated data and the reader. Expected numbers are those of vietnamadminunits 1.0.4;
if the data is regenerated from another source version, update them with SOURCE.md.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter, defaultdict

import pytest

from market4.areas import data
from market4.areas.data import (
    SCHEME_2008,
    SCHEME_2025,
    LineageRecord,
    UnitRecord,
    get_unit,
    iter_lineage,
    iter_units,
    lineage_within,
    units_for_provinces,
)

HCMC_2025 = "79"
BA_RIA_VUNG_TAU_2008 = "77"
CHAU_DUC_2008 = "750"

# The five island districts that had no communes before 2025 and became special zones.
ISLAND_DISTRICTS = {"318": "11948", "471": "19742", "498": "20333", "536": "21548", "755": "26732"}


@pytest.fixture(scope="module")
def units() -> list[UnitRecord]:
    return list(iter_units())


@pytest.fixture(scope="module")
def lineage() -> list[LineageRecord]:
    return list(iter_lineage())


@pytest.fixture(scope="module")
def by_key(units):
    return {unit.key: unit for unit in units}


def test_counts_per_scheme_and_level(units):
    counts = Counter((unit.scheme, unit.level) for unit in units)
    assert counts == {
        (SCHEME_2008, "province"): 63,
        (SCHEME_2008, "district"): 696,
        (SCHEME_2008, "commune"): 10_035,
        (SCHEME_2025, "province"): 34,
        (SCHEME_2025, "commune"): 3_321,
    }


def test_division_types_per_level(units):
    types = defaultdict(Counter)
    for unit in units:
        types[(unit.scheme, unit.level)][unit.division_type] += 1
    # Six cities, not five: Huế became centrally run on 2025-01-01, before the reform.
    assert types[(SCHEME_2008, "province")] == {"Tỉnh": 57, "Thành phố": 6}
    assert types[(SCHEME_2008, "district")] == {
        "Huyện": 508,
        "Thành phố": 87,
        "Thị xã": 52,
        "Quận": 49,
    }
    assert types[(SCHEME_2008, "commune")] == {"Xã": 7_692, "Phường": 1_726, "Thị trấn": 617}
    # Published figures for the reform: 28 provinces + 6 cities; 2,621 xã, 687 phường, 13 đặc khu.
    assert types[(SCHEME_2025, "province")] == {"Tỉnh": 28, "Thành phố": 6}
    assert types[(SCHEME_2025, "commune")] == {"Xã": 2_621, "Phường": 687, "Đặc khu": 13}


def test_unit_identity_is_unique(units):
    keys = Counter(unit.key for unit in units)
    assert [key for key, count in keys.items() if count > 1] == []


def test_codes_are_zero_padded_strings(units):
    widths = {"province": 2, "district": 3, "commune": 5}
    bad = [
        unit for unit in units if not (unit.code.isdigit() and len(unit.code) == widths[unit.level])
    ]
    assert bad == []


def test_every_parent_resolves_within_its_scheme(units, by_key):
    for unit in units:
        if unit.level == "province":
            assert unit.parent_code is None, unit
            continue
        parent = by_key.get(unit.parent_key)
        assert parent is not None, unit
        assert parent.scheme == unit.scheme
    assert all(unit.scheme == SCHEME_2008 for unit in units if unit.level == "district")


def test_file_order_is_sorted_and_parents_first(units):
    level_rank = {"province": 0, "district": 1, "commune": 2}
    sort_keys = [(unit.scheme, level_rank[unit.level], unit.code) for unit in units]
    assert sort_keys == sorted(sort_keys)


def test_names_are_clean_nfc(units):
    for unit in units:
        for text in (unit.name, unit.division_type):
            assert text == unicodedata.normalize("NFC", text), unit
            assert text == text.strip() and "  " not in text and text, unit


def test_full_name_restores_the_official_name():
    assert get_unit(SCHEME_2008, "district", "760").full_name == "Quận 1"
    assert (
        get_unit(SCHEME_2008, "province", BA_RIA_VUNG_TAU_2008).full_name
        == "Tỉnh Bà Rịa - Vũng Tàu"
    )
    assert get_unit(SCHEME_2025, "province", HCMC_2025).full_name == "Thành phố Hồ Chí Minh"
    # The source spells this one "Thành Phố Bắc Kạn"; the prefix is normalised.
    bac_kan = [u for u in iter_units(SCHEME_2008, "district") if u.name == "Bắc Kạn"]
    assert [u.full_name for u in bac_kan] == ["Thành phố Bắc Kạn"]


def test_reused_code_names_two_different_wards():
    """2025 ward 26740 is not the 2008 ward 26740: a bare code is ambiguous."""
    new = get_unit(SCHEME_2025, "commune", "26740")
    old = get_unit(SCHEME_2008, "commune", "26740")
    assert new.full_name == "Phường Sài Gòn" and new.parent_code == HCMC_2025
    assert old.full_name == "Phường Bến Nghé" and old.parent_code == "760"  # Quận 1
    assert new != old


def test_chau_duc_district_and_its_communes():
    district = get_unit(SCHEME_2008, "district", CHAU_DUC_2008)
    assert district.full_name == "Huyện Châu Đức"
    assert district.parent_code == BA_RIA_VUNG_TAU_2008
    communes = {
        u.code: u.full_name
        for u in iter_units(SCHEME_2008, "commune")
        if u.parent_code == CHAU_DUC_2008
    }
    assert communes == {
        "26574": "Xã Bàu Chinh",
        "26575": "Thị trấn Ngãi Giao",
        "26578": "Xã Bình Ba",
        "26581": "Xã Suối Nghệ",
        "26584": "Xã Xuân Sơn",
        "26587": "Xã Sơn Bình",
        "26590": "Xã Bình Giã",
        "26593": "Xã Bình Trung",
        "26596": "Xã Xà Bang",
        "26599": "Xã Cù Bị",
        "26602": "Xã Láng Lớn",
        "26605": "Xã Quảng Thành",
        "26608": "Thị trấn Kim Long",
        "26611": "Xã Suối Rao",
        "26614": "Xã Đá Bạc",
        "26617": "Xã Nghĩa Thành",
    }


def test_chau_duc_communes_became_six_hcmc_communes(lineage, by_key):
    chau_duc = {
        u.code for u in iter_units(SCHEME_2008, "commune") if u.parent_code == CHAU_DUC_2008
    }
    rows = [row for row in lineage if row.old_level == "commune" and row.old_code in chau_duc]
    # None of them was split: one default successor each.
    assert sorted(row.old_code for row in rows) == sorted(chau_duc)
    assert all(row.is_default for row in rows)
    successors = defaultdict(set)
    for row in rows:
        new = by_key[row.new_key]
        assert new.parent_code == HCMC_2025
        successors[new.full_name].add(by_key[row.old_key].name)
    assert successors == {
        "Xã Ngãi Giao": {"Ngãi Giao", "Bình Ba", "Suối Nghệ"},
        "Xã Kim Long": {"Kim Long", "Bàu Chinh", "Láng Lớn"},
        "Xã Bình Giã": {"Bình Giã", "Bình Trung", "Quảng Thành"},
        "Xã Châu Đức": {"Xà Bang", "Cù Bị"},
        "Xã Nghĩa Thành": {"Nghĩa Thành", "Đá Bạc"},
        "Xã Xuân Sơn": {"Xuân Sơn", "Sơn Bình", "Suối Rao"},
    }


def test_lineage_endpoints_exist(lineage, by_key):
    assert [row for row in lineage if row.old_key not in by_key or row.new_key not in by_key] == []
    kinds = Counter((row.old_level, row.new_level) for row in lineage)
    assert kinds == {
        ("province", "province"): 63,
        ("district", "commune"): 5,
        ("commune", "commune"): 10_597,
    }


def test_every_old_commune_has_exactly_one_default_successor(lineage):
    defaults = Counter(
        row.old_code for row in lineage if row.old_level == "commune" and row.is_default
    )
    old_communes = {u.code for u in iter_units(SCHEME_2008, "commune")}
    assert set(defaults) == old_communes
    assert set(defaults.values()) == {1}


def test_split_communes(lineage):
    split = {row.old_code for row in lineage if row.old_level == "commune" and not row.is_default}
    assert len(split) == 471
    assert sum(1 for row in lineage if row.old_level == "commune" and not row.is_default) == 562


def test_island_districts_became_special_zones(lineage, by_key):
    rows = {row.old_code: row.new_code for row in lineage if row.old_level == "district"}
    assert rows == ISLAND_DISTRICTS
    for district_code, zone_code in ISLAND_DISTRICTS.items():
        assert by_key[(SCHEME_2025, "commune", zone_code)].division_type == "Đặc khu"
        assert not [u for u in iter_units(SCHEME_2008, "commune") if u.parent_code == district_code]


def test_every_new_commune_has_a_predecessor(lineage):
    reached = {row.new_code for row in lineage if row.new_level == "commune"}
    assert reached == {u.code for u in iter_units(SCHEME_2025, "commune")}


def test_province_lineage_covers_both_schemes(lineage):
    provinces = {row.old_code: row.new_code for row in lineage if row.old_level == "province"}
    assert set(provinces) == {u.code for u in iter_units(SCHEME_2008, "province")}
    assert set(provinces.values()) == {u.code for u in iter_units(SCHEME_2025, "province")}
    assert {old for old, new in provinces.items() if new == HCMC_2025} == {"74", "77", "79"}


def test_commune_lineage_agrees_with_province_lineage(lineage, by_key):
    """An old commune's successors lie in the new province its old province merged into."""
    new_province_of = {row.old_code: row.new_code for row in lineage if row.old_level == "province"}

    def old_province(unit: UnitRecord) -> str:
        while unit.level != "province":
            unit = by_key[unit.parent_key]
        return unit.code

    for row in lineage:
        if row.old_level == "province":
            continue
        assert (
            by_key[row.new_key].parent_code == new_province_of[old_province(by_key[row.old_key])]
        ), row


def test_known_lag_provinces_still_listed_as_tinh():
    """Snapshot of source 1.0.4: later data calls these centrally-run cities (see SOURCE.md)."""
    names = {u.name: u.division_type for u in iter_units(SCHEME_2025, "province")}
    assert {name: names[name] for name in ("Quảng Ninh", "Bắc Ninh", "Đồng Nai")} == dict.fromkeys(
        ("Quảng Ninh", "Bắc Ninh", "Đồng Nai"), "Tỉnh"
    )


def test_units_for_provinces_returns_the_demo_subset():
    subset = units_for_provinces({SCHEME_2025: {HCMC_2025}, SCHEME_2008: {BA_RIA_VUNG_TAU_2008}})
    assert Counter((u.scheme, u.level) for u in subset) == {
        (SCHEME_2008, "province"): 1,
        (SCHEME_2008, "district"): 7,
        (SCHEME_2008, "commune"): 77,
        (SCHEME_2025, "province"): 1,
        (SCHEME_2025, "commune"): 168,
    }
    seen = set()
    for unit in subset:
        assert unit.parent_key is None or unit.parent_key in seen, unit
        seen.add(unit.key)
    assert (SCHEME_2008, "district", CHAU_DUC_2008) in seen

    rows = lineage_within(subset)
    # Every Bà Rịa - Vũng Tàu commune went to Hồ Chí Minh, so all its lineage stays inside.
    assert sum(1 for row in rows if row.old_level == "commune") == 77
    assert {(row.old_level, row.old_code) for row in rows if row.old_level != "commune"} == {
        ("province", BA_RIA_VUNG_TAU_2008),
        ("district", "755"),
    }


def test_units_for_provinces_rejects_unknown_codes():
    with pytest.raises(KeyError):
        units_for_provinces({SCHEME_2025: {"77"}})  # 77 is a 2008 province code only


def test_csv_headers_are_as_documented():
    with data.UNITS_FILE.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == [
            "scheme",
            "level",
            "code",
            "name",
            "division_type",
            "parent_code",
        ]
    with data.LINEAGE_FILE.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == [
            "old_level",
            "old_code",
            "new_level",
            "new_code",
            "is_default",
        ]

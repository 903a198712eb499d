import csv

import pytest

from market4.domain import banks
from market4.domain.banks import BankLookupError, all_banks, by_bin, by_code, resolve, search


def test_every_bin_is_six_digits_and_unique():
    bins = [bank.bin for bank in all_banks()]
    assert len(bins) == 72
    assert len(set(bins)) == len(bins)
    assert all(len(b) == 6 and b.isascii() and b.isdigit() for b in bins)
    assert bins == sorted(bins)


def test_every_bank_has_a_known_status_and_kind():
    for bank in all_banks():
        assert bank.vietqr_status in banks.VIETQR_STATUSES
        assert bank.kind in banks.KINDS
        assert bank.sources


def test_alias_file_only_names_known_bins():
    with open(banks.DATA_DIR / "bank_aliases.csv", encoding="utf-8", newline="") as handle:
        assert {row["bin"] for row in csv.DictReader(handle)} <= {bank.bin for bank in all_banks()}


def test_by_bin():
    vcb = by_bin("970436")
    assert (vcb.code, vcb.short_name, vcb.vietqr_status, vcb.kind) == (
        "VCB",
        "Vietcombank",
        "TRANSFER_SUPPORTED",
        "bank",
    )
    assert vcb.can_scan_vietqr and vcb.in_vietqr_lists
    assert by_bin("123456") is None
    assert by_bin(" 970415 ").short_name == "VietinBank"


@pytest.mark.parametrize(
    ("bank_bin", "kind"),
    [
        ("971025", "wallet"),
        ("970468", "finance_company"),
        ("546034", "digital_bank"),
        ("999888", "bank"),
    ],
)
def test_kinds(bank_bin, kind):
    assert by_bin(bank_bin).kind == kind


def test_by_code_is_case_and_space_insensitive():
    assert [bank.bin for bank in by_code("icb")] == ["970415"]
    assert [bank.bin for bank in by_code("IBK-HN")] == ["970455"]
    assert by_code("NOPE") == []


@pytest.mark.parametrize(
    ("code", "preferred", "other"), [("CIMB", "422589", "970459"), ("MAFC", "977777", "970468")]
)
def test_shared_codes_prefer_the_bin_in_vietqr_lists(code, preferred, other):
    assert [bank.bin for bank in by_code(code)] == [preferred, other]
    assert resolve(code).bin == preferred
    assert not by_bin(other).in_vietqr_lists
    assert resolve(other).bin == other  # the other BIN is still reachable by number


@pytest.mark.parametrize(
    ("query", "expected_bin"),
    [
        ("loc phat", "970449"),
        ("Lộc Phát", "970449"),
        ("LienVietPostBank", "970449"),
        ("DongA", "970406"),
        ("Đông Á", "970406"),
        ("OceanBank", "970414"),
        ("Viet Capital Bank", "970454"),
        ("BVBank", "970454"),
        ("PG Bank", "970430"),
        ("ngoai thuong", "970436"),
    ],
)
def test_search_and_resolve_find_renamed_banks(query, expected_bin):
    assert search(query)[0].bin == expected_bin
    assert resolve(query).bin == expected_bin


def test_renamed_banks_keep_their_current_names():
    assert by_bin("970454").short_name == "VietCapitalBank"  # as in banks.csv
    assert "BVBank" in by_bin("970454").aliases
    assert "Viet Capital Bank" in by_bin("970454").former_names
    assert by_bin("970406").short_name == "Vikki"


def test_search_ranks_exact_matches_first():
    results = search("MB")
    assert results[0].bin == "970422"  # code MB
    assert "970414" in {bank.bin for bank in results}  # MBV, prefix


def test_search_by_bin_prefix_and_empty_query():
    assert {bank.bin for bank in search("97046")} == {
        "970460",
        "970462",
        "970463",
        "970464",
        "970465",
        "970466",
        "970467",
        "970468",
    }
    assert search("  ") == []


@pytest.mark.parametrize(
    ("query", "expected_bin"),
    [
        ("970436", "970436"),
        ("VCB", "970436"),
        ("vietcombank", "970436"),
        ("BVB", "970438"),
        ("Hàng Hải", "970426"),
    ],
)
def test_resolve(query, expected_bin):
    assert resolve(query).bin == expected_bin


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("123456", "no bank with BIN 123456"),
        ("Vietin", "no bank matches 'Vietin'"),
        ("", "empty bank name"),
        ("Kookmin", "ambiguous: 970462 KookminHN, 970463 KookminHCM"),
    ],
)
def test_resolve_refuses_unknown_and_ambiguous_names(query, message):
    with pytest.raises(BankLookupError) as caught:
        resolve(query)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_directory_is_loaded_once():
    assert all_banks() is all_banks()

"""Per-bank account-number rules (bank_account_rules.csv) and the NAPAS card rule; pure, no app."""

from __future__ import annotations

import csv
import shutil

import pytest

from market4.demo import data as demo
from market4.domain import banks
from market4.domain.account_rules import (
    DEFAULT_RULE,
    VIETQR_ACCOUNT_MAX,
    AccountRule,
    check_account_number,
    describe_lengths,
    luhn_valid,
    parse_rule,
)

RULES_CSV = "bank_account_rules.csv"


def rules_of(bank_bin: str) -> tuple[AccountRule, ...]:
    return banks.by_bin(bank_bin).account_rules


def code(number: str, bank_bin: str, *, is_card: bool = False) -> str | None:
    violation = check_account_number(number, rules_of(bank_bin), is_card=is_card)
    return None if violation is None else violation.code


def rule(charset: str = "digits", low: int = 6, high: int = 19) -> AccountRule:
    return AccountRule(charset, low, high, "test")


# --- Luhn -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "79927398713",  # the textbook example
        # NAPAS cards published as gateway sandbox cards (MoMo ATM test cards, VNPay NCB card)
        # and a VPBank card shown in public app code: all carry a valid Luhn digit.
        "9704000000000018",
        "9704000000000026",
        "9704000000000034",
        "9704000000000042",
        "9704198526191432198",
        "9704321180965659",
    ],
)
def test_luhn_accepts_valid_check_digits(number):
    assert luhn_valid(number)


@pytest.mark.parametrize(
    "number", ["79927398710", "9704198526191432199", "9704360012345678", "", "0", "97O4", "٩٧٠٤"]
)
def test_luhn_refuses_wrong_digits_and_non_digits(number):
    assert not luhn_valid(number)


def test_every_single_digit_typo_breaks_luhn():
    card = "9704198526191432198"
    for position in range(len(card)):
        for digit in "0123456789":
            if digit != card[position]:
                assert not luhn_valid(card[:position] + digit + card[position + 1 :])


# --- rules as data --------------------------------------------------------------------------


def test_parse_rule_reads_a_csv_row():
    parsed = parse_rule(
        {"charset": "digits", "min_length": " 13", "max_length": "13 ", "source": "x", "note": "n"}
    )
    assert parsed == AccountRule("digits", 13, 13, "x", "n")
    assert not parsed.is_default and DEFAULT_RULE.is_default


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"charset": "letters", "min_length": "6", "max_length": "19", "source": "x"}, "charset"),
        ({"charset": "", "min_length": "6", "max_length": "19", "source": "x"}, "charset"),
        (
            {"charset": "digits", "min_length": "six", "max_length": "19", "source": "x"},
            "min_length",
        ),
        ({"charset": "digits", "min_length": "6", "max_length": "", "source": "x"}, "max_length"),
        ({"charset": "digits", "min_length": "14", "max_length": "13", "source": "x"}, "lengths"),
        ({"charset": "digits", "min_length": "0", "max_length": "13", "source": "x"}, "lengths"),
        ({"charset": "digits", "min_length": "6", "max_length": "20", "source": "x"}, "lengths"),
        ({"charset": "digits", "min_length": "6", "max_length": "19", "source": " "}, "source"),
    ],
)
def test_parse_rule_refuses_bad_rows(row, problem):
    with pytest.raises(ValueError, match=problem) as info:
        parse_rule(row, "rules.csv line 7")
    assert "rules.csv line 7" in str(info.value)


def test_alnum_rules_need_a_letter_and_digit_rules_refuse_letters():
    alias, digits = rule("alnum"), rule("digits")
    assert alias.matches("PSP123456789000000") and alias.matches("MYNAMEBVH")
    assert not alias.matches("123456789")  # all digits: judged by the digits rows only
    assert digits.matches("123456789") and not digits.matches("12345ABC678")
    assert not digits.matches("12 345678") and not alias.matches("ABC-12345")


def test_describe_lengths_merges_touching_ranges():
    assert describe_lengths([rule(low=13, high=13)]) == "13"
    assert describe_lengths([rule(low=12, high=13), rule(low=10, high=11)]) == "10–13"
    assert describe_lengths([rule(low=18, high=18), rule(low=10, high=13)]) == "10–13, 18"


# --- the shipped CSV --------------------------------------------------------------------------


def read_rules_csv() -> list[dict[str, str]]:
    with open(banks.DATA_DIR / RULES_CSV, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_bank_has_at_least_one_rule_row_with_a_source():
    rows = read_rules_csv()
    assert list(rows[0]) == ["bin", "bank", "charset", "min_length", "max_length", "source", "note"]
    assert {row["bin"] for row in rows} == {bank.bin for bank in banks.all_banks()}
    for bank in banks.all_banks():
        assert bank.account_rules, bank.bin
        for account_rule in bank.account_rules:
            assert account_rule.source
            assert 1 <= account_rule.min_length <= account_rule.max_length <= VIETQR_ACCOUNT_MAX


def test_default_rows_say_so_and_match_the_default_rule():
    for row in read_rules_csv():
        if row["source"].startswith("default"):
            assert (row["charset"], row["min_length"], row["max_length"]) == (
                "digits",
                "6",
                "19",
            ), row["bin"]
            assert row["source"] == DEFAULT_RULE.source


def test_only_wallet_virtual_account_issuers_allow_letters():
    with_letters = {
        bank.bin for bank in banks.all_banks() if any(r.allows_letters for r in bank.account_rules)
    }
    assert with_letters == {
        "970454",
        "971025",
        "970407",
    }  # BVBank, MoMo, Techcombank (weak evidence)
    for bank_bin in with_letters:  # every letter rule is backed by a non-default source
        assert all(not r.is_default for r in rules_of(bank_bin) if r.allows_letters)


@pytest.mark.parametrize(
    ("number", "bank_bin", "expected"),
    [
        ("12345ABC678", "970405", "account_number_letters_not_allowed"),  # the bug report
        ("1500205123456", "970405", None),
        ("150020512345", "970405", "account_number_length"),
        ("15002051234567", "970405", "account_number_length"),
        ("0071001234567", "970436", None),
        ("1012345678", "970436", None),
        ("12345", "970436", "account_number_length"),
        (
            "VIETCOMBANKVN",
            "970436",
            "account_number_letters_not_allowed",
        ),  # nicknames ended 1/4/2026
        ("99ZP24009M07248267", "970454", None),  # ZaloPay via BVBank
        ("99MM24011M34875080", "970454", None),  # legacy MoMo via BVBank
        ("1234567890123", "970454", None),  # BVBank's own accounts: default digits
        ("99ZP2", "970454", "account_number_length"),
        ("PSP123456789000000", "971025", None),  # MoMo virtual account at its own BIN
        ("0912345678", "971025", None),
        ("MS00P00000000647117", "970407", None),
        ("19030413601018", "970407", None),
        ("MYNAMEBVH", "970423", "account_number_letters_not_allowed"),  # TPBank alias: ended
        ("257678859", "970416", None),  # ACB, 9 digits
        ("12345", "970418", "account_number_length"),  # default: 6-19 digits
        ("123456", "970418", None),
    ],
)
def test_shipped_rules(number, bank_bin, expected):
    assert code(number, bank_bin) == expected


def test_length_violation_reports_the_lengths_of_the_numbers_kind():
    violation = check_account_number("99ZP2", rules_of("970454"))
    assert dict(violation.params) == {"number": "99ZP2", "length": 5, "allowed": "6–19", "alias": 1}
    violation = check_account_number("150020512345", rules_of("970405"))
    assert dict(violation.params) == {
        "number": "150020512345",
        "length": 12,
        "allowed": "13",
        "alias": 0,
    }


def test_letters_required_when_every_rule_needs_letters():
    violation = check_account_number("123456789", (rule("alnum", 6, 19),))
    assert violation.code == "account_number_letters_required"


def test_no_rules_means_the_default_rule():
    assert check_account_number("123456", ()) is None
    assert check_account_number("12345", ()).code == "account_number_length"
    assert check_account_number("ABCDEF", ()).code == "account_number_letters_not_allowed"


# --- NAPAS cards --------------------------------------------------------------------------------


@pytest.mark.parametrize("bank_bin", ["970405", "970436", "970454", "999888"])
def test_cards_follow_the_napas_rule_whatever_the_bank(bank_bin):
    assert code("9704198526191432198", bank_bin, is_card=True) is None  # 19 digits
    assert code("9704000000000018", bank_bin, is_card=True) is None  # 16 digits
    assert code("9704198526191432199", bank_bin, is_card=True) == "card_number_checksum"


@pytest.mark.parametrize("number", ["970400000000018", "97040000000000000018", "9704ABCD00000000"])
def test_card_length_and_characters(number):
    violation = check_account_number(number, (), is_card=True)
    assert violation.code == "card_number_length"
    assert violation.params["allowed"] == "16–19" and violation.params["length"] == len(number)


# --- the demo seed and the loader -------------------------------------------------------------------


@pytest.mark.parametrize(("bank_bin", "weight", "lengths"), demo.PAYMENT_PROVIDERS)
def test_every_number_the_demo_seed_generates_passes(bank_bin, weight, lengths):
    if bank_bin in demo.WALLET_BINS:
        numbers = [prefix + "1234567" for prefix in demo.PHONE_PREFIXES]  # paid to the phone number
    else:  # the seed draws uniformly from [10**(n-1), 10**n)
        numbers = [str(10 ** (n - 1)) for n in lengths] + ["9" * n for n in lengths]
    assert numbers
    for number in numbers:
        assert check_account_number(number, rules_of(bank_bin)) is None, (bank_bin, number)


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A writable copy of market4/data, loaded instead of the real one (no cache)."""
    for path in banks.DATA_DIR.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(banks, "DATA_DIR", tmp_path)

    def edit(line: str | None = None, replace: tuple[str, str] | None = None):
        target = tmp_path / RULES_CSV
        text = target.read_text(encoding="utf-8")
        if replace:
            assert replace[0] in text
            text = text.replace(replace[0], replace[1], 1)
        if line:
            text += line + "\n"
        target.write_text(text, encoding="utf-8")
        return banks._directory.__wrapped__()

    return edit


def test_loader_accepts_the_copy_unchanged(data_copy):
    assert data_copy().by_bin["970405"].account_rules == rules_of("970405")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"line": "123456,Nowhere,digits,6,19,x,"}, "not in banks.csv"),
        ({"line": "970405,Vietcombank,digits,6,19,x,"}, "Agribank"),
        ({"line": "970405,Agribank,letters,6,19,x,"}, "charset"),
        ({"line": "970405,Agribank,digits,13,12,x,"}, "lengths"),
        ({"line": "970405,Agribank,digits,6,20,x,"}, "lengths"),
        ({"line": "970405,Agribank,digits,6,19,,"}, "source"),
        ({"line": "970405,Agribank,digits,13,13,again,"}, "already has this rule"),
    ],
)
def test_loader_refuses_bad_rows(data_copy, change, message):
    with pytest.raises(ValueError, match=message):
        data_copy(**change)


def test_a_bank_missing_from_the_rules_file_gets_the_default_rule(data_copy):
    rows = (banks.DATA_DIR / RULES_CSV).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = "".join(row for row in rows if not row.startswith("970418,"))
    directory = data_copy(replace=("".join(rows), kept))
    assert directory.by_bin["970418"].account_rules == (DEFAULT_RULE,)

"""Field rules shared by the form, the Excel import and the API (no app, no database)."""

from __future__ import annotations

import unicodedata

import pytest

from market4.errors import FieldError, ValidationFailed
from market4.registry import validation as v


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def failure(rule, *args, **kwargs) -> FieldError:
    with pytest.raises(ValidationFailed) as info:
        rule(*args, **kwargs)
    [error] = info.value.errors
    return error


# --- display name ----------------------------------------------------------------------


def test_display_name_is_nfc_trimmed_and_single_spaced():
    name = v.clean_display_name(nfd("  Nguyễn   Thị\tĐào \u200b"))
    assert name == "Nguyễn Thị Đào"
    assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        (None, "required"),
        ("A", "invalid_length"),
        ("12345", "name_without_letters"),
        ("-- --", "name_without_letters"),
        ("Đ" * 121, "invalid_length"),
    ],
)
def test_display_name_refusals(value, code):
    error = failure(v.clean_display_name, value)
    assert (error.field, error.code) == ("display_name", code)
    assert error.message  # Vietnamese, for people


def test_display_name_at_the_limits():
    assert v.clean_display_name("Lý") == "Lý"
    assert len(v.clean_display_name("Đ" * 120)) == 120


# --- bank-style names ------------------------------------------------------------------


def test_bank_style_name_defaults_to_the_folded_display_name():
    assert v.clean_bank_style_name(None, display_name="Nguyễn Thị Đào") == "NGUYEN THI DAO"
    assert v.clean_bank_style_name("  ", display_name=nfd("Đặng Hoà")) == "DANG HOA"


def test_typed_bank_style_name_is_refolded_and_upper_cased():
    assert v.clean_bank_style_name("nguyễn  thị-đào", display_name="x") == "NGUYEN THI DAO"
    assert v.clean_bank_style_name(nfd("Trần Văn Ơn"), display_name=None) == "TRAN VAN ON"


def test_bank_style_name_needs_letters():
    error = failure(v.clean_bank_style_name, "!!! 123", display_name=None)
    assert (error.field, error.code) == ("bank_style_name", "name_without_letters")


def test_holder_name_defaults_and_folds():
    assert v.clean_holder_name(None, default="NGUYEN THI DAO") == "NGUYEN THI DAO"
    assert v.clean_holder_name("Lê Văn Tám", default="X") == "LE VAN TAM"


# --- phone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0912 345 678",
        "0912345678",
        "+84912345678",
        "84912345678",
        "0084912345678",
        "0912.345.678",
        "0912-345-678",
        "(+84) 912 345 678",
        nfd("0912 345 678"),
        84912345678,
    ],
)
def test_phone_forms_accepted_and_stored_e164(value):
    assert v.clean_phone(value) == "+84912345678"


@pytest.mark.parametrize(
    "value", ["912345678", 912345678, 912345678.0, "912345678.0", " 912 345 678 "]
)
def test_phone_that_lost_its_leading_zero_in_excel(value):
    error = failure(v.clean_phone, value)
    assert (error.field, error.code) == ("phone", "phone_leading_zero_lost")
    assert error.message == "Số điện thoại mất số 0 ở đầu (Excel?) — nhập dạng văn bản."


def test_nine_digits_from_a_numeric_cell_are_always_a_lost_zero():
    # 0891… is not a valid range, but from a numeric cell nine digits can mean nothing else.
    assert failure(v.clean_phone, "891234567", numeric_cell=True).code == "phone_leading_zero_lost"
    assert failure(v.clean_phone, "891234567").code == "invalid_phone"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        (None, "required"),
        ("abc", "invalid_phone"),
        ("0912", "phone_length"),
        ("+84 912 345", "phone_length"),
        ("0741234567", "phone_bad_prefix"),
        ("01234567890", "phone_old_format"),
        ("02838123456", "phone_not_mobile"),
        ("+14155552671", "phone_not_vietnamese"),
        ("9.12346E+08", "phone_scientific_notation"),
        ("0891234567", "phone_unassigned"),
        (True, "invalid"),
        (912345678.5, "decimal_number"),
    ],
)
def test_phone_refusals(value, code):
    error = failure(v.clean_phone, value)
    assert (error.field, error.code) == ("phone", code)


def test_phone_refusals_name_the_value_and_the_rule():
    assert str(failure(v.clean_phone, "0741234567").message) == (
        "Đầu số 074 không phải đầu số di động Việt Nam."
    )
    assert str(failure(v.clean_phone, "091234567 8 9").message) == (
        "11 chữ số — số di động cần 10 (ví dụ 0912 345 678)."
    )
    assert "0891 234 567" in str(failure(v.clean_phone, "0891234567").message)


def test_phone_error_can_name_the_callers_field():
    assert failure(v.clean_phone, "abc", field_name="so_dien_thoai").field == "so_dien_thoai"


# --- account numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0071 0012 3456-7", "0071001234567"),
        ("1234-5678-90", "1234567890"),
        ("nguyenvana", "NGUYENVANA"),
        ("VQR 0123 abc", "VQR0123ABC"),
        ("7", "7"),
        ("1" * 19, "1" * 19),
        (nfd(" 123 456 "), "123456"),
    ],
)
def test_account_numbers_are_text_without_separators(value, expected):
    cleaned = v.clean_account_number(value)
    assert (cleaned.number, cleaned.is_card, cleaned.warnings) == (expected, False, ())


@pytest.mark.parametrize(
    "value", ["9704229200000001", "9704 2292 0000 0000 123", "9704000000000000000"]
)
def test_napas_card_numbers_are_recognised(value):
    assert v.clean_account_number(value).is_card is True


@pytest.mark.parametrize(
    "value", ["970422920000001", "4111111111111111", "12345678901234567", "9704ABCD00000000"]
)
def test_other_numbers_are_not_cards(value):
    assert v.clean_account_number(value).is_card is False


@pytest.mark.parametrize(
    "value", ["9.70E+15", "9,70422E+15", "9.70422e15", "1.91E+18", " 9,7E+18 "]
)
def test_scientific_notation_is_refused_with_an_excel_message(value):
    error = failure(v.clean_account_number, value)
    assert (error.field, error.code) == ("account_number", "account_number_scientific")
    assert "Excel" in error.message


@pytest.mark.parametrize("value", ["12345.0", "12345,0", "1002003004.00", 12345.5])
def test_float_looking_values_are_refused(value):
    assert failure(v.clean_account_number, value).code in {
        "account_number_decimal",
        "decimal_number",
    }


def test_long_numbers_from_numeric_cells_have_lost_digits():
    for value, numeric in [
        (9704221234567889920, False),
        (9.704221234567889e18, False),
        ("1234567890123456000", True),
        ("1234567890123456", True),
    ]:
        error = failure(v.clean_account_number, value, numeric_cell=numeric)
        assert error.code == "account_number_excel_precision"
        assert "15" in error.message and "Excel" in error.message


def test_the_same_long_number_typed_as_text_is_fine():
    assert v.clean_account_number("1234567890123456000").number == "1234567890123456000"


def test_short_number_from_a_numeric_cell_passes_with_a_warning():
    cleaned = v.clean_account_number(12345678901)
    assert cleaned.number == "12345678901"
    assert [w.code for w in cleaned.warnings] == ["account_number_numeric_cell"]
    assert v.clean_account_number(12345678901.0).number == "12345678901"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        (None, "required"),
        ("1" * 20, "account_number_too_long"),
        ("123/456", "account_number_invalid_chars"),
        ("số 123", "account_number_invalid_chars"),
        ("1.234.567", "account_number_invalid_chars"),
    ],
)
def test_account_number_refusals(value, code):
    error = failure(v.clean_account_number, value)
    assert (error.field, error.code) == ("account_number", code)


# --- account number against the bank's rules --------------------------------------------


def bank_failure(value, bank_bin, **kwargs) -> FieldError:
    return failure(v.check_account_for_bank, v.clean_account_number(value), bank_bin, **kwargs)


def test_letters_are_refused_at_agribank_with_the_value_in_the_message():
    error = bank_failure("12345abc678", "970405")
    assert (error.field, error.code) == ("account_number", "account_number_letters_not_allowed")
    assert error.message == "Số tài khoản Agribank chỉ gồm chữ số; “12345ABC678” có chữ cái."


@pytest.mark.parametrize(
    ("value", "bank_bin", "code", "message"),
    [
        (
            "12345",
            "970436",
            "account_number_length",
            "Số tài khoản Vietcombank có 10–13 chữ số; “12345” có 5.",
        ),
        (
            "1500 2051 2345",
            "970405",
            "account_number_length",
            "Số tài khoản Agribank có 13 chữ số; “150020512345” có 12.",
        ),
        (
            "99ZP2",
            "970454",
            "account_number_length",
            "Số tài khoản định danh VietCapitalBank có 6–19 ký tự; “99ZP2” có 5.",
        ),
        (
            "ABCDEF",
            "999999",
            "account_number_letters_not_allowed",
            "Số tài khoản BIN 999999 chỉ gồm chữ số; “ABCDEF” có chữ cái.",
        ),
        (
            "9704 1985 2619 1432 199",
            "970419",
            "card_number_checksum",
            "Số thẻ “9704198526191432199” sai số kiểm tra (Luhn) — có thể gõ nhầm một chữ số, hãy đối chiếu với thẻ.",
        ),
    ],
)
def test_bank_rule_messages_name_the_value_and_the_rule(value, bank_bin, code, message):
    error = bank_failure(value, bank_bin)
    assert (error.code, error.message) == (code, message)


@pytest.mark.parametrize(
    ("value", "bank_bin"),
    [
        ("1500-2051-23456", "970405"),
        ("0071 0012 34567", "970436"),
        ("1012345678", "970436"),
        ("99zp24009m07248267", "970454"),
        ("PSP123456789000000", "971025"),
        ("0912 000 999", "971025"),
        ("9704 1985 2619 1432 198", "970405"),
        ("123456", "999999"),
        ("257678859", "970416"),
    ],
)
def test_numbers_that_fit_their_bank_pass(value, bank_bin):
    assert v.check_account_for_bank(v.clean_account_number(value), bank_bin) is None


def test_bank_rule_error_can_name_the_callers_field():
    error = bank_failure("12345ABC678", "970405", field_name="account")
    assert (error.field, error.code) == ("account", "account_number_letters_not_allowed")


def test_cards_are_checked_by_luhn_not_by_the_banks_account_rules():
    cleaned = v.clean_account_number("9704000000000018")
    assert cleaned.is_card and v.check_account_for_bank(cleaned, "970436") is None
    assert bank_failure("9704000000000019", "970436").code == "card_number_checksum"


def test_the_cleaned_text_with_is_card_works_as_well():
    assert v.check_account_for_bank("1500205123456", "970405") is None
    assert v.check_account_for_bank("9704000000000018", "970405") is None  # detected as a card
    assert (
        failure(v.check_account_for_bank, "9704000000000019", "970405").code
        == "card_number_checksum"
    )
    # is_card given: the caller's answer wins ("9704…" of 16 digits could be an account elsewhere)
    error = failure(v.check_account_for_bank, "9704000000000019", "970405", is_card=False)
    assert error.code == "account_number_length"
    assert failure(v.check_account_for_bank, "12345abc678", "970405").message == (
        "Số tài khoản Agribank chỉ gồm chữ số; “12345ABC678” có chữ cái."
    )


def test_every_bank_rule_code_has_a_vietnamese_template_with_its_placeholders():
    assert set(v.ACCOUNT_RULE_MESSAGES) == {
        "account_number_letters_not_allowed",
        "account_number_letters_required",
        "account_number_length",
        "card_number_length",
        "card_number_checksum",
    }
    for template in [*v.ACCOUNT_RULE_MESSAGES.values(), v.ACCOUNT_ALIAS_LENGTH_MESSAGE]:
        assert "%(number)s" in template
        template % {"bank": "Agribank", "number": "1", "length": 1, "allowed": "13", "alias": 0}


# --- goods category, stall code, reference -----------------------------------------------


def test_goods_category_matches_loosely_and_returns_the_canonical_spelling():
    assert v.clean_goods_category("thit") == "Thịt"
    assert v.clean_goods_category(nfd("CÁ THỦY HẢI SẢN")) == "Cá, thủy hải sản"
    assert v.clean_goods_category("  ") is None


def test_goods_category_list_is_configurable():
    assert v.clean_goods_category("Sách", categories=["Sách", "Báo"]) == "Sách"
    error = failure(v.clean_goods_category, "Rau củ", categories=["Sách"])
    assert (error.field, error.code) == ("goods_category", "unknown_goods_category")


def test_stall_code():
    assert v.clean_stall_code(nfd("  Sạp   12 ")) == "Sạp 12"
    assert failure(v.clean_stall_code, "").code == "required"
    assert v.clean_stall_code("L" * 40) == "L" * 40
    assert failure(v.clean_stall_code, "L" * 41).code == "invalid_length"


def test_partner_reference():
    assert v.clean_partner_reference(" REF-1 ") == "REF-1"
    assert v.clean_partner_reference("") is None
    assert failure(v.clean_partner_reference, "x" * 65).code == "invalid_length"


# --- all fields at once ----------------------------------------------------------------


def test_validate_vendor_fields_normalises_everything():
    fields = v.validate_vendor_fields(
        display_name=nfd("Nguyễn Thị Đào"),
        phone="0912 345 678",
        account_number="0071-0012-34567",
        goods_category="rau cu",
        partner_reference=" A1 ",
    )
    assert fields == v.VendorFields(
        display_name="Nguyễn Thị Đào",
        bank_style_name="NGUYEN THI DAO",
        phone_e164="+84912345678",
        account_number="0071001234567",
        is_card=False,
        holder_name="NGUYEN THI DAO",
        goods_category="Rau củ",
        partner_reference="A1",
        warnings=(),
    )


def test_validate_vendor_fields_reports_every_error_at_once():
    with pytest.raises(ValidationFailed) as info:
        v.validate_vendor_fields(
            display_name="1",
            phone="912345678",
            account_number="9.70E+15",
            goods_category="xe máy",
            partner_reference="x" * 80,
        )
    failed = info.value
    assert failed.fields == {
        "display_name",
        "phone",
        "account_number",
        "goods_category",
        "partner_reference",
    }
    assert failed.for_field("phone")[0].code == "phone_leading_zero_lost"
    # A bad display name does not also produce noise about the derived names.
    assert "bank_style_name" not in failed.fields and "holder_name" not in failed.fields
    assert failed.as_dict()["errors"][0] == {
        "field": "display_name",
        "code": "name_without_letters",
        "message": "Tên phải có chữ cái.",
    }


def test_validate_vendor_fields_phone_may_be_optional():
    fields = v.validate_vendor_fields(
        display_name="Lê Tám", phone="", account_number="1", phone_required=False
    )
    assert fields.phone_e164 is None


def test_name_mismatches_are_warnings_not_errors():
    fields = v.validate_vendor_fields(
        display_name="Nguyễn Thị Đào",
        phone="0912345678",
        account_number="1",
        bank_style_name="Nguyen Thi Dao Hoa",
        holder_name="Tran Thi Dao",
    )
    assert fields.bank_style_name == "NGUYEN THI DAO HOA"
    assert fields.holder_name == "TRAN THI DAO"
    assert {w.code for w in fields.warnings} == {"bank_style_name_differs", "holder_name_differs"}

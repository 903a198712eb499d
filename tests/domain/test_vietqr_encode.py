"""Encoder validation, text folding and truncation."""

import unicodedata

import pytest

from market4.domain.vietqr import (
    MAX_AMOUNT,
    SERVICE_CARD,
    Transfer,
    VietQRError,
    decode,
    encode,
    normalize,
)

NAME = "Nguyễn Thị Bích Thủy"


def base(**changes) -> Transfer:
    fields = {"bin": "970436", "account": "0011001234567"} | changes
    return Transfer(**fields)


def test_static_and_dynamic_initiation():
    assert encode(base()).startswith("000201010211")
    assert encode(base(amount=50000)).startswith("000201010212")
    assert base().initiation == "static" and base(amount=1).initiation == "dynamic"
    assert "5303704" + "5802VN" in encode(base())  # no 54 between them


@pytest.mark.parametrize("amount", [1, 50000, MAX_AMOUNT])
def test_amount_range_accepted(amount):
    assert decode(encode(base(amount=amount))).transfer.amount == amount


@pytest.mark.parametrize(
    ("changes", "tag", "reason"),
    [
        ({"bin": "97043"}, "38.01.00", "BIN must be exactly 6 digits"),
        ({"bin": "9704361"}, "38.01.00", "BIN must be exactly 6 digits"),
        ({"bin": "97O436"}, "38.01.00", "BIN must be exactly 6 digits"),
        ({"bin": "٩٧٠٤٣٦"}, "38.01.00", "BIN must be exactly 6 digits"),  # Arabic-Indic digits
        ({"bin": 970436}, "38.01.00", "BIN must be exactly 6 digits"),
        ({"account": ""}, "38.01.01", "1-19 letters or digits"),
        ({"account": "1" * 20}, "38.01.01", "longer than 19 characters"),
        ({"account": "0011 001234"}, "38.01.01", "only ASCII letters and digits"),
        ({"account": "ĐÀO123"}, "38.01.01", "only ASCII letters and digits"),
        ({"account": "99ZP2400A", "service": SERVICE_CARD}, "38.01.01", "digits only"),
        ({"account": "97041512345", "service": SERVICE_CARD}, "38.01.01", "12-19 digits"),
        ({"account": "9" * 20, "service": SERVICE_CARD}, "38.01.01", "12-19 digits"),
        ({"service": "QRPUSH"}, "38.02", "QRIBFTTA or QRIBFTTC"),
        ({"amount": 0}, "54", "from 1 to 499,999,999"),
        ({"amount": -1}, "54", "from 1 to 499,999,999"),
        ({"amount": MAX_AMOUNT + 1}, "54", "from 1 to 499,999,999"),
        ({"amount": 50000.0}, "54", "whole VND"),
        ({"amount": True}, "54", "whole VND"),
        ({"amount": "50000"}, "54", "whole VND"),
        ({"mcc": "541"}, "52", "4 digits"),
        ({"purpose": "x" * 26}, "62.08", "longer than 25 characters"),
        ({"bill_number": "x" * 26}, "62.01", "longer than 25 characters"),
        ({"merchant_name": "x" * 26}, "59", "longer than 25 characters"),
        ({"merchant_city": "Thành phố Hồ Chí Minh"}, "60", "longer than 15 characters"),
        ({"purpose": "🍜🍜"}, "62.08", "no characters left"),
        ({"purpose": 123}, "62.08", "must be text"),
        ({"consumer_data_request": "AA"}, "62.09", "each at most once"),
        ({"consumer_data_request": "X"}, "62.09", '"A", "M" and/or "E"'),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_transfer_is_refused(changes, tag, reason):
    with pytest.raises(VietQRError) as caught:
        encode(base(**changes))
    assert caught.value.tag == tag
    assert reason in caught.value.rule


def test_alphanumeric_virtual_account_is_kept_verbatim():
    transfer = base(bin="970454", account="99ZP24009M07248267")
    assert decode(encode(transfer)).transfer == transfer


def test_62_template_over_99_is_refused_even_with_truncate():
    crowded = base(
        **{
            field: "x" * 25
            for field in ("purpose", "bill_number", "store_label", "reference_label")
        }
    )
    with pytest.raises(
        VietQRError, match=r"^tag 62: additional data totals 116 characters, more than 99$"
    ):
        encode(crowded, truncate=True)


# Diacritics and folding (docs/vietqr.md §5)


def test_vietnamese_purpose_and_name_encode_as_ascii():
    payload = encode(base(purpose=NAME, merchant_name=NAME))
    assert payload.isascii()
    assert "5920Nguyen Thi Bich Thuy" in payload
    assert "0820Nguyen Thi Bich Thuy" in payload


def test_nfd_input_gives_the_nfc_payload():
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME
    assert encode(base(purpose=decomposed, merchant_city="Hà Nội")) == encode(
        base(purpose=NAME, merchant_city=unicodedata.normalize("NFD", "Hà Nội"))
    )


def test_capital_d_with_stroke_maps_to_d():
    assert decode(encode(base(purpose="Đào Đức đi"))).transfer.purpose == "Dao Duc di"


def test_blank_text_is_omitted():
    assert encode(base(purpose="", merchant_name="   ")) == encode(base())


def test_over_long_text_raises_unless_truncated():
    long_purpose = "Thanh toán tiền hàng tháng mười một"  # 35 characters folded
    with pytest.raises(
        VietQRError, match=r"^tag 62.08: longer than 25 characters after folding to ASCII \(35\)$"
    ):
        encode(base(purpose=long_purpose))
    truncated = decode(encode(base(purpose=long_purpose), truncate=True)).transfer.purpose
    assert truncated == "Thanh toan tien hang than"


def test_truncation_drops_a_trailing_space():
    assert normalize(base(purpose="a" * 24 + " bcd"), truncate=True).purpose == "a" * 24


def test_text_within_limits_is_never_changed_by_truncate():
    transfer = base(purpose="Tien hang", merchant_name="Bich Thuy")
    assert encode(transfer, truncate=True) == encode(transfer)


def test_normalize_returns_what_the_payload_carries():
    transfer = base(purpose="  Tiền  hàng #12 ", merchant_city="Huế", amount=20000)
    assert normalize(transfer) == base(purpose="Tien hang #12", merchant_city="Hue", amount=20000)


@pytest.mark.parametrize(
    ("purpose", "carried"),
    [
        ("DH#12/2026", "DH#12/2026"),  # order numbers keep "#" and "/"
        ("ĐH#12/2026", "DH#12/2026"),
        ("Đơn ＃１２／２０２６", "Don #12/2026"),  # fullwidth forms (NFKC)
        ("Tiền\u200bhàng", "Tien hang"),  # zero-width space between words
        ("Tiền\u00adhàng\ufeff", "Tien hang"),  # soft hyphen, BOM
        ("Hóa đơn 2025–2026", "Hoa don 2025-2026"),  # en dash
        ("Đơn (12)*", "Don 12"),  # other punctuation is dropped
    ],
)
def test_purpose_keeps_its_meaning(purpose, carried):
    payload = encode(base(purpose=purpose))
    assert payload.isascii()
    assert f"08{len(carried):02d}{carried}6304" in payload
    decoded = decode(payload, strict=True)
    assert decoded.transfer.purpose == carried
    assert decoded.warnings == () and decoded.is_canonical

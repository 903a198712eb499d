"""The decoder: what it must refuse (with the tag and rule), what it accepts with a
warning (and refuses with ``strict=True``), and what it accepts silently (docs/vietqr.md §4)."""

import pytest

from market4.domain.vietqr import (
    SERVICE_ACCOUNT,
    SERVICE_CARD,
    WARNING_CODES,
    Transfer,
    VietQRError,
    VietQRWarning,
    checksum,
    decode,
    encode,
)


def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def sign(body: str) -> str:
    """Append a correct 63 object, so that the check under test is not the CRC."""
    return f"{body}6304{checksum(body + '6304')}"


def account_template(
    bank_bin="970436", account="0011001234567", service="QRIBFTTA", guid="A000000727"
):
    beneficiary = tlv("01", tlv("00", bank_bin) + tlv("01", account))
    return tlv("38", tlv("00", guid) + beneficiary + tlv("02", service))


MAI = account_template()
HEAD = "000201" + "010211"
DYNAMIC_HEAD = "000201" + "010212"
TAIL = "5303704" + "5802VN"
VALID_STATIC = sign(HEAD + MAI + TAIL)
VALID_DYNAMIC = sign(DYNAMIC_HEAD + MAI + "5303704" + "540550000" + "5802VN")


def test_fixtures_are_valid_and_canonical():
    assert decode(VALID_STATIC).is_canonical
    assert decode(VALID_DYNAMIC).transfer.amount == 50000


MALFORMED = [
    # CRC and the tail
    (
        "bad-crc",
        VALID_STATIC[:-1] + ("0" if VALID_STATIC[-1] != "0" else "1"),
        "63",
        "CRC mismatch",
    ),
    ("crc-not-hex", VALID_STATIC[:-4] + "12G4", "63", "not 4 hex digits"),
    ("no-crc-object", HEAD + MAI + TAIL, "63", 'must end with the CRC object "6304"'),
    ("truncated", VALID_STATIC[:60], "63", "must end with the CRC object"),
    ("empty", "", "63", "must end with the CRC object"),
    (
        "crc-length-05",
        sign(HEAD + MAI + TAIL)[:-8] + "6305ABCD",
        "63",
        "must end with the CRC object",
    ),
    (
        "crc-swallowed-not-last",
        sign(HEAD + MAI + TAIL + "6220" + "0808ABCDEFGH"),
        "63",
        "CRC must be the last object",
    ),
    ("crc-length-08", sign(HEAD + MAI + TAIL + "6308"), "63", "CRC object must have length 04"),
    ("lone-surrogate", "\ud800" + VALID_STATIC, None, "not valid Unicode"),
    # lengths at each nesting level
    ("root-length-short", sign(HEAD + "3856" + MAI[4:] + TAIL), None, "is not two digits"),
    ("root-length-past-end", sign(HEAD + MAI + "5303704" + "5820VN"), "58", "runs past the end"),
    ("root-length-00", sign(HEAD + MAI + "5300" + TAIL), "53", "is not 01-99"),
    ("root-length-not-digits", sign(HEAD + MAI + "53x3704" + "5802VN"), "53", "is not 01-99"),
    (
        "38-length-past-end",
        sign(HEAD + "38" + "57" + MAI[4:-12] + "0209QRIBFTTA" + TAIL),
        "38.02",
        "runs past the end",
    ),
    (
        "38.01-stray-character",
        sign(
            HEAD
            + tlv(
                "38",
                "0010A000000727"
                + tlv("01", "0006970436" + "01130011001234567" + "X")
                + "0208QRIBFTTA",
            )
            + TAIL
        ),
        "38.01",
        "stray character",
    ),
    (
        "38.01.01-past-end",
        sign(HEAD + MAI.replace("01130011001234567", "01140011001234567") + TAIL),
        "38.01.01",
        "runs past the end",
    ),
    (
        "62-inner-past-end",
        sign(HEAD + MAI + TAIL + "6213" + "0810Tien hang"),
        "62.08",
        "runs past the end",
    ),
    # mandatory objects and their order
    ("00-missing", sign("010211" + MAI + TAIL), "00", "mandatory object missing"),
    ("00-missing-not-first", sign("010211" + MAI + TAIL + "000202"), "00", 'must be "01"'),
    ("00-wrong-value", sign("000202" + "010211" + MAI + TAIL), "00", 'must be "01"'),
    ("01-missing", sign("000201" + MAI + TAIL), "01", "mandatory object missing"),
    ("38-missing", sign(HEAD + TAIL), "38", "mandatory object missing"),
    ("53-missing", sign(HEAD + MAI + "5802VN"), "53", "mandatory object missing"),
    ("58-missing", sign(HEAD + MAI + "5303704"), "58", "mandatory object missing"),
    ("duplicate-tag", sign(HEAD + MAI + TAIL + "5802VN"), "58", "duplicate object"),
    ("duplicate-crc", sign(HEAD + MAI + "6304ABCD" + TAIL), "63", "duplicate object"),
    (
        "duplicate-sub-tag",
        sign(HEAD + tlv("38", "0010A000000727" + "0010A000000727") + TAIL),
        "38.00",
        "duplicate object",
    ),
    # amount (spec §5.2.6) and its agreement with 01
    (
        "amount-with-space",
        sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "50 000") + "5802VN"),
        "54",
        "must be digits",
    ),
    (
        "amount-decimals",
        sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "10000.5") + "5802VN"),
        "54",
        "has decimals",
    ),
    (
        "amount-zero-decimals",
        sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "10000.00") + "5802VN"),
        "54",
        "has decimals",
    ),
    (
        "amount-zero",
        sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "0") + "5802VN"),
        "54",
        "must not be zero",
    ),
    (
        "amount-negative",
        sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "-5000") + "5802VN"),
        "54",
        "must be digits",
    ),
    (
        "amount-too-large",
        sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "500000000") + "5802VN"),
        "54",
        "exceeds the NAPAS247 limit",
    ),
    (
        "amount-14-chars",
        sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "00000000050000") + "5802VN"),
        "54",
        "longer than 13",
    ),
    (
        "amount-fullwidth-digits",
        sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "５００００") + "5802VN"),
        "54",
        "must be digits",
    ),
    (
        "static-with-zero-amount",
        sign(HEAD + MAI + "5303704" + tlv("54", "0") + "5802VN"),
        "54",
        "must not be zero",
    ),
    (
        "static-with-decimal-amount",
        sign(HEAD + MAI + "5303704" + tlv("54", "10000.5") + "5802VN"),
        "54",
        "has decimals",
    ),
    ("initiation-13", sign("000201" + "010213" + MAI + TAIL), "01", 'must be "11" or "12"'),
    (
        "initiation-missing",
        sign("000201" + MAI + "5303704" + "540550000" + "5802VN"),
        "01",
        "mandatory object missing",
    ),
    # 38: GUID, BIN, account, service
    (
        "wrong-guid",
        sign(HEAD + account_template(guid="A000000775") + TAIL),
        "38.00",
        "GUID must be A000000727",
    ),
    (
        "guid-missing",
        sign(HEAD + tlv("38", tlv("01", "0006970436" + "0101" + "1") + "0208QRIBFTTA") + TAIL),
        "38.00",
        "GUID missing",
    ),
    (
        "bin-5-digits",
        sign(HEAD + account_template(bank_bin="97043") + TAIL),
        "38.01.00",
        "BIN must be exactly 6 digits",
    ),
    (
        "bin-letter",
        sign(HEAD + account_template(bank_bin="97043X") + TAIL),
        "38.01.00",
        "BIN must be exactly 6 digits",
    ),
    (
        "bin-missing",
        sign(HEAD + tlv("38", "0010A000000727" + tlv("01", "0101" + "1") + "0208QRIBFTTA") + TAIL),
        "38.01.00",
        "BIN missing",
    ),
    (
        "account-too-long",
        sign(HEAD + account_template(account="1" * 20) + TAIL),
        "38.01.01",
        "account number longer than 19 characters",
    ),
    (
        "account-punctuation",
        sign(HEAD + account_template(account="0011-001234") + TAIL),
        "38.01.01",
        "only ASCII letters and digits",
    ),
    (
        "card-with-letters",
        sign(HEAD + account_template(account="9704A51234567890", service="QRIBFTTC") + TAIL),
        "38.01.01",
        "card number must be digits",
    ),
    (
        "card-too-short",
        sign(HEAD + account_template(account="97041", service="QRIBFTTC") + TAIL),
        "38.01.01",
        "card number must be 12-19 digits",
    ),
    (
        "service-qrpush",
        sign(HEAD + account_template(service="QRPUSH") + TAIL),
        "38.02",
        "service code must be QRIBFTTA or QRIBFTTC",
    ),
    (
        "service-qrcash",
        sign(HEAD + account_template(service="QRCASH") + TAIL),
        "38.02",
        "service code must be QRIBFTTA or QRIBFTTC",
    ),
    (
        "service-lower-case",
        sign(HEAD + account_template(service="qribftta") + TAIL),
        "38.02",
        "service code must be QRIBFTTA or QRIBFTTC",
    ),
    # 38.02 missing is read as an account transfer, except for a number that reads as a NAPAS card
    (
        "service-missing-card-16",
        sign(
            HEAD
            + tlv("38", "0010A000000727" + tlv("01", "0006970436" + tlv("01", "9704361234567890")))
            + TAIL
        ),
        "38.02",
        "looks like a NAPAS card number",
    ),
    (
        "service-missing-card-19",
        sign(
            HEAD
            + tlv(
                "38", "0010A000000727" + tlv("01", "0006970436" + tlv("01", "9704361234567890123"))
            )
            + TAIL
        ),
        "38.02",
        "account or card transfer is ambiguous",
    ),
    (
        "service-missing-bad-account",
        sign(
            HEAD
            + tlv("38", "0010A000000727" + tlv("01", "0006970436" + tlv("01", "0011-0012")))
            + TAIL
        ),
        "38.01.01",
        "only ASCII letters and digits",
    ),
    # A tag inside the wrong template (docs/vietqr.md §6): 38.02 nested inside 38.01
    (
        "service-inside-38.01",
        sign(
            HEAD
            + tlv("38", "0010A000000727" + tlv("01", "0006970436" + "0101" + "1" + "0208QRIBFTTA"))
            + TAIL
        ),
        "38.01.02",
        "belongs in 38 (as 38.02)",
    ),
    (
        "service-inside-38.01-and-in-38",
        sign(
            HEAD
            + tlv(
                "38",
                "0010A000000727"
                + tlv("01", "0006970436" + "0101" + "1" + "0208QRIBFTTA")
                + "0208QRIBFTTA",
            )
            + TAIL
        ),
        "38.01.02",
        "not inside the beneficiary template",
    ),
    (
        "unknown-38.01-sub-tag",
        sign(
            HEAD
            + tlv(
                "38",
                "0010A000000727"
                + tlv("01", "0006970436" + "0101" + "1" + "0301X")
                + "0208QRIBFTTA",
            )
            + TAIL
        ),
        "38.01.03",
        "unknown object in the beneficiary template",
    ),
    (
        "unknown-38-sub-tag",
        sign(HEAD + tlv("38", MAI[4:] + "0301X") + TAIL),
        "38.03",
        "unknown object in the NAPAS template",
    ),
    (
        "beneficiary-missing",
        sign(HEAD + tlv("38", "0010A000000727" + "0208QRIBFTTA") + TAIL),
        "38.01",
        "beneficiary template missing",
    ),
    (
        "account-missing",
        sign(HEAD + tlv("38", "0010A000000727" + tlv("01", "0006970436") + "0208QRIBFTTA") + TAIL),
        "38.01.01",
        "missing",
    ),
    # currency, country, other root objects
    ("wrong-currency", sign(HEAD + MAI + "5303840" + "5802VN"), "53", 'currency must be "704"'),
    ("wrong-country", sign(HEAD + MAI + "5303704" + "5802US"), "58", 'country must be "VN"'),
    ("mcc-letters", sign(HEAD + MAI + "520454A1" + TAIL), "52", "4 digits"),
    ("tip-indicator", sign(HEAD + MAI + TAIL + "550201"), "55", "changes the amount paid"),
    (
        "convenience-fee-fixed",
        sign(HEAD + MAI + TAIL + "550202" + "56045000"),
        "55",
        "changes the amount paid",
    ),
    (
        "convenience-fee-alone",
        sign(HEAD + MAI + TAIL + "56045000"),
        "56",
        "changes the amount paid",
    ),
    (
        "convenience-fee-percent",
        sign(HEAD + MAI + TAIL + "57051.500"),
        "57",
        "changes the amount paid",
    ),
    (
        "second-network",
        sign(HEAD + tlv("26", "0010A000000775") + MAI + TAIL),
        "26",
        "another payment network",
    ),
    (
        "card-scheme-02",
        sign(HEAD + tlv("02", "4111111111111111") + MAI + TAIL),
        "02",
        "another payment network",
    ),
    (
        "network-51",
        sign(HEAD + MAI + TAIL + tlv("51", "0010A000000727")),
        "51",
        "another payment network",
    ),
    # Invisible characters in free text: what the payer sees is not what is stored
    (
        "purpose-control-char",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "a\nb"))),
        "62.08",
        "must be printable text",
    ),
    (
        "purpose-zero-width",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "Tien\u200bhang"))),
        "62.08",
        "zero-width",
    ),
    (
        "purpose-nul",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "a\x00b"))),
        "62.08",
        "must be printable text",
    ),
    ("name-tab", sign(HEAD + MAI + TAIL + tlv("59", "Bich\tThuy")), "59", "must be printable text"),
    (
        "city-bidi-override",
        sign(HEAD + MAI + TAIL + tlv("60", "Hue\u202e")),
        "60",
        "must be printable text",
    ),
    (
        "62-rfu-control",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("10", "a\rb"))),
        "62.10",
        "must be printable text",
    ),
    (
        "language-name-control",
        sign(HEAD + MAI + TAIL + tlv("64", tlv("00", "vi") + tlv("01", "Bích\nThủy"))),
        "64.01",
        "must be printable text",
    ),
    ("62-id-00", sign(HEAD + MAI + TAIL + tlv("62", tlv("00", "x"))), "62.00", "not defined"),
    (
        "data-request-bad",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("09", "AAX"))),
        "62.09",
        '"A", "M" and/or "E"',
    ),
    (
        "language-template-no-name",
        sign(HEAD + MAI + TAIL + tlv("64", "0002vi")),
        "64.01",
        "mandatory",
    ),
    (
        "language-template-bad-language",
        sign(HEAD + MAI + TAIL + tlv("64", "0003vie" + tlv("01", "Thuy"))),
        "64.00",
        "2 characters",
    ),
]


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize(
    ("payload", "tag", "reason"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_payload_is_rejected(payload, tag, reason, strict):
    with pytest.raises(VietQRError) as caught:
        decode(payload, strict=strict)
    assert caught.value.tag == tag
    assert reason in caught.value.rule
    expected = f"tag {tag}: " if tag else "payload: "
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_error_message_format():
    with pytest.raises(VietQRError) as caught:
        encode(Transfer(bin="970436", account="1" * 20))
    assert str(caught.value) == "tag 38.01.01: account number longer than 19 characters"
    assert isinstance(caught.value, ValueError)


def test_non_string_input():
    with pytest.raises(VietQRError, match="must be text"):
        decode(b"000201")  # type: ignore[arg-type]


# ---- departures: accepted with a warning, refused with strict=True (docs/vietqr.md §4.2)

ACCOUNT = Transfer(bin="970436", account="0011001234567")
NO_SERVICE = tlv("38", "0010A000000727" + tlv("01", "0006970436" + tlv("01", "0011001234567")))
LANGUAGE = tlv("00", "vi")

# (id, payload, [(tag, code, words in the rule)], the transfer it reads as)
DEPARTURES = [
    # napas-qr-python's default: DYNAMIC even without an amount
    (
        "dynamic-without-amount",
        sign(DYNAMIC_HEAD + MAI + TAIL),
        [("01", "dynamic_without_amount", "should carry an amount")],
        ACCOUNT,
    ),
    # vietqr-generator, vietnam-qr-pay before 1.5.1: 11 with an amount
    (
        "static-with-amount",
        sign(HEAD + MAI + "5303704" + "540550000" + "5802VN"),
        [("01", "static_with_amount", "should not carry an amount")],
        Transfer(bin="970436", account="0011001234567", amount=50000),
    ),
    (
        "format-indicator-second",
        sign("010211" + "000201" + MAI + TAIL),
        [("00", "format_indicator_not_first", "should be the first object")],
        ACCOUNT,
    ),
    (
        "format-indicator-before-crc",
        sign("010211" + MAI + TAIL + "000201"),
        [("00", "format_indicator_not_first", "should be the first object")],
        ACCOUNT,
    ),
    (
        "service-code-missing",
        sign(HEAD + NO_SERVICE + TAIL),
        [("38.02", "service_code_missing", "transfer to an account (QRIBFTTA)")],
        ACCOUNT,
    ),
    (
        "service-code-missing-virtual-account",
        sign(
            HEAD
            + tlv(
                "38", "0010A000000727" + tlv("01", "0006970454" + tlv("01", "99ZP24009M07248267"))
            )
            + TAIL
        ),
        [("38.02", "service_code_missing", "service code missing")],
        Transfer(bin="970454", account="99ZP24009M07248267"),
    ),
    # Free text longer than the spec maxima, within what the TLV lengths allow
    (
        "purpose-26",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "X" * 26))),
        [("62.08", "text_too_long", "longer than 25 characters (26)")],
        Transfer(bin="970436", account="0011001234567", purpose="X" * 26),
    ),
    (
        "purpose-95",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "Y" * 95))),  # the most a 62 of 99 can hold
        [("62.08", "text_too_long", "longer than 25 characters (95)")],
        Transfer(bin="970436", account="0011001234567", purpose="Y" * 95),
    ),
    (
        "bill-number-30",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("01", "B" * 30))),
        [("62.01", "text_too_long", "longer than 25")],
        Transfer(bin="970436", account="0011001234567", bill_number="B" * 30),
    ),
    (
        "name-26",
        sign(HEAD + MAI + TAIL + tlv("59", "X" * 26)),
        [("59", "text_too_long", "longer than 25")],
        Transfer(bin="970436", account="0011001234567", merchant_name="X" * 26),
    ),
    (
        "city-16",
        sign(HEAD + MAI + TAIL + tlv("60", "THANH PHO HO CHI")),
        [("60", "text_too_long", "longer than 15")],
        Transfer(bin="970436", account="0011001234567", merchant_city="THANH PHO HO CHI"),
    ),
    (
        "postal-code-11",
        sign(HEAD + MAI + TAIL + tlv("61", "70000000000")),
        [("61", "text_too_long", "longer than 10")],
        ACCOUNT,
    ),
    (
        "language-name-26",
        sign(HEAD + MAI + TAIL + tlv("64", LANGUAGE + tlv("01", "Đ" * 26))),
        [("64.01", "text_too_long", "longer than 25")],
        ACCOUNT,
    ),
    (
        "language-city-16",
        sign(
            HEAD
            + MAI
            + TAIL
            + tlv("64", LANGUAGE + tlv("01", "Bích Thủy") + tlv("02", "Thành phố Hồ Chí"))
        ),
        [("64.02", "text_too_long", "longer than 15")],
        ACCOUNT,
    ),
    # Raw diacritics, as vietnam-qr-pay and vietqr-ts emit them
    (
        "purpose-diacritics",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "chuyển khoản"))),
        [("62.08", "non_ascii_text", "outside printable ASCII")],
        Transfer(bin="970436", account="0011001234567", purpose="chuyển khoản"),
    ),
    (
        "name-diacritics",
        sign(HEAD + MAI + TAIL + tlv("59", "NGUYỄN VĂN A")),  # vietqr-emvco keeps them in 59
        [("59", "non_ascii_text", "diacritics")],
        Transfer(bin="970436", account="0011001234567", merchant_name="NGUYỄN VĂN A"),
    ),
    (
        "city-diacritics",
        sign(HEAD + MAI + TAIL + tlv("60", "Hà Nội")),
        [("60", "non_ascii_text", "diacritics")],
        Transfer(bin="970436", account="0011001234567", merchant_city="Hà Nội"),
    ),
    (
        "62-template-diacritics",
        sign(
            HEAD + MAI + TAIL + tlv("62", tlv("08", "abc") + tlv("50", "0002vn" + tlv("01", "Chợ")))
        ),
        [("62.50", "non_ascii_text", "diacritics")],
        Transfer(bin="970436", account="0011001234567", purpose="abc"),
    ),
    (
        "purpose-diacritics-and-long",
        sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "Thanh toán tiền hàng tháng 11"))),
        [
            ("62.08", "non_ascii_text", "diacritics"),
            ("62.08", "text_too_long", "longer than 25 characters (29)"),
        ],
        Transfer(bin="970436", account="0011001234567", purpose="Thanh toán tiền hàng tháng 11"),
    ),
    # Several at once, in payload order
    (
        "dynamic-no-amount-long-purpose",
        sign("010212" + "000201" + MAI + TAIL + tlv("62", tlv("08", "Z" * 90))),
        [
            ("00", "format_indicator_not_first", "first"),
            ("01", "dynamic_without_amount", "amount"),
            ("62.08", "text_too_long", "(90)"),
        ],
        Transfer(bin="970436", account="0011001234567", purpose="Z" * 90),
    ),
]


@pytest.mark.parametrize(
    ("payload", "expected", "transfer"),
    [case[1:] for case in DEPARTURES],
    ids=[case[0] for case in DEPARTURES],
)
def test_departure_is_read_with_a_warning(payload, expected, transfer):
    decoded = decode(payload)
    assert decoded.transfer == transfer
    assert [(w.tag, w.code) for w in decoded.warnings] == [(tag, code) for tag, code, _ in expected]
    for warning, (_, _, words) in zip(decoded.warnings, expected, strict=True):
        assert isinstance(warning, VietQRWarning)
        assert words in warning.rule
        assert warning.code in WARNING_CODES
        assert str(warning) == f"tag {warning.tag}: {warning.rule}"
        assert "\n" not in warning.rule and warning.rule.isascii()
    assert not decoded.is_canonical


@pytest.mark.parametrize(
    ("payload", "expected", "transfer"),
    [case[1:] for case in DEPARTURES],
    ids=[case[0] for case in DEPARTURES],
)
def test_departure_is_refused_when_strict(payload, expected, transfer):
    first = decode(payload).warnings[0]
    with pytest.raises(VietQRError) as caught:
        decode(payload, strict=True)
    assert (caught.value.tag, caught.value.rule) == (first.tag, first.rule)
    assert str(caught.value) == str(first)


def test_every_warning_code_is_covered():
    assert {code for case in DEPARTURES for _, code, _ in case[2]} == set(WARNING_CODES)


def test_warning_is_a_frozen_value():
    warning = decode(sign(DYNAMIC_HEAD + MAI + TAIL)).warnings[0]
    assert warning == VietQRWarning("01", "dynamic_without_amount", warning.rule)
    with pytest.raises(AttributeError):
        warning.code = "other"  # type: ignore[misc]


def test_initiation_follows_the_amount_when_01_disagrees():
    # docs/vietqr.md §4.4: what the payer's app does with the amount is what counts.
    dynamic_without = decode(sign(DYNAMIC_HEAD + MAI + TAIL))
    static_with = decode(sign(HEAD + MAI + "5303704" + "540550000" + "5802VN"))
    assert (dynamic_without.initiation, dynamic_without.transfer.amount) == ("static", None)
    assert (static_with.initiation, static_with.transfer.amount) == ("dynamic", 50000)
    # Re-encoding gives the canonical form, where 01 and 54 agree again.
    assert encode(static_with.transfer) == VALID_DYNAMIC
    assert encode(dynamic_without.transfer) == VALID_STATIC


def test_service_code_missing_re_encodes_with_the_inferred_service():
    decoded = decode(sign(HEAD + NO_SERVICE + TAIL))
    assert decoded.transfer.service == SERVICE_ACCOUNT
    assert encode(decoded.transfer) == VALID_STATIC


def test_short_card_like_number_without_service_reads_as_an_account():
    # Only 16 or 19 digits after 9704 read as a NAPAS card; 12 digits is an account number.
    payload = sign(
        HEAD
        + tlv("38", "0010A000000727" + tlv("01", "0006970436" + tlv("01", "970412345678")))
        + TAIL
    )
    assert decode(payload).transfer.service == SERVICE_ACCOUNT


def test_card_transfer_with_service_code_is_not_a_departure():
    decoded = decode(
        sign(
            DYNAMIC_HEAD
            + account_template(account="9704361234567890", service="QRIBFTTC")
            + "5303704"
            + "540550000"
            + "5802VN"
        )
    )
    assert (decoded.transfer.service, decoded.warnings) == (SERVICE_CARD, ())


def test_over_long_text_is_not_canonical_and_does_not_raise():
    decoded = decode(sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "X" * 40))))
    assert decoded.is_canonical is False
    with pytest.raises(VietQRError, match="longer than 25"):
        encode(decoded.transfer)  # the encoder never emits a departure


# ---- accepted silently: what the spec allows (docs/vietqr.md §4.3)


def test_objects_in_any_order_are_accepted():
    shuffled = sign("000201" + "5802VN" + "540550000" + MAI + "010212" + "5303704")
    decoded = decode(shuffled, strict=True)
    assert decoded.transfer == Transfer(bin="970436", account="0011001234567", amount=50000)
    assert decoded.warnings == ()
    assert not decoded.is_canonical
    assert encode(decoded.transfer) == VALID_DYNAMIC


def test_emvqr_go_order_is_accepted():
    # giautm/emvqr-go's README example emits 54 before 53.
    payload = sign(
        DYNAMIC_HEAD
        + account_template("970415", "113366668888")
        + "540579000"
        + "5303704"
        + "5802VN"
        + tlv("62", tlv("08", "Ung Ho Quy Vac Xin"))
    )
    decoded = decode(payload, strict=True)
    assert (decoded.transfer.amount, decoded.transfer.purpose, decoded.warnings) == (
        79000,
        "Ung Ho Quy Vac Xin",
        (),
    )


def test_amount_with_trailing_point_is_accepted():
    decoded = decode(
        sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "50000.") + "5802VN"), strict=True
    )
    assert decoded.transfer.amount == 50000
    assert decoded.warnings == ()


def test_unknown_ids_65_to_99_are_kept():
    payload = sign(
        HEAD
        + MAI
        + TAIL
        + tlv("62", tlv("08", "abc") + tlv("50", "0002xx"))
        + tlv("65", "RFU")
        + "8003046"
        + tlv("99", "0010com.example")
    )
    decoded = decode(payload, strict=True)
    assert decoded.transfer.purpose == "abc"
    assert decoded.extra == (
        ("62.50", "0002xx"),
        ("65", "RFU"),
        ("80", "046"),
        ("99", "0010com.example"),
    )


def test_language_template_may_carry_unicode():
    template = tlv("00", "vi") + tlv("01", "Bích Thủy") + tlv("02", "Hà Nội")
    decoded = decode(sign(HEAD + MAI + TAIL + tlv("64", template)), strict=True)
    assert decoded.extra == (("64", template),)
    assert decoded.transfer.service == SERVICE_ACCOUNT
    assert decoded.warnings == ()


def test_foreign_ans_punctuation_is_accepted_but_not_canonical():
    decoded = decode(sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "Don (12)*A"))), strict=True)
    assert decoded.transfer.purpose == "Don (12)*A"
    assert decoded.warnings == ()
    assert not decoded.is_canonical
    assert decode(encode(decoded.transfer)).transfer.purpose == "Don 12A"


def test_order_number_punctuation_is_canonical():
    decoded = decode(sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "DH#12/2026"))), strict=True)
    assert decoded.transfer.purpose == "DH#12/2026"
    assert decoded.is_canonical


def test_prompt_value_is_accepted_and_not_canonical():
    # "***" asks the app to prompt the payer (spec §5.2.14); it folds to nothing.
    decoded = decode(sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "***"))), strict=True)
    assert decoded.transfer.purpose == "***"
    assert decoded.is_canonical is False

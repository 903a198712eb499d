"""The strict decoder: what it must refuse (with the tag and rule) and what it must accept."""

import pytest

from market4.domain.vietqr import SERVICE_ACCOUNT, Transfer, VietQRError, checksum, decode, encode


def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def sign(body: str) -> str:
    """Append a correct 63 object, so that the check under test is not the CRC."""
    return f"{body}6304{checksum(body + '6304')}"


def account_template(bank_bin="970436", account="0011001234567", service="QRIBFTTA", guid="A000000727"):
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
    ("bad-crc", VALID_STATIC[:-1] + ("0" if VALID_STATIC[-1] != "0" else "1"), "63", "CRC mismatch"),
    ("crc-not-hex", VALID_STATIC[:-4] + "12G4", "63", "not 4 hex digits"),
    ("no-crc-object", HEAD + MAI + TAIL, "63", 'must end with the CRC object "6304"'),
    ("truncated", VALID_STATIC[:60], "63", "must end with the CRC object"),
    ("empty", "", "63", "must end with the CRC object"),
    ("crc-length-05", sign(HEAD + MAI + TAIL)[:-8] + "6305ABCD", "63", "must end with the CRC object"),
    ("crc-swallowed-not-last", sign(HEAD + MAI + TAIL + "6220" + "0808ABCDEFGH"), "63", "CRC must be the last object"),
    ("crc-length-08", sign(HEAD + MAI + TAIL + "6308"), "63", "CRC object must have length 04"),
    ("lone-surrogate", "\ud800" + VALID_STATIC, None, "not valid Unicode"),
    # lengths at each nesting level
    ("root-length-short", sign(HEAD + "3856" + MAI[4:] + TAIL), None, "is not two digits"),
    ("root-length-past-end", sign(HEAD + MAI + "5303704" + "5820VN"), "58", "runs past the end"),
    ("root-length-00", sign(HEAD + MAI + "5300" + TAIL), "53", "is not 01-99"),
    ("root-length-not-digits", sign(HEAD + MAI + "53x3704" + "5802VN"), "53", "is not 01-99"),
    ("38-length-past-end", sign(HEAD + "38" + "57" + MAI[4:-12] + "0209QRIBFTTA" + TAIL), "38.02", "runs past the end"),
    ("38.01-stray-character", sign(HEAD + tlv("38", "0010A000000727" + tlv("01", "0006970436" + "01130011001234567" + "X") + "0208QRIBFTTA") + TAIL), "38.01", "stray character"),
    ("38.01.01-past-end", sign(HEAD + MAI.replace("01130011001234567", "01140011001234567") + TAIL), "38.01.01", "runs past the end"),
    ("62-inner-past-end", sign(HEAD + MAI + TAIL + "6213" + "0810Tien hang"), "62.08", "runs past the end"),
    # mandatory objects and their order
    ("00-missing", sign("010211" + MAI + TAIL), "00", "must be the first object"),
    ("00-not-first", sign("010211" + "000201" + MAI + TAIL), "00", "must be the first object"),
    ("00-wrong-value", sign("000202" + "010211" + MAI + TAIL), "00", 'must be "01"'),
    ("01-missing", sign("000201" + MAI + TAIL), "01", "mandatory object missing"),
    ("38-missing", sign(HEAD + TAIL), "38", "mandatory object missing"),
    ("53-missing", sign(HEAD + MAI + "5802VN"), "53", "mandatory object missing"),
    ("58-missing", sign(HEAD + MAI + "5303704"), "58", "mandatory object missing"),
    ("duplicate-tag", sign(HEAD + MAI + TAIL + "5802VN"), "58", "duplicate object"),
    ("duplicate-crc", sign(HEAD + MAI + "6304ABCD" + TAIL), "63", "duplicate object"),
    ("duplicate-sub-tag", sign(HEAD + tlv("38", "0010A000000727" + "0010A000000727") + TAIL), "38.00", "duplicate object"),
    # amount (spec §5.2.6) and its agreement with 01
    ("amount-with-space", sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "50 000") + "5802VN"), "54", "must be digits"),
    ("amount-decimals", sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "10000.5") + "5802VN"), "54", "has decimals"),
    ("amount-zero-decimals", sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "10000.00") + "5802VN"), "54", "has decimals"),
    ("amount-zero", sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "0") + "5802VN"), "54", "must not be zero"),
    ("amount-negative", sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "-5000") + "5802VN"), "54", "must be digits"),
    ("amount-too-large", sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "500000000") + "5802VN"), "54", "exceeds the NAPAS247 limit"),
    ("amount-14-chars", sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "00000000050000") + "5802VN"), "54", "longer than 13"),
    ("amount-fullwidth-digits", sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "５００００") + "5802VN"), "54", "must be digits"),
    ("static-with-amount", sign(HEAD + MAI + "5303704" + "540550000" + "5802VN"), "54", "static QR (01=11) must not carry an amount"),
    ("dynamic-without-amount", sign(DYNAMIC_HEAD + MAI + TAIL), "01", "dynamic QR (01=12) must carry an amount"),
    ("initiation-13", sign("000201" + "010213" + MAI + TAIL), "01", 'must be "11" or "12"'),
    # 38: GUID, BIN, account, service
    ("wrong-guid", sign(HEAD + account_template(guid="A000000775") + TAIL), "38.00", "GUID must be A000000727"),
    ("guid-missing", sign(HEAD + tlv("38", tlv("01", "0006970436" + "0101" + "1") + "0208QRIBFTTA") + TAIL), "38.00", "GUID missing"),
    ("bin-5-digits", sign(HEAD + account_template(bank_bin="97043") + TAIL), "38.01.00", "BIN must be exactly 6 digits"),
    ("bin-letter", sign(HEAD + account_template(bank_bin="97043X") + TAIL), "38.01.00", "BIN must be exactly 6 digits"),
    ("bin-missing", sign(HEAD + tlv("38", "0010A000000727" + tlv("01", "0101" + "1") + "0208QRIBFTTA") + TAIL), "38.01.00", "BIN missing"),
    ("account-too-long", sign(HEAD + account_template(account="1" * 20) + TAIL), "38.01.01", "account number longer than 19 characters"),
    ("account-punctuation", sign(HEAD + account_template(account="0011-001234") + TAIL), "38.01.01", "only ASCII letters and digits"),
    ("card-with-letters", sign(HEAD + account_template(account="9704A51234567890", service="QRIBFTTC") + TAIL), "38.01.01", "card number must be digits"),
    ("card-too-short", sign(HEAD + account_template(account="97041", service="QRIBFTTC") + TAIL), "38.01.01", "card number must be 12-19 digits"),
    ("service-qrpush", sign(HEAD + account_template(service="QRPUSH") + TAIL), "38.02", "service code must be QRIBFTTA or QRIBFTTC"),
    ("service-missing", sign(HEAD + tlv("38", "0010A000000727" + tlv("01", "0006970436" + "0101" + "1")) + TAIL), "38.02", "service code missing"),
    # VIETQR.md §1.9 item 3: 38.02 nested inside 38.01
    ("service-inside-38.01", sign(HEAD + tlv("38", "0010A000000727" + tlv("01", "0006970436" + "0101" + "1" + "0208QRIBFTTA")) + TAIL), "38.01.02", "unknown object in the beneficiary template"),
    ("unknown-38-sub-tag", sign(HEAD + tlv("38", MAI[4:] + "0301X") + TAIL), "38.03", "unknown object in the NAPAS template"),
    # currency, country, other root objects
    ("wrong-currency", sign(HEAD + MAI + "5303840" + "5802VN"), "53", 'currency must be "704"'),
    ("wrong-country", sign(HEAD + MAI + "5303704" + "5802US"), "58", 'country must be "VN"'),
    ("mcc-letters", sign(HEAD + MAI + "520454A1" + TAIL), "52", "4 digits"),
    ("tip-indicator", sign(HEAD + MAI + TAIL + "550201"), "55", "changes the amount paid"),
    ("second-network", sign(HEAD + tlv("26", "0010A000000775") + MAI + TAIL), "26", "another payment network"),
    ("name-too-long", sign(HEAD + MAI + TAIL + tlv("59", "X" * 26)), "59", "at most 25"),
    ("city-non-ascii", sign(HEAD + MAI + TAIL + tlv("60", "Hà Nội")), "60", "printable ASCII"),
    ("purpose-too-long", sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "X" * 26))), "62.08", "longer than 25"),
    ("purpose-diacritics", sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "chuyển khoản"))), "62", "printable ASCII"),
    ("purpose-control-char", sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "a\nb"))), "62", "printable ASCII"),
    ("data-request-bad", sign(HEAD + MAI + TAIL + tlv("62", tlv("09", "AAX"))), "62.09", '"A", "M" and/or "E"'),
    ("language-template-no-name", sign(HEAD + MAI + TAIL + tlv("64", "0002vi")), "64.01", "mandatory"),
]


@pytest.mark.parametrize(("payload", "tag", "reason"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_malformed_payload_is_rejected(payload, tag, reason):
    with pytest.raises(VietQRError) as caught:
        decode(payload)
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


def test_objects_in_any_order_are_accepted():
    shuffled = sign("000201" + "5802VN" + "540550000" + MAI + "010212" + "5303704")
    decoded = decode(shuffled)
    assert decoded.transfer == Transfer(bin="970436", account="0011001234567", amount=50000)
    assert not decoded.is_canonical
    assert encode(decoded.transfer) == VALID_DYNAMIC


def test_amount_with_trailing_point_is_accepted():
    decoded = decode(sign(DYNAMIC_HEAD + MAI + "5303704" + tlv("54", "50000.") + "5802VN"))
    assert decoded.transfer.amount == 50000


def test_unknown_ids_65_to_99_are_kept():
    payload = sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "abc") + tlv("50", "0002xx")) + tlv("65", "RFU") + "8003046" + tlv("99", "0010com.example"))
    decoded = decode(payload)
    assert decoded.transfer.purpose == "abc"
    assert decoded.extra == (("62.50", "0002xx"), ("65", "RFU"), ("80", "046"), ("99", "0010com.example"))


def test_language_template_may_carry_unicode():
    template = tlv("00", "vi") + tlv("01", "Bích Thủy") + tlv("02", "Hà Nội")
    decoded = decode(sign(HEAD + MAI + TAIL + tlv("64", template)))
    assert decoded.extra == (("64", template),)
    assert decoded.transfer.service == SERVICE_ACCOUNT


def test_foreign_ans_punctuation_is_accepted_but_not_canonical():
    decoded = decode(sign(HEAD + MAI + TAIL + tlv("62", tlv("08", "Don #12/A"))))
    assert decoded.transfer.purpose == "Don #12/A"
    assert not decoded.is_canonical
    assert decode(encode(decoded.transfer)).transfer.purpose == "Don 12A"

"""Golden payloads: NAPAS worked examples (docs/vietqr.md §2.3, §6), peer outputs and fixed outputs.

The fixed outputs below were also produced byte for byte by vietnam-qr-pay
1.0.0 and napas-qr-python 0.2.0 for the ASCII cases (see benchmarks/).
"""

import pytest

from market4.domain.vietqr import (
    SERVICE_CARD,
    Transfer,
    VietQRError,
    checksum,
    decode,
    encode,
)

# NAPAS v1.0 §6.1.1 as corrected (docs/vietqr.md §6, erratum 1): 38.01.01 is
# "0113 0011012345678"; CRC 9E6F, as binhnguyenduc/vietqr-ts also has it.
NAPAS_6_1_1_CORRECTED = (
    "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F"
)
# The string as printed: 38.01 declares 27 but holds 26 characters plus a stray
# "8", and its CRC F4E5 was computed over that malformed text.
NAPAS_6_1_1_PRINTED = (
    "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5"
)


def reference_crc(data: bytes) -> int:
    """Bit-by-bit CRC-16/CCITT-FALSE, independent of binascii."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def test_crc_check_value():
    assert checksum("123456789") == "29B1"
    assert reference_crc(b"123456789") == 0x29B1


def test_crc_is_zero_padded_upper_case():
    # xuannghia/vietnam-qr-pay "CRC with three-byte": leading zero kept.
    text = next(f"{n}" for n in range(100000) if reference_crc(f"{n}".encode()) < 0x1000)
    assert len(checksum(text)) == 4 and checksum(text).startswith("0")
    assert checksum("chuyển khoản") == f"{reference_crc('chuyển khoản'.encode()):04X}"


def test_corrected_napas_example_decodes():
    decoded = decode(NAPAS_6_1_1_CORRECTED)
    assert decoded.transfer == Transfer(bin="970403", account="0011012345678")
    assert decoded.initiation == "static"
    assert decoded.crc == "9E6F"
    assert decoded.is_canonical


def test_corrected_napas_example_encodes():
    assert encode(Transfer(bin="970403", account="0011012345678")) == NAPAS_6_1_1_CORRECTED


def test_printed_napas_example_is_rejected():
    # Its CRC is right for the text, so the TLV walk must catch it.
    assert checksum(NAPAS_6_1_1_PRINTED[:-4]) == "F4E5"
    with pytest.raises(VietQRError) as caught:
        decode(NAPAS_6_1_1_PRINTED)
    assert caught.value.tag == "38.01"
    assert "stray" in caught.value.rule


def test_spec_example_of_tag_38():
    # Spec §5.2.3.2.4: 38 57 | 00 10 A000000727 | 01 27 (00 06 970468, 01 13 0011009950446) | 02 08 QRIBFTTA
    payload = encode(Transfer(bin="970468", account="0011009950446"))
    assert "38570010A00000072701270006970468011300110099504460208QRIBFTTA" in payload
    assert payload == (
        "00020101021138570010A00000072701270006970468011300110099504460208QRIBFTTA53037045802VN6304D31D"
    )


def test_lower_case_crc_is_accepted():
    lower = NAPAS_6_1_1_CORRECTED[:-4] + "9e6f"
    decoded = decode(lower)
    assert decoded.transfer == decode(NAPAS_6_1_1_CORRECTED).transfer
    assert decoded.crc == "9e6f"
    assert not decoded.is_canonical  # we emit upper case


GOLDEN = [
    pytest.param(
        Transfer(
            bin="970436", account="0011001234567", amount=180000, purpose="thanh toan don hang"
        ),
        "00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA"
        "530370454061800005802VN62230819thanh toan don hang6304E74B",
        id="dynamic-account-purpose",
    ),
    pytest.param(
        Transfer(bin="970415", account="9704151234567890", service=SERVICE_CARD, amount=50000),
        "00020101021238600010A00000072701300006970415011697041512345678900208QRIBFTTC"
        "53037045405500005802VN6304CDF7",
        id="dynamic-card",
    ),
    pytest.param(
        Transfer(
            bin="970422",
            account="0123456789",
            purpose="Nguyen Thi Bich Thuy",
            bill_number="NPS6869",
            merchant_name="Bich Thuy",
            merchant_city="Ha Noi",
            mcc="5411",
        ),
        "00020101021138540010A00000072701240006970422011001234567890208QRIBFTTA"
        "5204541153037045802VN5909Bich Thuy6006Ha Noi62350107NPS68690820Nguyen Thi Bich Thuy6304B6E6",
        id="static-name-city-mcc-bill",
    ),
]


@pytest.mark.parametrize(("transfer", "payload"), GOLDEN)
def test_golden_round_trip(transfer, payload):
    assert encode(transfer) == payload
    decoded = decode(payload, strict=True)
    assert decoded.transfer == transfer
    assert decoded.warnings == ()
    assert reference_crc(payload[:-4].encode()) == int(payload[-4:], 16)


# Published outputs of another generator (the vietnam-qr-pay README): byte-identical to ours.
PEER_OUTPUTS = [
    pytest.param(
        Transfer(bin="970416", account="257678859"),
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F",
        id="vietnam-qr-pay-static",
    ),
    pytest.param(
        Transfer(bin="970416", account="257678859", amount=10000, purpose="Chuyen tien"),
        "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA"
        "53037045405100005802VN62150811Chuyen tien630453E6",
        id="vietnam-qr-pay-dynamic",
    ),
]


@pytest.mark.parametrize(("transfer", "payload"), PEER_OUTPUTS)
def test_peer_outputs_decode_without_warnings(transfer, payload):
    decoded = decode(payload, strict=True)
    assert (decoded.transfer, decoded.warnings, decoded.is_canonical) == (transfer, (), True)
    assert encode(transfer) == payload


# Departures as other generators emit them (docs/vietqr.md §4.2), signed with the
# reference CRC: read with a warning, refused when strict.
def signed(body: str) -> str:
    body += "6304"
    return body + f"{reference_crc(body.encode()):04X}"


PEER_DEPARTURES = [
    pytest.param(
        # napas-qr-python's default point of initiation is DYNAMIC, amount or not.
        signed(
            "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN"
        ),
        Transfer(bin="970403", account="0011012345678"),
        ["dynamic_without_amount"],
        id="dynamic-without-amount",
    ),
    pytest.param(
        # vietqr-generator keeps 11 with an amount, and adds 52, 59, 60.
        signed(
            "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA"
            "520458125303704540520000"
            "5802VN5901_6011HO CHI MINH"
        ),
        Transfer(
            bin="970403",
            account="0011012345678",
            amount=20000,
            mcc="5812",
            merchant_name="_",
            merchant_city="HO CHI MINH",
        ),
        ["static_with_amount"],
        id="static-with-amount",
    ),
    pytest.param(
        # vietnam-qr-pay and vietqr-ts write diacritics raw (lengths in characters, CRC over UTF-8).
        signed(
            "00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA"
            "5303704540550000"
            "5802VN62160812chuyển khoản"
        ),
        Transfer(bin="970436", account="0011001234567", amount=50000, purpose="chuyển khoản"),
        ["non_ascii_text"],
        id="raw-diacritics",
    ),
]


@pytest.mark.parametrize(("payload", "transfer", "codes"), PEER_DEPARTURES)
def test_peer_departures(payload, transfer, codes):
    decoded = decode(payload)
    assert decoded.transfer == transfer
    assert [warning.code for warning in decoded.warnings] == codes
    with pytest.raises(VietQRError):
        decode(payload, strict=True)


def test_all_62_sub_fields_in_ascending_order():
    transfer = Transfer(
        bin="970436",
        account="1",
        bill_number="B",
        mobile_number="0912345678",
        store_label="S",
        loyalty_number="L",
        reference_label="R",
        customer_label="C",
        terminal_label="T",
        purpose="P",
        consumer_data_request="AME",
    )
    payload = encode(transfer)
    assert "62560101B021009123456780301S0401L0501R0601C0701T0801P0903AME6304" in payload
    assert decode(payload).transfer == transfer

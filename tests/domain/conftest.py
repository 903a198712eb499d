"""Helpers for the placard and QR tests: payloads, specs, rasterising, decoding.

Exposed as fixtures (not importable functions) so that test modules in other
directories never depend on this conftest's module name.
"""

from __future__ import annotations

import binascii
from datetime import date

import pytest

CANONICAL_STATIC = (
    "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F"
)


def _tlv(tag: int, value: str) -> str:
    return f"{tag:02d}{len(value):02d}{value}"


def build_vietqr(bin_code: str, account: str, *, extra: str = "") -> str:
    """A valid static VietQR (QRIBFTTA) payload; CRC-16/CCITT-FALSE over UTF-8 incl. "6304"."""
    beneficiary = _tlv(0, bin_code) + _tlv(1, account)
    merchant = _tlv(0, "A000000727") + _tlv(1, beneficiary) + _tlv(2, "QRIBFTTA")
    body = "000201" + "010211" + _tlv(38, merchant) + "5303704" + "5802VN" + extra + "6304"
    return body + f"{binascii.crc_hqx(body.encode(), 0xFFFF):04X}"


def long_vietqr(templates: int) -> str:
    """A valid payload padded with unreserved templates (IDs 80-99), for size limits."""
    extra = "".join(
        _tlv(
            80 + j,
            _tlv(0, "vn.market4.placard")
            + _tlv(1, f"cho ngai giao sap so {j:02d} bang ma thanh toan"),
        )
        for j in range(templates)
    )
    return build_vietqr("970436", "1012345678", extra=extra)


BANKS = [
    ("970436", "Vietcombank", "Ngân hàng TMCP Ngoại thương Việt Nam"),
    ("970422", "MB", "Ngân hàng TMCP Quân đội"),
    ("970405", "Agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"),
    ("970418", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
]


@pytest.fixture
def make_spec():
    """make_spec(i, **overrides) -> PlacardSpec with a distinct, valid payload per i."""
    from market4.domain.placard_layout import PlacardSpec

    def factory(i: int = 0, **overrides):
        bin_code, bank, brand = BANKS[i % len(BANKS)]
        account = f"{1012345678 + i * 7919:d}"
        fields = dict(
            payload=build_vietqr(bin_code, account),
            market_name="Chợ Ngãi Giao",
            stall_code=f"Sạp {i + 1}",
            vendor_display_name="Nguyễn Thị Bích Thủy",
            bank_short_name=bank,
            bank_brand_line=brand,
            holder_name="NGUYEN THI BICH THUY",
            account_number=account,
            serial=f"P-{i + 1:06d}",
            version=1,
            printed_on=date(2026, 11, 23),
            zone="Khu A",
            row="Dãy 2",
            goods_category="Rau củ",
        )
        fields.update(overrides)
        return PlacardSpec(**fields)

    return factory


@pytest.fixture(scope="session")
def canonical_payload() -> str:
    """NAPAS v1.0 §6.1.1 static example, corrected (docs/vietqr.md §6), CRC 9E6F."""
    return CANONICAL_STATIC


@pytest.fixture(scope="session")
def vietqr():
    """vietqr(bin, account, templates=0) -> valid payload; templates pads it with IDs 80-99."""

    def run(bin_code: str = "970436", account: str = "1012345678", templates: int = 0) -> str:
        return long_vietqr(templates) if templates else build_vietqr(bin_code, account)

    return run

"""QR module matrices: both encoders round-trip through a real decoder."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image

from market4.domain.qr_matrix import QUIET_ZONE_MODULES, QrEncodingError, QrMatrix, encode_qr


def _needs(encoder: str) -> None:
    """qrcode is an optional dependency (the "bench" extra); zxing-cpp is required."""
    if encoder == "qrcode":
        pytest.importorskip("qrcode")


def _to_image(matrix: QrMatrix, module_px: int = 6) -> Image.Image:
    """Independent of placard_png: paint the matrix module by module."""
    side = (matrix.size + 2 * QUIET_ZONE_MODULES) * module_px
    image = Image.new("L", (side, side), 255)
    for y in range(matrix.size):
        for x in range(matrix.size):
            if matrix.is_dark(x, y):
                left, top = (
                    (x + QUIET_ZONE_MODULES) * module_px,
                    (y + QUIET_ZONE_MODULES) * module_px,
                )
                image.paste(0, (left, top, left + module_px, top + module_px))
    return image


@pytest.mark.parametrize("encoder", ["zxing", "qrcode"])
@pytest.mark.parametrize("ec_level", ["L", "M", "Q", "H"])
def test_round_trip(canonical_payload, encoder, ec_level):
    _needs(encoder)
    matrix = encode_qr(canonical_payload, ec_level, encoder=encoder)
    assert matrix.size == 17 + 4 * matrix.version
    assert len(matrix.rows) == matrix.size and all(len(row) == matrix.size for row in matrix.rows)
    assert set(b"".join(matrix.rows)) <= {0, 1}
    [barcode] = zxingcpp.read_barcodes(_to_image(matrix))
    assert barcode.text == canonical_payload
    assert barcode.extra["ECLevel"] == ec_level
    assert barcode.symbology_identifier == "]Q1"  # model 2, no ECI header for ASCII


def test_finder_patterns_in_the_corners(canonical_payload):
    matrix = encode_qr(canonical_payload)
    finder_top = bytes([1] * 7)
    n = matrix.size
    assert matrix.rows[0][:7] == finder_top
    assert matrix.rows[0][n - 7 :] == finder_top
    assert matrix.rows[n - 1][:7] == finder_top
    assert matrix.rows[3][:7] == bytes([1, 0, 1, 1, 1, 0, 1])


def test_default_is_ec_m_with_zxing(canonical_payload):
    matrix = encode_qr(canonical_payload)
    assert (matrix.ec_level, matrix.encoder) == ("M", "zxing")


def test_qrcode_encoder_is_pure_byte_mode(canonical_payload):
    _needs("qrcode")
    # 94 bytes do not fit version 5-M in byte mode (84 bytes) but fit 6-M (106);
    # zint's mixed numeric/alphanumeric segments need only version 4.
    assert encode_qr(canonical_payload, "M", encoder="qrcode").version == 6
    assert encode_qr(canonical_payload, "M", encoder="zxing").version == 4


def test_higher_error_correction_never_shrinks_the_symbol(canonical_payload):
    sizes = [encode_qr(canonical_payload, level).size for level in "LMQH"]
    assert sizes == sorted(sizes)


def test_dark_runs_cover_exactly_the_dark_modules(canonical_payload):
    matrix = encode_qr(canonical_payload)
    painted = [bytearray(matrix.size) for _ in range(matrix.size)]
    previous_end: dict[int, int] = {}
    for row, start, length in matrix.dark_runs():
        assert length >= 1
        assert start > previous_end.get(row, -1)  # maximal runs: a light module between two runs
        previous_end[row] = start + length
        painted[row][start : start + length] = b"\x01" * length
    assert [bytes(row) for row in painted] == list(matrix.rows)


def test_lower_case_ec_level_is_accepted(canonical_payload):
    assert encode_qr(canonical_payload, "q").ec_level == "Q"


@pytest.mark.parametrize(
    "payload, ec_level, encoder, message",
    [
        ("", "M", "zxing", "empty"),
        ("X", "Z", "zxing", "error-correction level"),
        ("X", "M", "segno", "unknown QR encoder"),
        ("x" * 5000, "H", "zxing", "cannot encode 5000-character payload"),
        ("x" * 5000, "H", "qrcode", "cannot encode 5000-character payload"),
    ],
)
def test_errors(payload, ec_level, encoder, message):
    _needs(encoder)
    with pytest.raises(QrEncodingError, match=message):
        encode_qr(payload, ec_level, encoder=encoder)
    assert issubclass(QrEncodingError, ValueError)


def test_to_text_debug_view(canonical_payload):
    text = encode_qr(canonical_payload).to_text()
    assert text.splitlines()[0].startswith("#######.")

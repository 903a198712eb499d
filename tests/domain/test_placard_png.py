"""Phone-screen PNG placard and bare QR PNG: EC level Q, account display, preview."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image, ImageChops

from market4.domain.placard_layout import PREVIEW_QR_TEXT, PlacardLayoutError
from market4.domain.placard_png import qr_image, render_placard_png, render_qr_png
from market4.domain.qr_matrix import encode_qr
from market4.domain.vietqr import VietQRError, decode


def _open(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize("scale", [1.0, 0.5, 1.5])
def test_placard_png_scans_and_has_phone_proportions(make_spec, decode_qr, scale):
    spec = make_spec(2)
    image = _open(render_placard_png(spec, scale=scale))
    assert image.width == round(1080 * scale)
    assert 1.5 < image.height / image.width < 2.1  # a tall phone screen, not a sheet
    assert decode_qr(image) == [spec.payload]
    [barcode] = zxingcpp.read_barcodes(image)
    assert barcode.extra["ECLevel"] == "Q"  # the default for everything printed or shown


@pytest.mark.parametrize("ec_level", ["M", "H"])
def test_placard_png_other_ec_levels(make_spec, ec_level):
    spec = make_spec(4)
    [barcode] = zxingcpp.read_barcodes(_open(render_placard_png(spec, ec_level=ec_level)))
    assert (barcode.text, barcode.extra["ECLevel"]) == (spec.payload, ec_level)


def test_placard_png_handles_long_names_and_missing_zone(make_spec, decode_qr):
    spec = make_spec(
        1,
        zone=None,
        row=None,
        goods_category=None,
        vendor_display_name="Công ty TNHH Thương mại Dịch vụ Hoàng Long Phát Đạt Thịnh Vượng",
        holder_name="CONG TY TNHH THUONG MAI DICH VU HOANG LONG PHAT DAT",
    )
    assert decode_qr(_open(render_placard_png(spec))) == [spec.payload]


def test_png_qr_modules_are_crisp(make_spec):
    """Integer pixels per module: the QR area holds pure black and white only."""
    matrix = encode_qr(make_spec(0).payload)
    image = qr_image(matrix, 7)
    assert image.size == ((matrix.size + 8) * 7,) * 2
    assert set(image.tobytes()) == {0, 255}
    for y in range(4 * 7):  # quiet zone rows are white
        assert image.crop((0, y, image.width, y + 1)).getextrema() == (255, 255)


@pytest.mark.parametrize("module_px", [1, 4, 10])
def test_render_qr_png(canonical_payload, decode_qr, module_px):
    image = _open(render_qr_png(canonical_payload, module_px=module_px))
    assert image.size == ((37 + 8) * module_px,) * 2  # version 5 at EC level Q
    assert image.mode == "1"
    if module_px >= 4:
        assert decode_qr(image.convert("L")) == [canonical_payload]


def test_bad_arguments(make_spec, canonical_payload):
    with pytest.raises(ValueError):
        render_qr_png(canonical_payload, module_px=0)
    with pytest.raises(ValueError):
        render_placard_png(make_spec(0), scale=0)
    with pytest.raises(ValueError):
        render_placard_png(make_spec(0), unmasked_digits=-1)
    with pytest.raises(PlacardLayoutError, match="unknown account display"):
        render_placard_png(make_spec(0), account_display="partial")
    with pytest.raises(PlacardLayoutError, match="EC level 'L' is not allowed"):
        render_placard_png(make_spec(0), ec_level="L")
    with pytest.raises(PlacardLayoutError, match="EC level 'L' is not allowed"):
        render_qr_png(canonical_payload, ec_level="L")


def test_masked_png_differs_only_in_the_account_row(make_spec):
    """Same layout either way; only the account text changes (the PNG has no text layer,
    so the text itself is checked on the PDF, which draws the same strings)."""
    spec = make_spec(6)
    full = _open(render_placard_png(spec))
    masked = _open(render_placard_png(spec, account_display="masked"))
    assert full.size == masked.size
    left, top, right, bottom = ImageChops.difference(full, masked).getbbox()
    assert bottom - top < full.height * 0.05  # one text row
    assert decode_qr_text(masked) == [spec.payload]


def test_png_preview_has_no_payable_qr_and_a_watermark(make_spec):
    spec = make_spec(2)
    real = _open(render_placard_png(spec))
    preview = _open(render_placard_png(spec, preview=True))
    assert preview.size == real.size  # same layout, same QR size
    [text] = decode_qr_text(preview)
    assert text.startswith(PREVIEW_QR_TEXT) and not text.startswith("000201")
    with pytest.raises(VietQRError):
        decode(text)
    # The light diagonal watermark tints the white paper it crosses: mid-grey
    # pixels that the real placard (black on white, anti-aliased edges) hardly has.
    assert _light_grey(preview) > _light_grey(real) + real.width * real.height * 0.02


def _light_grey(image) -> int:
    return sum(image.histogram()[150:240])


def test_png_preview_without_serial_version_or_payload(make_spec):
    spec = make_spec(0, serial="", version=0, payload="")
    [text] = decode_qr_text(_open(render_placard_png(spec, preview=True)))
    assert text.startswith(PREVIEW_QR_TEXT)


def decode_qr_text(image) -> list[str]:
    return [
        barcode.text
        for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]

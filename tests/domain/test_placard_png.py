"""Phone-screen PNG placard and bare QR PNG."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from market4.domain.placard_png import qr_image, render_placard_png, render_qr_png
from market4.domain.qr_matrix import encode_qr


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


def test_placard_png_handles_long_names_and_missing_zone(make_spec, decode_qr):
    spec = make_spec(1, zone=None, row=None, goods_category=None,
                     vendor_display_name="Công ty TNHH Thương mại Dịch vụ Hoàng Long Phát Đạt Thịnh Vượng",
                     holder_name="CONG TY TNHH THUONG MAI DICH VU HOANG LONG PHAT DAT")
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
    assert image.size == ((33 + 8) * module_px,) * 2
    assert image.mode == "1"
    if module_px >= 4:
        assert decode_qr(image.convert("L")) == [canonical_payload]


def test_bad_arguments(make_spec, canonical_payload):
    with pytest.raises(ValueError):
        render_qr_png(canonical_payload, module_px=0)
    with pytest.raises(ValueError):
        render_placard_png(make_spec(0), scale=0)

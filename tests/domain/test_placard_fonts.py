"""The placard fonts cover Vietnamese and measure text like reportlab does."""

from __future__ import annotations

import unicodedata

import pytest
from reportlab.pdfbase import pdfmetrics

from market4.domain import fonts

SAMPLE = (
    "Nguyễn Thị Bích Thủy, Chợ Ngãi Giao, Sạp, Ki-ốt, Quét mã VietQR để thanh toán, "
    "VietQR · NAPAS 247, MẪU – không dùng để thanh toán, STK 0011 0123 4567 8, "
    "ư ơ ă â ê ô đ Đ ự ữ ỹ • · – … 0123456789"
)
ALL_FACES = [fonts.REGULAR, fonts.SEMIBOLD, fonts.BOLD, fonts.EXTRABOLD]


def _every_vietnamese_letter() -> str:
    vowels = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]  # huyền sắc ngã hỏi nặng
    return "".join(unicodedata.normalize("NFC", v + t) for v in vowels for t in tones) + "đĐ"


@pytest.mark.parametrize("name", ALL_FACES)
def test_every_vietnamese_letter_has_a_glyph(name):
    fonts.register_pdf_fonts()
    cmap = pdfmetrics.getFont(name).face.charToGlyph
    letters = _every_vietnamese_letter()
    assert len(letters) == 146
    missing = sorted({c for c in letters + SAMPLE if ord(c) not in cmap} - {" "})
    assert missing == []


@pytest.mark.parametrize("name", ALL_FACES)
def test_text_width_matches_reportlab(name):
    fonts.register_pdf_fonts()
    for text in (SAMPLE, "STK •• •••• 5678", "STK 9704 1234 5678 9012 345", "", "x"):
        assert fonts.text_width(text, name, 11.5) == pytest.approx(
            pdfmetrics.stringWidth(text, name, 11.5)
        )


def test_registration_is_idempotent():
    fonts.register_pdf_fonts()
    first = pdfmetrics.getFont(fonts.BOLD)
    fonts.register_pdf_fonts()
    assert pdfmetrics.getFont(fonts.BOLD) is first


def test_pillow_font_is_cached_and_draws_vietnamese():
    face = fonts.pil_font(fonts.BOLD, 40)
    assert fonts.pil_font(fonts.BOLD, 40) is face
    # A missing glyph would fall back to .notdef, the same box for every letter.
    widths = {face.getlength(c) for c in "ệựữỹđ"}
    assert len(widths) > 1 and all(w > 0 for w in widths)


def test_nfc():
    assert fonts.nfc(unicodedata.normalize("NFD", "Thủy")) == "Thủy"
    assert fonts.nfc(None) == ""

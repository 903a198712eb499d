"""Fonts for printed placards and phone-screen PNGs: registration, metrics, fitting, PDF text.

Open Sans (from the ``ttf-opensans`` package) covers every precomposed
Vietnamese letter (all 134 toned vowels plus đ/Đ) in every weight we use, so no
font files need to live in this repository. Registration with reportlab is done
once per process: parsing a TTF costs a few milliseconds, and reportlab keys
its subset tables on the registered name, so re-registering would also
duplicate embedded subsets.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache

import ttf_opensans

#: reportlab font names. The prefix keeps them apart from any font another
#: module might register under a generic name such as "OpenSans".
REGULAR = "Market4Sans"
SEMIBOLD = "Market4Sans-SemiBold"
BOLD = "Market4Sans-Bold"
EXTRABOLD = "Market4Sans-ExtraBold"

_SOURCES = {
    REGULAR: ttf_opensans.OPENSANS_REGULAR,
    SEMIBOLD: ttf_opensans.OPENSANS_SEMIBOLD,
    BOLD: ttf_opensans.OPENSANS_BOLD,
    EXTRABOLD: ttf_opensans.OPENSANS_EXTRABOLD,
}

_register_lock = threading.Lock()
_registered = False


def font_path(name: str) -> str:
    """Filesystem path of the TTF behind one of the names above (for Pillow)."""
    return str(_SOURCES[name].path)


def register_pdf_fonts() -> None:
    """Register the placard fonts with reportlab (idempotent, thread-safe)."""
    global _registered
    if _registered:
        return
    with _register_lock:
        if _registered:
            return
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for name, source in _SOURCES.items():
            pdfmetrics.registerFont(TTFont(name, str(source.path)))
        _registered = True


@lru_cache(maxsize=64)
def pil_font(name: str, size_px: int):
    """A cached Pillow ``FreeTypeFont`` for *name* at *size_px* pixels."""
    from PIL import ImageFont

    return ImageFont.truetype(font_path(name), size_px)


def nfc(text: str | None) -> str:
    """NFC-normalise user text (macOS and Excel often hand us NFD).

    The fonts map precomposed code points only; NFD input would draw a base
    letter followed by a separately positioned combining mark, and text
    extracted from the PDF would no longer compare equal to the database value.
    """
    return unicodedata.normalize("NFC", text or "")


@lru_cache(maxsize=16384)
def _em_width(text: str, name: str) -> float:
    face = _face(name)
    get, default = face.charWidths.get, face.defaultWidth
    return 0.001 * sum([get(code, default) for code in map(ord, text)])


@cache
def _face(name: str):
    from reportlab.pdfbase import pdfmetrics

    register_pdf_fonts()
    return pdfmetrics.getFont(name).face


def text_width(text: str, name: str, size: float) -> float:
    """Advance width of *text* in points; same numbers as reportlab's stringWidth.

    reportlab (without the optional rl_accel C extension) sums widths in
    Python on every call, and a sheet of 1,400 placards measures the same
    market, bank and label strings thousands of times, so results are cached.
    """
    return _em_width(text, name) * size


def fit_size(text: str, font: str, size: float, max_width: float) -> float:
    """Largest size <= *size* at which *text* fits *max_width* (shrink, never clip)."""
    width = text_width(text, font, size)
    return size if width <= max_width else size * max_width / width


def wrap_two_lines(
    units: Sequence[str], font: str, size: float, max_width: float
) -> tuple[list[str], float]:
    """Join *units* with spaces on one line if it fits, else split in two; shrink if needed.

    A unit is never broken (pass a name as one unit to keep it on one line),
    and the split is the most balanced one rather than greedy, so that a short
    tail ("tiền") is never left alone on the second line.
    """
    text = " ".join(units)
    if len(units) < 2 or text_width(text, font, size) <= max_width:
        return [text], fit_size(text, font, size, max_width)
    widths = [text_width(unit, font, size) for unit in units]
    space = text_width(" ", font, size)
    total = sum(widths) + space * (len(units) - 1)
    best_i, best_widest, head = 1, total, -space
    for i in range(1, len(units)):
        head += widths[i - 1] + space  # width of units[:i] joined
        widest = max(head, total - head - space)
        if widest < best_widest:
            best_i, best_widest = i, widest
    lines = [" ".join(units[:best_i]), " ".join(units[best_i:])]
    return lines, size if best_widest <= max_width else size * max_width / best_widest


class PdfTextRun:
    """All the text of one placard (or table page) as one BT...ET literal.

    canvas.drawString builds a text object per call and re-measures the string
    in pure Python only to discard the width; that was a third of the time of
    a district sheet. Here widths come from the cached text_width(), and
    the show-text operators of a string are built once per document with the
    dynamic-font API that reportlab documents for this (ttfonts.py module
    docstring: splitString + getSubsetInternalName), then reused - market,
    bank and label strings repeat on every placard.
    """

    def __init__(self, canvas, cache: dict):
        self._canvas = canvas
        # Subsets are assigned per document; the documented dynamic-font API
        # needs the document, which the canvas only exposes as _doc.
        self._doc = canvas._doc
        self._cache = cache
        self._ops: list[str] = ["BT"]
        self._gray = 0.0

    def put(
        self, text: str, x: float, y: float, font: str, size: float, align: str = "left"
    ) -> None:
        if align != "left":
            width = text_width(text, font, size)
            x -= width if align == "right" else width / 2
        key = (text, font, size)
        shown = self._cache.get(key)
        if shown is None:
            from reportlab.lib.rl_accel import escapePDF
            from reportlab.pdfbase import pdfmetrics

            face = pdfmetrics.getFont(font)
            shown = self._cache[key] = " ".join(
                f"{face.getSubsetInternalName(subset, self._doc)} {size:.2f} Tf ({escapePDF(chunk)}) Tj"
                for subset, chunk in face.splitString(text, self._doc)
            )
        self._ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm {shown}")

    def fitted(self, text: str, x: float, slot, font: str, align: str = "left") -> None:
        """Draw on a layout slot (anything with y, size, max_width), shrunk to fit."""
        self.put(text, x, slot.y, font, fit_size(text, font, slot.size, slot.max_width), align)

    def gray(self, level: float) -> None:
        if level != self._gray:
            self._ops.append(f"{level:g} g")
            self._gray = level

    def draw(self) -> None:
        self.gray(0)
        self._ops.append("ET")
        self._canvas.addLiteral("\n".join(self._ops))

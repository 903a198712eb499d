"""Phone-screen PNG of a stall's placard (to send by chat or show on a phone).

Same content and hierarchy as the printed placard, drawn with Pillow in the
same Open Sans faces. QR modules are an integer number of pixels and the image
is never resampled afterwards, so every module edge is crisp: a blurred or
fractionally scaled QR is exactly what a phone camera reading another phone's
screen struggles with.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from market4.domain import fonts
from market4.domain.fonts import nfc
from market4.domain.placard_layout import (
    CALL_TO_ACTION,
    PlacardSpec,
    check_print_ec_level,
    format_date_vn,
    mask_account_number,
    warning_units,
)
from market4.domain.qr_matrix import DEFAULT_EC_LEVEL, QUIET_ZONE_MODULES, QrMatrix, encode_qr

__all__ = ["render_placard_png", "render_qr_png", "qr_image"]

BASE_WIDTH_PX = 1080  # a common phone-screen width; scale=1.0
_FLAG_TO_LUMA = bytes([255, 0] + [255] * 254)  # module flag 1 (dark) -> black


def qr_image(matrix: QrMatrix, module_px: int) -> Image.Image:
    """Grayscale image of *matrix* with the 4-module quiet zone, *module_px* per module."""
    if module_px < 1:
        raise ValueError("module_px must be a positive integer")
    n = matrix.size
    symbol = Image.frombytes("L", (n, n), b"".join(matrix.rows).translate(_FLAG_TO_LUMA))
    symbol = symbol.resize((n * module_px, n * module_px), Image.Resampling.NEAREST)
    side = (n + 2 * QUIET_ZONE_MODULES) * module_px
    image = Image.new("L", (side, side), 255)
    image.paste(symbol, (QUIET_ZONE_MODULES * module_px,) * 2)
    return image


def render_qr_png(payload: str, module_px: int = 10, *, ec_level: str = DEFAULT_EC_LEVEL) -> bytes:
    """Just the QR (with quiet zone) as a 1-bit PNG."""
    image = qr_image(encode_qr(payload, ec_level), module_px).convert("1")
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


class _Painter:
    """Top-down text layout on a fixed-width canvas, shrinking text to fit."""

    def __init__(self, draw: ImageDraw.ImageDraw, width: int, pad: int):
        self.draw = draw
        self.width = width
        self.pad = pad

    def fit(self, text: str, font: str, size: int, max_width: float):
        face = fonts.pil_font(font, size)
        length = face.getlength(text)
        if length > max_width:
            face = fonts.pil_font(font, max(6, int(size * max_width / length)))
        return face

    def text(self, text: str, y: float, font: str, size: int, *, align: str = "centre", x: float | None = None,
             max_width: float | None = None, fill: int = 0) -> None:
        """Draw with the *top of the em box* at y ("la" anchor family), so
        stacked Vietnamese diacritics above capitals never collide upwards."""
        room = max_width if max_width is not None else self.width - 2 * self.pad
        face = self.fit(text, font, size, room)
        y += (size - face.size) * 0.45  # keep shrunk text centred on its line
        if align == "centre":
            self.draw.text((self.width / 2 if x is None else x, y), text, font=face, fill=fill, anchor="ma")
        elif align == "right":
            self.draw.text((self.width - self.pad if x is None else x, y), text, font=face, fill=fill, anchor="ra")
        else:
            self.draw.text((self.pad if x is None else x, y), text, font=face, fill=fill, anchor="la")


def render_placard_png(spec: PlacardSpec, *, scale: float = 1.0, ec_level: str = DEFAULT_EC_LEVEL,
                       unmasked_digits: int = 4) -> bytes:
    """A ~1080 px wide (times *scale*) grayscale PNG of the stall's placard."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    matrix = encode_qr(spec.payload, check_print_ec_level(ec_level))
    width = round(BASE_WIDTH_PX * scale)
    pad = round(56 * scale)

    def px(value: float) -> int:
        return max(1, round(value * scale))

    module_px = max(1, (width - 2 * pad) // matrix.size_with_quiet_zone)
    qr = qr_image(matrix, module_px)
    height = qr.height + px(1180)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    paint = _Painter(draw, width, pad)

    # Header band: market name, zone/row/goods at the right.
    band = px(118)
    draw.rectangle((0, 0, width, band), fill=0)
    detail = " · ".join(nfc(part) for part in (spec.zone, spec.row, spec.goods_category) if part)
    market = nfc(spec.market_name)
    if detail:
        detail_face = paint.fit(detail, fonts.SEMIBOLD, px(36), width * 0.45)
        paint.text(detail, band / 2 - px(22), fonts.SEMIBOLD, detail_face.size, align="right", fill=255)
        room = width - 2 * pad - detail_face.getlength(detail) - px(30)
        paint.text(market, band / 2 - px(30), fonts.BOLD, px(50), align="left", max_width=room, fill=255)
    else:
        paint.text(market, band / 2 - px(30), fonts.BOLD, px(50), fill=255)

    y = band + px(36)
    paint.text(nfc(spec.stall_code), y, fonts.EXTRABOLD, px(120))
    y += px(160)
    paint.text(nfc(spec.vendor_display_name), y, fonts.SEMIBOLD, px(52))
    y += px(76)
    image.paste(qr, ((width - qr.width) // 2, y))
    y += qr.height
    paint.text(CALL_TO_ACTION, y - px(8), fonts.BOLD, px(54))
    y += px(96)

    # Recipient box: the bank-style name the payer's app will show.
    box_top, inner = y, pad + px(30)
    holder = nfc(spec.holder_name).strip()
    paint.text("Tên người nhận hiện trong ứng dụng ngân hàng", y + px(22), fonts.REGULAR, px(32),
               align="left", x=inner)
    paint.text(holder, y + px(66), fonts.BOLD, px(70), align="left", x=inner, max_width=width - 2 * inner)
    paint.text(nfc(spec.bank_short_name), y + px(170), fonts.SEMIBOLD, px(44), align="left", x=inner,
               max_width=(width - 2 * inner) / 2)
    account = "STK " + mask_account_number(spec.account_number, unmasked_digits)
    paint.text(account, y + px(166), fonts.BOLD, px(50), align="right", x=width - inner,
               max_width=(width - 2 * inner) / 2)
    paint.text(nfc(spec.bank_brand_line), y + px(232), fonts.REGULAR, px(32), align="left", x=inner,
               max_width=width - 2 * inner)
    y += px(300)
    draw.rounded_rectangle((pad, box_top, width - pad, y), radius=px(24), outline=0, width=px(4))

    # Anti-swap warning next to a triangle, the name kept in one piece.
    y += px(36)
    icon = px(78)
    draw.polygon([(pad, y + icon), (pad + icon, y + icon), (pad + icon / 2, y + px(4))], fill=0)
    bar = px(9)
    draw.rectangle((pad + icon / 2 - bar / 2, y + icon * 0.36, pad + icon / 2 + bar / 2, y + icon * 0.7), fill=255)
    draw.rectangle((pad + icon / 2 - bar / 2, y + icon * 0.78, pad + icon / 2 + bar / 2, y + icon * 0.78 + bar),
                   fill=255)
    units = warning_units(holder)
    text_x = pad + icon + px(24)
    room = width - pad - text_x
    lines = [" ".join(units[:5]), " ".join(units[5:])]  # "Kiểm tra tên người nhận" / name + rest
    for i, line in enumerate(lines):
        paint.text(line, y + i * px(48), fonts.SEMIBOLD, px(38), align="left", x=text_x, max_width=room)
    y += px(130)

    stamp = f"In ngày {format_date_vn(spec.printed_on)}"
    paint.text(stamp, y, fonts.REGULAR, px(30), align="right")
    paint.text(f"Mã bảng {nfc(spec.serial)} · Phiên bản {spec.version}", y, fonts.REGULAR, px(30),
               align="left", max_width=width * 0.55)
    image = image.crop((0, 0, width, min(height, y + px(80))))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()

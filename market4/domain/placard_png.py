"""Phone-screen PNG of a stall's placard (to send by chat or show on a phone).

Same content and hierarchy as the printed placard, drawn with Pillow in the
same Open Sans faces. QR modules are an integer number of pixels and the image
is never resampled afterwards, so every module edge is crisp: a blurred or
fractionally scaled QR is exactly what a phone camera reading another phone's
screen struggles with. Options (EC level, account display, preview) are those
of the PDF renderer; see docs/placards.md.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from market4.domain import fonts
from market4.domain.fonts import nfc
from market4.domain.placard_layout import (
    CALL_TO_ACTION,
    DEFAULT_ACCOUNT_DISPLAY,
    PAYMENT_MARK,
    PREVIEW_MARK,
    PREVIEW_NOTE,
    PRINT_EC_LEVEL,
    PlacardSpec,
    check_account_display,
    check_print_ec_level,
    display_account_number,
    format_date_vn,
    placard_qr_matrix,
    warning_units,
)
from market4.domain.qr_matrix import QUIET_ZONE_MODULES, QrMatrix, encode_qr

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


def render_qr_png(payload: str, module_px: int = 10, *, ec_level: str = PRINT_EC_LEVEL) -> bytes:
    """Just the QR (with quiet zone) as a 1-bit PNG; EC level Q by default, like the placards."""
    image = qr_image(encode_qr(payload, check_print_ec_level(ec_level)), module_px).convert("1")
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

    def row(
        self,
        left_text: str,
        right_text: str,
        baseline: float,
        left: float,
        right: float,
        sizes: tuple[int, int],
        gap: float,
    ) -> None:
        """Bank name at the left (semibold, at most 42 % of the row) and account number
        at the right (bold) in the width that is left, on one baseline, as on the PDF."""
        room = right - left
        left_face = self.fit(left_text, fonts.SEMIBOLD, sizes[0], room * 0.42)
        right_face = self.fit(
            right_text, fonts.BOLD, sizes[1], room - left_face.getlength(left_text) - gap
        )
        self.draw.text((left, baseline), left_text, font=left_face, fill=0, anchor="ls")
        self.draw.text((right, baseline), right_text, font=right_face, fill=0, anchor="rs")

    def text(
        self,
        text: str,
        y: float,
        font: str,
        size: int,
        *,
        align: str = "centre",
        x: float | None = None,
        max_width: float | None = None,
        fill: int = 0,
    ) -> None:
        """Draw with the *top of the em box* at y ("la" anchor family), so
        stacked Vietnamese diacritics above capitals never collide upwards."""
        room = max_width if max_width is not None else self.width - 2 * self.pad
        face = self.fit(text, font, size, room)
        y += (size - face.size) * 0.45  # keep shrunk text centred on its line
        if align == "centre":
            self.draw.text(
                (self.width / 2 if x is None else x, y), text, font=face, fill=fill, anchor="ma"
            )
        elif align == "right":
            self.draw.text(
                (self.width - self.pad if x is None else x, y),
                text,
                font=face,
                fill=fill,
                anchor="ra",
            )
        else:
            self.draw.text(
                (self.pad if x is None else x, y), text, font=face, fill=fill, anchor="la"
            )


def render_placard_png(
    spec: PlacardSpec,
    *,
    scale: float = 1.0,
    ec_level: str = PRINT_EC_LEVEL,
    account_display: str = DEFAULT_ACCOUNT_DISPLAY,
    unmasked_digits: int = 4,
    preview: bool = False,
) -> bytes:
    """A ~1080 px wide (times *scale*) grayscale PNG of the stall's placard.

    Options as for placard_sheets.render_placards: EC level Q by default; the
    account number in full, grouped in fours, unless ``account_display`` is
    "masked"; ``preview`` draws a "MẪU" sample whose QR encodes no payment
    (``serial``, ``version`` ignored, ``payload`` only measured).
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    if unmasked_digits < 0:
        raise ValueError("unmasked_digits must be >= 0")
    check_account_display(account_display)
    matrix = placard_qr_matrix(spec.payload, None, ec_level, preview=preview)
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
        paint.text(
            detail, band / 2 - px(22), fonts.SEMIBOLD, detail_face.size, align="right", fill=255
        )
        room = width - 2 * pad - detail_face.getlength(detail) - px(30)
        paint.text(
            market, band / 2 - px(30), fonts.BOLD, px(50), align="left", max_width=room, fill=255
        )
    else:
        paint.text(market, band / 2 - px(30), fonts.BOLD, px(50), fill=255)

    y = band + px(36)
    paint.text(nfc(spec.stall_code), y, fonts.EXTRABOLD, px(120))
    y += px(160)
    paint.text(nfc(spec.vendor_display_name), y, fonts.SEMIBOLD, px(52))
    y += px(76)
    image.paste(qr, ((width - qr.width) // 2, y))
    y += qr.height
    paint.text(PREVIEW_NOTE if preview else CALL_TO_ACTION, y - px(8), fonts.BOLD, px(54))
    y += px(112)

    # Recipient box: the bank-style name the payer's app will show, under the
    # payment-network badge that sits on its top edge.
    box_top, inner = y, pad + px(30)
    holder = nfc(spec.holder_name).strip()
    y += px(18)
    paint.text(
        "Tên người nhận hiện trong ứng dụng ngân hàng",
        y + px(22),
        fonts.REGULAR,
        px(32),
        align="left",
        x=inner,
    )
    paint.text(
        holder, y + px(66), fonts.BOLD, px(70), align="left", x=inner, max_width=width - 2 * inner
    )
    display = "masked" if spec.mask_account else account_display
    account = "STK " + display_account_number(spec.account_number, display, unmasked_digits)
    paint.row(
        nfc(spec.bank_short_name),
        account,
        y + px(214),
        inner,
        width - inner,
        (px(44), px(54)),
        px(30),
    )
    paint.text(
        nfc(spec.bank_brand_line),
        y + px(236),
        fonts.REGULAR,
        px(32),
        align="left",
        x=inner,
        max_width=width - 2 * inner,
    )
    y += px(304)
    draw.rounded_rectangle((pad, box_top, width - pad, y), radius=px(24), outline=0, width=px(4))
    _badge(draw, width / 2, box_top, px(34), px(4), scale)

    # Anti-swap warning next to a triangle, the name kept in one piece.
    y += px(36)
    icon = px(78)
    draw.polygon([(pad, y + icon), (pad + icon, y + icon), (pad + icon / 2, y + px(4))], fill=0)
    bar = px(9)
    draw.rectangle(
        (pad + icon / 2 - bar / 2, y + icon * 0.36, pad + icon / 2 + bar / 2, y + icon * 0.7),
        fill=255,
    )
    draw.rectangle(
        (
            pad + icon / 2 - bar / 2,
            y + icon * 0.78,
            pad + icon / 2 + bar / 2,
            y + icon * 0.78 + bar,
        ),
        fill=255,
    )
    units = warning_units(holder)
    text_x = pad + icon + px(24)
    room = width - pad - text_x
    lines = [" ".join(units[:5]), " ".join(units[5:])]  # "Kiểm tra tên người nhận" / name + rest
    for i, line in enumerate(lines):
        paint.text(
            line, y + i * px(48), fonts.SEMIBOLD, px(38), align="left", x=text_x, max_width=room
        )
    y += px(130)

    stamp = f"In ngày {format_date_vn(spec.printed_on)}"
    serial = (
        f"Mã bảng {PREVIEW_MARK}"
        if preview
        else f"Mã bảng {nfc(spec.serial)} · Phiên bản {spec.version}"
    )
    paint.text(stamp, y, fonts.REGULAR, px(30), align="right")
    paint.text(serial, y, fonts.REGULAR, px(30), align="left", max_width=width * 0.55)
    image = image.crop((0, 0, width, min(height, y + px(80))))
    if preview:
        _watermark(image)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _badge(
    draw: ImageDraw.ImageDraw, centre_x: float, centre_y: float, size: int, line: int, scale: float
) -> None:
    """The "VietQR · NAPAS 247" text badge, white-filled over the box's top edge."""
    face = fonts.pil_font(fonts.BOLD, size)
    text_w = face.getlength(PAYMENT_MARK)
    half_w, half_h = text_w / 2 + round(24 * scale), size * 0.8
    draw.rounded_rectangle(
        (centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h),
        radius=half_h,
        fill=255,
        outline=0,
        width=line,
    )
    draw.text((centre_x, centre_y), PAYMENT_MARK, font=face, fill=0, anchor="mm")


def _watermark(image: Image.Image) -> None:
    """A large, light, diagonal "MẪU" over the whole image, blended in place (preview only)."""
    width, height = image.size
    diagonal = math.hypot(width, height)
    face = fonts.pil_font(fonts.EXTRABOLD, 100)
    size = int(100 * diagonal * 0.6 / face.getlength(PREVIEW_MARK))
    face = fonts.pil_font(fonts.EXTRABOLD, size)
    left, top, right, bottom = face.getbbox(PREVIEW_MARK, anchor="mm")
    text = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(text).text(
        (2 - left, 2 - top), PREVIEW_MARK, font=face, fill=64, anchor="mm"
    )  # 25 % ink
    text = text.rotate(
        math.degrees(math.atan2(height, width)), resample=Image.Resampling.BICUBIC, expand=True
    )
    image.paste(77, ((width - text.width) // 2, (height - text.height) // 2), text)

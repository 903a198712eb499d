"""One printable VietQR placard: the data it shows and how it is laid out.

The placard is the payer's first defence against a fake QR sticker glued over
the real one (docs/placards.md, "Why a placard prints what it prints"): the
payer's bank app shows the holder name from the bank's account lookup, never
the name printed here, so the placard prints that bank-style name prominently,
with the bank, the full account number grouped in fours (as bank-issued stands
do), a "VietQR · NAPAS 247" text mark, the stall code and a serial, and asks
the payer to compare before paying.

Geometry is computed once per layout (`placard_geometry`) and depends only on
the paper size, never on the text: every placard of a layout puts its QR in
the same place, text shrinks to fit its slot, and the static artwork can be
drawn once per document as a reusable PDF form (see placard_sheets.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from types import MappingProxyType

from reportlab.lib.pagesizes import A4, A5, A6, landscape
from reportlab.lib.units import mm

from market4.domain import fonts
from market4.domain.fonts import fit_size, nfc, text_width
from market4.domain.qr_matrix import QUIET_ZONE_MODULES, QrMatrix, encode_qr

__all__ = [
    "ACCOUNT_DISPLAYS",
    "CALL_TO_ACTION",
    "DEFAULT_ACCOUNT_DISPLAY",
    "LAYOUTS",
    "MIN_MODULE_MM",
    "PAYMENT_MARK",
    "PREVIEW_MARK",
    "PREVIEW_NOTE",
    "PREVIEW_QR_TEXT",
    "PRINT_EC_LEVEL",
    "PRINT_EC_LEVELS",
    "PlacardGeometry",
    "PlacardLayoutError",
    "PlacardSpec",
    "QrPlan",
    "SheetLayout",
    "TextSlot",
    "account_tail",
    "check_account_display",
    "check_print_ec_level",
    "display_account_number",
    "format_date_vn",
    "geometry_for_layout",
    "group_account_number",
    "mask_account_number",
    "placard_geometry",
    "placard_origins",
    "placard_qr_matrix",
    "placard_size",
    "plan_for_matrix",
    "plan_qr",
    "preview_matrix",
    "sheet_layout",
    "split_account_row",
    "stall_sort_key",
    "warning_text",
    "warning_units",
]

CALL_TO_ACTION = "Quét mã VietQR để thanh toán"
#: Text mark of the payment network, printed on every placard beside the QR.
#: Text only: the VietQR and NAPAS logos are NAPAS trademarks and no public
#: brand guideline says how a third party may print them.
PAYMENT_MARK = "VietQR · NAPAS 247"
#: Smallest QR module we print. Below ~0.5 mm office lasers blur modules
#: together and phone cameras need to be held unusually close
#: (docs/placards.md, "QR size").
MIN_MODULE_MM = 0.5
MASK_CHAR = "•"
#: Error-correction levels allowed on placards. L (7 %) is refused: a posted
#: placard gets scuffed, splashed and photographed at an angle.
PRINT_EC_LEVELS = ("M", "Q", "H")
#: Default level for everything this package hands out to be printed or shown
#: (PDF placards, the phone PNG, the bare QR PNG). Q (~25 % recovery) rather
#: than the encoder's generic default M (~15 %): a glare patch over 12-15 % of
#: the symbol defeats most codes at M and few at Q (docs/placards.md, "Error
#: correction"), and every layout still prints modules of at least
#: MIN_MODULE_MM at Q for the longest payload a placard carries. The
#: encoder's own default (qr_matrix.DEFAULT_EC_LEVEL) is left at M for other
#: callers.
PRINT_EC_LEVEL = "Q"

#: How the account number is printed: "full" (grouped in fours, the default,
#: like bank-issued stands) or "masked" (all but the last digits hidden; a
#: per-market choice). The QR carries the full number either way.
ACCOUNT_DISPLAYS = ("full", "masked")
DEFAULT_ACCOUNT_DISPLAY = "full"

#: Preview ("mẫu") mode: the watermark, the line printed instead of the call
#: to action, and the non-payment text encoded in the QR's place. The text is
#: not an EMV/VietQR payload (no "000201" header, no CRC), so no bank app can
#: turn it into a transfer.
PREVIEW_MARK = "MẪU"
PREVIEW_NOTE = "MẪU – không dùng để thanh toán"
PREVIEW_QR_TEXT = "MAU - KHONG DUNG DE THANH TOAN"
# A static VietQR with a 13-digit account (NAPAS's worked example, corrected):
# only its QR version is used, to size the preview symbol of a spec that has
# no payload. It is never drawn.
_TYPICAL_PAYLOAD = (
    "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F"
)


class PlacardLayoutError(ValueError):
    """A placard cannot be laid out as requested (e.g. QR modules too small)."""


@dataclass(frozen=True)
class PlacardSpec:
    """Everything printed on one stall's placard (plain data, no rendering).

    ``holder_name`` is the bank-style name (upper-case ASCII) that the payer's
    app will display after scanning; ``vendor_display_name`` is the name people
    know at the market, with diacritics. ``account_number`` is the full number;
    the renderer prints it grouped, or masked when asked. Text may arrive in
    any normalisation form; the renderers NFC-normalise it. Render options
    (layout, EC level, account display, preview, cover page) are arguments of
    the render functions, not part of the spec.

    In preview mode the renderers ignore ``serial`` and ``version`` (pass ""
    and 0) and never encode ``payload``: it is only measured, when present, to
    give the stand-in QR the same size (and the same module-size check) as the
    real one; it may be "".
    """

    payload: str
    market_name: str
    stall_code: str
    vendor_display_name: str
    bank_short_name: str
    bank_brand_line: str
    holder_name: str
    account_number: str
    serial: str
    version: int
    printed_on: date
    zone: str | None = None
    row: str | None = None
    goods_category: str | None = None
    # The market chose to print only the number's tail on its placards: masks this
    # placard whatever the run's ``account_display`` (a run may span markets).
    mask_account: bool = False


@dataclass(frozen=True)
class SheetLayout:
    """Paper size and how many placards go on one sheet."""

    name: str
    page_size: tuple[float, float]  # points
    columns: int
    rows: int
    margin: float  # points, page edge to the outer placard edge
    cut_marks: bool


# Multi-up sheets abut their placards so one guillotine cut separates two
# neighbours; cut marks sit in the 10 mm page margin, wider than a typical
# printer's unprintable border, aligned with the cut lines.
LAYOUTS: dict[str, SheetLayout] = {
    "a6": SheetLayout("a6", A6, 1, 1, 4 * mm, False),
    "a5": SheetLayout("a5", A5, 1, 1, 6 * mm, False),
    "a4": SheetLayout("a4", A4, 1, 1, 10 * mm, False),
    "a4x2": SheetLayout("a4x2", landscape(A4), 2, 1, 10 * mm, True),
    "a4x4": SheetLayout("a4x4", A4, 2, 2, 10 * mm, True),
}


def sheet_layout(layout: str) -> SheetLayout:
    """The SheetLayout called *layout*, or PlacardLayoutError naming the valid ones."""
    try:
        return LAYOUTS[layout]
    except KeyError:
        raise PlacardLayoutError(
            f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}"
        ) from None


# ---------------------------------------------------------------- geometry

# Reference design: an A6-sized placard, 95 x 138.5 mm. Larger placards scale
# every size uniformly by min(width/95 mm, height/138.5 mm).
_REF_W, _REF_H = 95 * mm, 138.5 * mm

# Font sizes (pt) at the reference size.
_FS = dict(
    market=11,
    stall=30,
    detail=8,
    vendor=12.5,
    cta=12,
    mark=7,
    label=6.5,
    holder=16,
    bank=9.5,
    account=12,
    brand=6.5,
    warning=7.5,
    footer=6,
)


@dataclass(frozen=True)
class TextSlot:
    """A line of text: baseline y (from placard bottom), nominal size, max width."""

    y: float
    size: float
    max_width: float


@dataclass(frozen=True)
class PlacardGeometry:
    """Positions (points, origin = placard bottom-left) for one placard size."""

    width: float
    height: float
    scale: float
    frame_inset: float
    content_left: float
    content_width: float
    header_box: tuple[float, float, float, float]  # x, y, w, h of the black band
    qr_box: tuple[float, float, float]  # x, y, side - includes the quiet zone
    recipient_box: tuple[float, float, float, float]
    mark_box: tuple[
        float, float, float, float
    ]  # the PAYMENT_MARK badge on the recipient box's top edge
    warning_icon: tuple[float, float, float]  # x, y (bottom-left), side
    slots: Mapping[str, TextSlot]  # read-only: geometries are cached and shared

    @property
    def centre_x(self) -> float:
        return self.width / 2

    @property
    def box_padding(self) -> float:
        """Horizontal padding inside the recipient box."""
        return 2.2 * mm * self.scale


@cache
def placard_geometry(width: float, height: float) -> PlacardGeometry:
    """Lay out a placard of *width* x *height* points, top to bottom."""
    s = min(width / _REF_W, height / _REF_H)
    fs = {k: v * s for k, v in _FS.items()}
    inset = 3 * mm * s  # frame sits inside the trim so an off-cut never eats it
    pad = 4 * mm * s
    left = inset + pad
    cw = width - 2 * left
    top = height - inset
    slots: dict[str, TextSlot] = {}

    # Header band: market name, and zone/row/goods on the right when present.
    band_h = fs["market"] * 1.8
    header_box = (inset, top - band_h, width - 2 * inset, band_h)
    band_baseline = top - band_h / 2 - fs["market"] * 0.36
    slots["market"] = TextSlot(band_baseline, fs["market"], cw)
    slots["detail"] = TextSlot(band_baseline, fs["detail"], cw * 0.48)

    # Baselines sit a full em below the line top so stacked Vietnamese
    # capitals ("Ố", "Ộ") clear whatever is above them; descenders (0.25 em)
    # are reserved below.
    y = top - band_h - 1.5 * mm * s - fs["stall"] * 0.98
    slots["stall"] = TextSlot(y, fs["stall"], cw)
    y -= fs["stall"] * 0.22 + fs["vendor"] * 1.02
    slots["vendor"] = TextSlot(y, fs["vendor"], cw)
    qr_top = y - fs["vendor"] * 0.3

    # Bottom stack, from the frame's bottom edge upwards.
    y = inset + pad * 0.55
    slots["footer"] = TextSlot(y, fs["footer"], cw)
    y += fs["footer"] * 1.85
    warn_lead = fs["warning"] * 1.25
    icon = fs["warning"] * 2.1
    slots["warning2"] = TextSlot(y, fs["warning"], cw - icon - 2 * mm * s)
    slots["warning1"] = TextSlot(y + warn_lead, fs["warning"], cw - icon - 2 * mm * s)
    warning_icon = (left, y + warn_lead / 2 - icon / 2 + fs["warning"] * 0.3, icon)
    y += warn_lead + fs["warning"] * 1.35

    # Recipient box, bottom line up: bank's legal name; bank short name at the
    # left and the account number at the right of one row (the number takes
    # whatever width the bank name leaves: split_account_row); the holder
    # name; its label.
    box_pad = 2.2 * mm * s
    inner = cw - 2 * box_pad
    box_bottom = y
    y += box_pad
    slots["brand"] = TextSlot(y, fs["brand"], inner)
    y += fs["brand"] * 1.5
    slots["bank"] = TextSlot(y, fs["bank"], inner * 0.42)
    slots["account"] = TextSlot(y, fs["account"], inner)
    y += fs["account"] * 1.2
    slots["holder"] = TextSlot(y, fs["holder"], inner)
    y += fs["holder"] * 1.05
    slots["label"] = TextSlot(y, fs["label"], inner)
    # The mark badge is centred on the box's top edge, like a legend: its
    # lower half must clear the label's diacritics below it.
    mark_h = fs["mark"] * 1.6
    y += max(fs["label"] + box_pad * 0.8, fs["label"] + mark_h / 2 + 1.0 * s)
    recipient_box = (left, box_bottom, cw, y - box_bottom)
    mark_size = fit_size(PAYMENT_MARK, fonts.BOLD, fs["mark"], cw * 0.6)
    mark_w = text_width(PAYMENT_MARK, fonts.BOLD, mark_size) + 2.4 * mm * s
    mark_box = ((width - mark_w) / 2, y - mark_h / 2, mark_w, mark_h)
    slots["mark"] = TextSlot(y - mark_size * 0.36, mark_size, cw * 0.6)

    # The call to action hangs right under the QR's quiet zone, above the
    # badge; the QR takes whatever is left (a square: height-limited on
    # A-series paper, width-limited on wider cells), centred in the gap.
    qr_bottom = y + mark_h / 2 + 0.8 * mm * s + fs["cta"] * 1.4
    side = min(cw, qr_top - qr_bottom)
    qr_y = qr_bottom + (qr_top - qr_bottom - side) / 2
    qr_box = ((width - side) / 2, qr_y, side)
    slots["cta"] = TextSlot(qr_y - fs["cta"] * 1.15, fs["cta"], cw)
    return PlacardGeometry(
        width,
        height,
        s,
        inset,
        left,
        cw,
        header_box,
        qr_box,
        recipient_box,
        mark_box,
        warning_icon,
        MappingProxyType(slots),
    )


def split_account_row(g: PlacardGeometry, bank: str, account: str) -> tuple[float, float]:
    """Font sizes for the bank name (left) and the account text (right) sharing one row.

    The bank name keeps its natural width up to its slot (42 % of the row);
    the account text gets the rest and shrinks only if it must, so a full
    19-character number stays as large as the row allows. The two never
    overlap: bank width + gap + account width <= the row's width.
    """
    bank_slot, account_slot = g.slots["bank"], g.slots["account"]
    bank_size = fit_size(bank, fonts.SEMIBOLD, bank_slot.size, bank_slot.max_width)
    room = account_slot.max_width - text_width(bank, fonts.SEMIBOLD, bank_size) - 3 * mm * g.scale
    return bank_size, fit_size(account, fonts.BOLD, account_slot.size, room)


def placard_size(layout: str) -> tuple[float, float]:
    """Trim size (points) of one placard on *layout*."""
    sheet = sheet_layout(layout)
    page_w, page_h = sheet.page_size
    return ((page_w - 2 * sheet.margin) / sheet.columns, (page_h - 2 * sheet.margin) / sheet.rows)


def geometry_for_layout(layout: str) -> PlacardGeometry:
    """Geometry of one placard on *layout* (cached per size)."""
    return placard_geometry(*placard_size(layout))


def placard_origins(layout: str) -> list[tuple[float, float]]:
    """Bottom-left corner (points) of each placard on a page, in fill order:
    left to right, then top to bottom - the order a person reads the sheet."""
    sheet = sheet_layout(layout)
    cell_w, cell_h = placard_size(layout)
    page_h = sheet.page_size[1]
    return [
        (sheet.margin + col * cell_w, page_h - sheet.margin - (row + 1) * cell_h)
        for row in range(sheet.rows)
        for col in range(sheet.columns)
    ]


# ---------------------------------------------------------------- QR sizing


@dataclass(frozen=True)
class QrPlan:
    """How a payload's QR will be printed on a layout."""

    layout: str
    ec_level: str
    version: int
    modules: int  # symbol size without the quiet zone
    quiet_zone_modules: int
    module_mm: float
    symbol_mm: float  # including the quiet zone
    matrix: QrMatrix


def plan_qr(payload: str, layout: str = "a4x4", ec_level: str = PRINT_EC_LEVEL) -> QrPlan:
    """Encode *payload* and size it for *layout*, refusing modules < MIN_MODULE_MM."""
    return plan_for_matrix(encode_qr(payload, check_print_ec_level(ec_level)), layout)


def check_print_ec_level(ec_level: str) -> str:
    """Upper-cased *ec_level*, or PlacardLayoutError unless it is M, Q or H."""
    level = ec_level.upper()
    if level not in PRINT_EC_LEVELS:
        raise PlacardLayoutError(f"EC level {ec_level!r} is not allowed on placards; use M, Q or H")
    return level


def plan_for_matrix(matrix: QrMatrix, layout: str) -> QrPlan:
    """Size an already encoded symbol for *layout* (raises PlacardLayoutError if too dense)."""
    box_side = geometry_for_layout(layout).qr_box[2]
    total = matrix.size + 2 * QUIET_ZONE_MODULES
    module_mm = box_side / total / mm
    if module_mm < MIN_MODULE_MM:
        raise PlacardLayoutError(
            f"QR modules would be {module_mm:.2f} mm (< {MIN_MODULE_MM} mm minimum) on {layout} at EC level "
            f"{matrix.ec_level} (QR version {matrix.version}, {matrix.size} modules); choose a larger layout "
            "or lower error correction"
        )
    return QrPlan(
        layout,
        matrix.ec_level,
        matrix.version,
        matrix.size,
        QUIET_ZONE_MODULES,
        module_mm,
        box_side / mm,
        matrix,
    )


@cache
def preview_matrix(ec_level: str = PRINT_EC_LEVEL, min_version: int = 0) -> QrMatrix:
    """The stand-in QR of a preview: PREVIEW_QR_TEXT, padded to at least *min_version*.

    Padding with the same words keeps the symbol the size the real payload
    would have, so a preview shows the real module size; what it encodes is
    never a payment (no EMV header, no CRC), so a bank app refuses it.
    """
    level = check_print_ec_level(ec_level)
    text = PREVIEW_QR_TEXT
    matrix = encode_qr(text, level)
    filler = f" / {PREVIEW_QR_TEXT}" * 20
    for extra in range(1, len(filler) + 1):
        if matrix.version >= min_version:
            break
        matrix = encode_qr(text + filler[:extra], level)
    return matrix


def placard_qr_matrix(
    payload: str, layout: str | None, ec_level: str = PRINT_EC_LEVEL, *, preview: bool = False
) -> QrMatrix:
    """The module matrix a placard prints: the payload's, or in preview mode a stand-in.

    Either way the payload (a typical static one when it is "") is encoded
    and, unless *layout* is None (the phone PNG), size-checked for *layout*,
    so a preview refuses exactly what printing would refuse; in preview mode
    only its version is kept. Raises PlacardLayoutError or QrEncodingError.
    """
    level = check_print_ec_level(ec_level)
    if not preview:
        matrix = encode_qr(payload, level)
    else:
        real = encode_qr(payload or _TYPICAL_PAYLOAD, level)
        if layout is not None:
            plan_for_matrix(real, layout)
        matrix = preview_matrix(level, real.version)
    if layout is not None:
        plan_for_matrix(matrix, layout)
    return matrix


# ---------------------------------------------------------------- text helpers


def mask_account_number(account_number: str, unmasked_digits: int = 4) -> str:
    """Mask all but the last *unmasked_digits* characters: "0011012345678" -> "• •••• •••• 5678".

    The visible tail is one group and the masked part is grouped in fours
    from the right, so the length stays readable for a comparison with the
    payer's app. Never more than half the characters are shown, so a short
    account number cannot be printed in full by accident.
    """
    if unmasked_digits < 0:
        raise ValueError("unmasked_digits must be >= 0")
    account = "".join(nfc(account_number).split())
    shown = min(unmasked_digits, len(account) // 2)
    hidden = len(account) - shown
    # Grouped from the right: a short first group, then fours.
    groups = [MASK_CHAR * (hidden % 4)] if hidden % 4 else []
    groups += [MASK_CHAR * 4] * (hidden // 4)
    if shown:
        groups.append(account[hidden:])
    return " ".join(groups)


def group_account_number(account_number: str) -> str:
    """The full number in groups of four from the left: "0011012345678" -> "0011 0123 4567 8".

    The grouping of bank cards and of the account numbers printed on
    bank-issued QR stands; a 16-19 digit card reads "9704 1234 5678 9012 345".
    Spaces in the input are dropped first; letters (alias and virtual
    accounts) are kept as they are.
    """
    account = "".join(nfc(account_number).split())
    return " ".join(account[i : i + 4] for i in range(0, len(account), 4))


def check_account_display(account_display: str) -> str:
    """*account_display* if it is "full" or "masked", else PlacardLayoutError."""
    if account_display not in ACCOUNT_DISPLAYS:
        raise PlacardLayoutError(
            f"unknown account display {account_display!r}; use 'full' or 'masked'"
        )
    return account_display


def display_account_number(
    account_number: str, account_display: str = DEFAULT_ACCOUNT_DISPLAY, unmasked_digits: int = 4
) -> str:
    """The account number as a placard prints it: grouped in full, or masked.

    *unmasked_digits* applies to the masked display only.
    """
    if check_account_display(account_display) == "full":
        return group_account_number(account_number)
    return mask_account_number(account_number, unmasked_digits)


def account_tail(account_number: str, unmasked_digits: int = 4) -> str:
    """The visible tail for lists: "•5678"; just "•" when nothing is shown."""
    masked = mask_account_number(account_number, min(unmasked_digits, 4)).replace(" ", "")
    return MASK_CHAR + masked.lstrip(MASK_CHAR)


def format_date_vn(day: date) -> str:
    """Vietnamese date format, dd/mm/yyyy."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def warning_units(holder_name: str) -> list[str]:
    """The anti-swap warning as wrap units; the holder name stays in one piece."""
    return [
        "Kiểm",
        "tra",
        "tên",
        "người",
        "nhận",
        nfc(holder_name).strip(),
        "trước",
        "khi",
        "chuyển",
        "tiền",
    ]


def warning_text(holder_name: str) -> str:
    return " ".join(warning_units(holder_name))


_DIGITS = re.compile(r"([0-9]+)")


def _natural(text: str | None) -> tuple[tuple, str]:
    """Natural-sort key: (digit runs as numbers + text without diacritics, exact text).

    re.split with a capturing group always puts text at even positions and
    numbers at odd ones, so two keys never compare a str with an int. The
    exact NFC text only breaks ties ("Sạp 02" before "Sạp 2", "Sap 1" and
    "Sạp 1" side by side).
    """
    if not text:
        return (), ""
    value = nfc(text).strip()
    primary: list = []
    for i, part in enumerate(_DIGITS.split(value.casefold())):
        if i % 2:
            primary.append(int(part))
        else:
            bare = "".join(
                c for c in unicodedata.normalize("NFD", part) if not unicodedata.combining(c)
            )
            primary.append(" ".join(bare.replace("đ", "d").split()))
    return tuple(primary), value


def stall_sort_key(zone: str | None, row: str | None, stall_code: str) -> tuple:
    """Sort key for printing order: zone, then row, then stall, all natural.

    "Sạp 2" < "Sạp 10"; "Khu B" < "khu C" (case-insensitive); diacritics only
    break ties ("Sap 1" and "Sạp 1" sit together); a missing zone or row sorts
    first. Leading zeros compare by value, then by spelling.
    """
    return (_natural(zone), _natural(row), _natural(stall_code))

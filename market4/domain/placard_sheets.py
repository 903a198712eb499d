"""PDF output: single placards, multi-up sheets with cut marks, cover page.

Speed matters here (a whole district, ~1,400 stalls, is one print job), so:

* the artwork every placard shares (frame, header band, boxes, fixed labels)
  is drawn once per document as a PDF form XObject and placed with ``Do``;
* each QR is one filled path of rectangles written straight into the content
  stream in module units (one ``cm`` scales it), so coordinates are small
  integers: short to format, short on disk, exact on paper;
* fonts are registered once per process (fonts.py); reportlab embeds subsets.

What a placard prints, and why, is described in docs/placards.md.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from typing import NamedTuple

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from market4.domain import fonts
from market4.domain.fonts import PdfTextRun, fit_size, nfc, wrap_two_lines
from market4.domain.placard_layout import (
    CALL_TO_ACTION,
    DEFAULT_ACCOUNT_DISPLAY,
    PAYMENT_MARK,
    PREVIEW_MARK,
    PREVIEW_NOTE,
    PRINT_EC_LEVEL,
    PlacardGeometry,
    PlacardLayoutError,
    PlacardSpec,
    account_tail,
    check_account_display,
    check_print_ec_level,
    display_account_number,
    format_date_vn,
    geometry_for_layout,
    placard_origins,
    placard_qr_matrix,
    sheet_layout,
    split_account_row,
    stall_sort_key,
    warning_units,
)
from market4.domain.qr_matrix import QrEncodingError, QrMatrix, pdf_path_ops

__all__ = ["render_placard", "render_placards"]

_FORM = "market4-placard-artwork"
RECIPIENT_LABEL = "Tên người nhận hiện trong ứng dụng ngân hàng"


def render_placard(
    spec: PlacardSpec,
    *,
    layout: str = "a6",
    ec_level: str = PRINT_EC_LEVEL,
    account_display: str = DEFAULT_ACCOUNT_DISPLAY,
    unmasked_digits: int = 4,
    preview: bool = False,
    invariant: bool = False,
) -> bytes:
    """One placard on one page of A6, A5 or A4 paper (options as for render_placards)."""
    if sheet_layout(layout).columns * sheet_layout(layout).rows != 1:
        raise PlacardLayoutError(f"{layout} is a multi-up sheet; use render_placards() or a6/a5/a4")
    return render_placards(
        [spec],
        layout=layout,
        ec_level=ec_level,
        account_display=account_display,
        unmasked_digits=unmasked_digits,
        preview=preview,
        invariant=invariant,
    )


def render_placards(
    specs: Sequence[PlacardSpec],
    *,
    layout: str = "a4x4",
    ec_level: str = PRINT_EC_LEVEL,
    cover_page: bool = False,
    title: str | None = None,
    account_display: str = DEFAULT_ACCOUNT_DISPLAY,
    unmasked_digits: int = 4,
    preview: bool = False,
    invariant: bool = False,
) -> bytes:
    """Render *specs* in the given order as one PDF and return its bytes.

    ``layout``: "a6", "a5", "a4" (one placard per page) or "a4x2"/"a4x4" (2 or
    4 per A4 sheet, with cut marks). ``ec_level``: "Q" by default, "M" or "H".
    ``account_display``: "full" prints the whole number grouped in fours
    (default), "masked" all but the last ``unmasked_digits`` characters as dots.
    ``cover_page`` prepends an A4 list of every stall with a column to sign when
    the placard is posted (it lists the last 4 characters of each account in
    either display). ``preview`` prints a "MẪU" sample: watermarked, with a
    stand-in QR that encodes no payment, "MẪU" in the serial slot, and no call
    to pay; ``serial`` and ``version`` are ignored and ``payload`` is only
    measured (see PlacardSpec). ``invariant`` makes the output byte-identical
    across runs (fixed dates and document ID).
    Raises PlacardLayoutError when a QR would print with modules < 0.5 mm, or
    for an unknown layout, EC level or account display.
    """
    if not specs:
        raise ValueError("no placards to render")
    if unmasked_digits < 0:
        raise ValueError("unmasked_digits must be >= 0")
    sheet = sheet_layout(layout)
    ec_level = check_print_ec_level(ec_level)
    check_account_display(account_display)
    geometry = geometry_for_layout(layout)
    matrices = [_matrix_for(spec, layout, ec_level, preview) for spec in specs]

    fonts.register_pdf_fonts()
    buf = io.BytesIO()
    canvas = Canvas(
        buf,
        pagesize=sheet.page_size,
        pageCompression=1,
        invariant=int(invariant),
        initialFontName=fonts.REGULAR,
    )
    markets = _market_names(specs)
    heading = nfc(title) if title else f"Bảng mã VietQR – {', '.join(markets)}"
    canvas.setTitle(f"{PREVIEW_MARK} – {heading}" if preview else heading)
    canvas.setAuthor("market4")
    canvas.setCreator("market4")

    text_cache: dict = {}  # (text, font, size) -> show-text operators, valid for this document only
    per_page = sheet.columns * sheet.rows
    sheet_pages = -(-len(specs) // per_page)
    if cover_page:
        _draw_cover_pages(
            canvas,
            specs,
            layout=layout,
            per_page=per_page,
            title=title,
            unmasked_digits=unmasked_digits,
            text_cache=text_cache,
            account_display=account_display,
            preview=preview,
        )
        canvas.setPageSize(sheet.page_size)

    _define_artwork(canvas, geometry, preview)
    origins = placard_origins(layout)
    options = _DrawOptions(account_display, unmasked_digits, preview)
    for page in range(sheet_pages):
        on_page = specs[page * per_page : (page + 1) * per_page]
        for index, (spec, (x0, y0)) in enumerate(
            zip(on_page, origins, strict=False), start=page * per_page
        ):
            _draw_placard(canvas, spec, geometry, x0, y0, matrices[index], options, text_cache)
        if sheet.cut_marks:
            _draw_cut_marks(canvas, sheet, geometry.width, geometry.height)
            _draw_sheet_label(canvas, sheet, page + 1, sheet_pages, _market_names(on_page), preview)
        canvas.showPage()
    _save_binary(canvas)
    return buf.getvalue()


_a85_lock = threading.Lock()


def _save_binary(canvas: Canvas) -> None:
    """Save with plain Flate streams instead of reportlab's default ASCII85+Flate.

    ASCII85 is encoded in pure Python (~0.3 s for a 1,400-placard sheet) and
    makes streams 25 % larger; binary PDFs have been the norm for decades.
    The switch is process-global in reportlab and read at save time only, so
    it is flipped just around save(); the lock keeps two of our own renders
    from restoring it under each other (another thread's reportlab output
    would at worst come out binary too, which is equally valid PDF).
    """
    with _a85_lock:
        previous = rl_config.useA85
        rl_config.useA85 = 0
        try:
            canvas.save()
        finally:
            rl_config.useA85 = previous


def _matrix_for(spec: PlacardSpec, layout: str, ec_level: str, preview: bool) -> QrMatrix:
    """Encode and size-check one payload (a stand-in in preview), naming the stall in any error."""
    try:
        return placard_qr_matrix(spec.payload, layout, ec_level, preview=preview)
    except (PlacardLayoutError, QrEncodingError) as exc:
        name = PREVIEW_MARK if preview else spec.serial
        raise type(exc)(f"placard {name} ({nfc(spec.stall_code)}): {exc}") from exc


class _DrawOptions(NamedTuple):
    """Per-document render options that every placard uses."""

    account_display: str
    unmasked_digits: int
    preview: bool


# ---------------------------------------------------------------- one placard


def _define_artwork(canvas: Canvas, g: PlacardGeometry, preview: bool) -> None:
    """Draw the parts every placard shares once, as a form XObject."""
    s = g.scale
    canvas.beginForm(_FORM, 0, 0, g.width, g.height)
    radius = 3 * mm * s
    inset = g.frame_inset
    canvas.setLineWidth(1.1 * s)
    canvas.roundRect(inset, inset, g.width - 2 * inset, g.height - 2 * inset, radius)
    hx, hy, hw, hh = g.header_box
    canvas.roundRect(hx, hy, hw, hh, radius, stroke=0, fill=1)
    canvas.rect(hx, hy, hw, hh / 2, stroke=0, fill=1)  # square off the band's lower corners

    bx, by, bw, bh = g.recipient_box
    canvas.setLineWidth(0.9 * s)
    canvas.roundRect(bx, by, bw, bh, 1.8 * mm * s, stroke=1, fill=0)
    label = g.slots["label"]
    canvas.setFont(
        fonts.REGULAR, fit_size(RECIPIENT_LABEL, fonts.REGULAR, label.size, label.max_width)
    )
    canvas.drawString(bx + 2.2 * mm * s, label.y, RECIPIENT_LABEL)

    # A preview must not invite a payment: the call to action gives way to
    # the "sample, do not pay" line, in the same place and weight.
    cta, cta_text = g.slots["cta"], PREVIEW_NOTE if preview else CALL_TO_ACTION
    canvas.setFont(fonts.BOLD, fit_size(cta_text, fonts.BOLD, cta.size, cta.max_width))
    canvas.drawCentredString(g.centre_x, cta.y, cta_text)
    _draw_mark(canvas, g)

    ix, iy, side = g.warning_icon  # warning triangle: fonts rarely carry U+26A0
    path = canvas.beginPath()
    path.moveTo(ix, iy)
    path.lineTo(ix + side, iy)
    path.lineTo(ix + side / 2, iy + side * 0.9)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.setFillGray(1)  # the "!" as shapes, so it does not pollute extracted text
    bar = side * 0.11
    canvas.rect(ix + side / 2 - bar / 2, iy + side * 0.32, bar, side * 0.34, stroke=0, fill=1)
    canvas.rect(ix + side / 2 - bar / 2, iy + side * 0.14, bar, bar, stroke=0, fill=1)
    canvas.setFillGray(0)
    canvas.endForm()


def _draw_mark(canvas: Canvas, g: PlacardGeometry) -> None:
    """The "VietQR · NAPAS 247" badge, centred on the recipient box's top edge.

    White-filled so that it interrupts the box outline like a legend; text
    only, no logo artwork (see PAYMENT_MARK).
    """
    x, y, w, h = g.mark_box
    canvas.setFillGray(1)
    canvas.setLineWidth(0.9 * g.scale)
    canvas.roundRect(x, y, w, h, h / 2, stroke=1, fill=1)
    canvas.setFillGray(0)
    canvas.setFont(fonts.BOLD, g.slots["mark"].size)
    canvas.drawCentredString(g.centre_x, g.slots["mark"].y, PAYMENT_MARK)


def _draw_placard(
    canvas: Canvas,
    spec: PlacardSpec,
    g: PlacardGeometry,
    x0: float,
    y0: float,
    matrix: QrMatrix,
    options: _DrawOptions,
    text_cache: dict,
) -> None:
    slots = g.slots
    canvas.saveState()
    canvas.translate(x0, y0)
    canvas.doForm(_FORM)
    canvas.addLiteral(pdf_path_ops(matrix, g.qr_box))

    text = PdfTextRun(canvas, text_cache)
    _draw_header(text, g, spec)
    text.fitted(nfc(spec.stall_code), g.centre_x, slots["stall"], fonts.EXTRABOLD, "centre")
    text.fitted(
        nfc(spec.vendor_display_name), g.centre_x, slots["vendor"], fonts.SEMIBOLD, "centre"
    )

    box_x, _, box_w, _ = g.recipient_box
    left, right = box_x + g.box_padding, box_x + box_w - g.box_padding
    holder = nfc(spec.holder_name).strip()
    text.fitted(holder, left, slots["holder"], fonts.BOLD)
    bank = nfc(spec.bank_short_name)
    display = "masked" if spec.mask_account else options.account_display
    account = "STK " + display_account_number(spec.account_number, display, options.unmasked_digits)
    bank_size, account_size = split_account_row(g, bank, account)
    text.put(bank, left, slots["bank"].y, fonts.SEMIBOLD, bank_size)
    text.put(account, right, slots["account"].y, fonts.BOLD, account_size, "right")
    text.fitted(nfc(spec.bank_brand_line), left, slots["brand"], fonts.REGULAR)

    first, second = slots["warning1"], slots["warning2"]
    lines, size = wrap_two_lines(warning_units(holder), fonts.SEMIBOLD, first.size, first.max_width)
    text_x = g.warning_icon[0] + g.warning_icon[2] + 2 * mm * g.scale
    baselines = (first.y, second.y) if len(lines) == 2 else ((first.y + second.y) / 2,)
    for line, baseline in zip(lines, baselines, strict=True):
        text.put(line, text_x, baseline, fonts.SEMIBOLD, size)

    footer = slots["footer"]
    stamp = f"In ngày {format_date_vn(spec.printed_on)}"
    serial = (
        f"Mã bảng {PREVIEW_MARK}"
        if options.preview
        else f"Mã bảng {nfc(spec.serial)} · Phiên bản {spec.version}"
    )
    text.put(stamp, g.content_left + g.content_width, footer.y, fonts.REGULAR, footer.size, "right")
    room = footer.max_width - fonts.text_width(stamp, fonts.REGULAR, footer.size) - 3 * mm * g.scale
    text.put(
        serial,
        g.content_left,
        footer.y,
        fonts.REGULAR,
        fit_size(serial, fonts.REGULAR, footer.size, room),
    )
    text.draw()
    if options.preview:
        _draw_watermark(canvas, g)
    canvas.restoreState()


def _draw_watermark(canvas: Canvas, g: PlacardGeometry) -> None:
    """A large, light, diagonal "MẪU" over the whole placard (preview only).

    Translucent, so text under it stays black enough to read; drawn last, so
    no placard content can cover it.
    """
    angle = math.degrees(math.atan2(g.height, g.width))
    diagonal = math.hypot(g.width, g.height)
    size = fit_size(PREVIEW_MARK, fonts.EXTRABOLD, 1000, diagonal * 0.62)
    canvas.saveState()
    canvas.setFillAlpha(0.25)
    canvas.setFillGray(0.3)
    canvas.translate(g.width / 2, g.height / 2)
    canvas.rotate(angle)
    canvas.setFont(fonts.EXTRABOLD, size)
    canvas.drawCentredString(0, -size * 0.36, PREVIEW_MARK)
    canvas.restoreState()


def _draw_header(text: PdfTextRun, g: PlacardGeometry, spec: PlacardSpec) -> None:
    """White text on the black band: market name, and zone/row/goods at the right."""
    market, detail_slot = g.slots["market"], g.slots["detail"]
    name = nfc(spec.market_name)
    detail = " · ".join(nfc(part) for part in (spec.zone, spec.row, spec.goods_category) if part)
    text.gray(1)
    if not detail:
        text.fitted(name, g.centre_x, market, fonts.BOLD, "centre")
    else:
        detail_size = fit_size(detail, fonts.SEMIBOLD, detail_slot.size, detail_slot.max_width)
        room = (
            g.content_width
            - fonts.text_width(detail, fonts.SEMIBOLD, detail_size)
            - 3 * mm * g.scale
        )
        text.put(
            name,
            g.content_left,
            market.y,
            fonts.BOLD,
            fit_size(name, fonts.BOLD, market.size, room),
        )
        text.put(
            detail,
            g.content_left + g.content_width,
            detail_slot.y,
            fonts.SEMIBOLD,
            detail_size,
            "right",
        )
    text.gray(0)


# ---------------------------------------------------------------- sheet furniture


def _draw_cut_marks(canvas: Canvas, sheet, cell_w: float, cell_h: float) -> None:
    """Marks in the page margin, aligned with every cut line, outside placards."""
    page_w, page_h = sheet.page_size
    m = sheet.margin
    near, far = 3 * mm, m - 2 * mm  # from the page edge; stop 2 mm short of placards
    canvas.setLineWidth(0.4)
    lines = []
    for i in range(sheet.columns + 1):
        x = m + i * cell_w
        lines += [(x, near, x, far), (x, page_h - near, x, page_h - far)]
    for j in range(sheet.rows + 1):
        y = m + j * cell_h
        lines += [(near, y, far, y), (page_w - near, y, page_w - far, y)]
    canvas.lines(lines)


def _draw_sheet_label(
    canvas: Canvas, sheet, page: int, pages: int, markets: list[str], preview: bool
) -> None:
    """Small print in the bottom margin, between the first two cut marks."""
    label = f"{' · '.join(markets)} — tờ {page}/{pages} — cắt theo dấu cắt"
    if preview:
        label = f"{PREVIEW_NOTE} — {label}"
    cell_w = (sheet.page_size[0] - 2 * sheet.margin) / sheet.columns
    size = fit_size(label, fonts.REGULAR, 6.5, cell_w - 12 * mm)
    canvas.setFont(fonts.REGULAR, size)
    canvas.drawCentredString(sheet.margin + cell_w / 2, 4.5 * mm, label)


# ---------------------------------------------------------------- cover page

_COVER_MARGIN = 15 * mm
_ROW_H = 6.4 * mm
_TABLE_FONT = 8.5


def _cover_columns(per_page: int, unmasked_digits: int, many_markets: bool):
    """(header, width in mm, alignment, value(index, spec)) for the cover table (180 mm wide).

    The account column lists the last 4 characters in either account display:
    the cover gathers every vendor's bank details on a few sheets that travel
    through the market office, and the posting check it supports ("right
    placard on the right stall") needs only the tail; the full number is
    checked on the placard itself.
    """
    widths = (9, 21, 29, 39, 24, 19, 9, 30) if many_markets else (10, 24, 0, 46, 25, 21, 11, 43)
    columns = [
        ("#", "r", lambda i, s: str(i + 1)),
        ("Sạp", "l", lambda i, s: nfc(s.stall_code)),
        ("Chợ", "l", lambda i, s: nfc(s.market_name)),
        ("Người bán", "l", lambda i, s: nfc(s.vendor_display_name)),
        ("Ngân hàng", "l", lambda i, s: nfc(s.bank_short_name)),
        ("4 số cuối TK", "l", lambda i, s: account_tail(s.account_number, unmasked_digits)),
        ("Tờ", "r", lambda i, s: str(i // per_page + 1)),
        ("Ký nhận khi dán", "l", lambda i, s: ""),
    ]
    return [
        (header, width, align, value)
        for (header, align, value), width in zip(columns, widths, strict=True)
        if width
    ]


def _market_names(specs: Sequence[PlacardSpec]) -> list[str]:
    """Distinct market names in natural order ("Chợ Đá Bạc" beside "Chợ Dầu Giây", not after Z)."""
    return sorted(
        {nfc(spec.market_name) for spec in specs}, key=lambda name: stall_sort_key(None, None, name)
    )


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Vietnamese digit grouping: 1.420


def _draw_cover_pages(
    canvas: Canvas,
    specs: Sequence[PlacardSpec],
    *,
    layout: str,
    per_page: int,
    title: str | None,
    unmasked_digits: int,
    text_cache: dict,
    account_display: str = DEFAULT_ACCOUNT_DISPLAY,
    preview: bool = False,
) -> None:
    """A4 list of every placard in print order, with a column to sign on posting."""
    page_w, page_h = A4
    canvas.setPageSize(A4)
    markets = _market_names(specs)
    tail_digits = 4 if account_display == "full" else unmasked_digits
    columns = _cover_columns(per_page, tail_digits, len(markets) > 1)
    table_right = _COVER_MARGIN + sum(width for _, width, _, _ in columns) * mm
    printed_on = max(spec.printed_on for spec in specs)
    sheets = -(-len(specs) // per_page)
    heading = nfc(title) if title else "Danh sách bảng mã VietQR"
    if preview:
        heading = f"{PREVIEW_NOTE} – {heading}"
    usable_w = page_w - 2 * _COVER_MARGIN
    header_h = 30 * mm
    first_rows = int((page_h - 2 * _COVER_MARGIN - header_h - _ROW_H - 8 * mm) // _ROW_H)
    next_rows = int((page_h - 2 * _COVER_MARGIN - 10 * mm - _ROW_H - 8 * mm) // _ROW_H)
    pages = 1 + max(0, -(-(len(specs) - first_rows) // next_rows))

    start = 0
    for page in range(1, pages + 1):
        text = PdfTextRun(canvas, text_cache)
        y = page_h - _COVER_MARGIN
        if page == 1:
            market_line = " · ".join(markets)
            summary = (
                f"In ngày {format_date_vn(printed_on)} · {_thousands(len(specs))} bảng · "
                f"{_thousands(sheets)} tờ · bố cục {layout}"
            )
            if account_display == "full":
                note = (
                    "Dán đúng bảng vào đúng sạp. Người bán đối chiếu tên người nhận và số tài khoản in đủ "
                    "trên bảng với tài khoản của mình, rồi ký nhận."
                )
            else:
                note = (
                    "Dán đúng bảng vào đúng sạp. Người bán kiểm tra tên người nhận và 4 số cuối tài khoản "
                    "trên bảng, rồi ký nhận."
                )
            for line, font, size, drop in (
                (heading, fonts.BOLD, 16, 14),
                (market_line, fonts.SEMIBOLD, 11.5, 31),
                (summary, fonts.REGULAR, 9.5, 46),
                (note, fonts.REGULAR, 8.5, 60),
            ):
                text.put(line, _COVER_MARGIN, y - drop, font, fit_size(line, font, size, usable_w))
            y -= header_h
            rows = first_rows
        else:
            continued = f"{heading} (tiếp theo)"
            text.put(
                continued,
                _COVER_MARGIN,
                y - 10,
                fonts.SEMIBOLD,
                fit_size(continued, fonts.SEMIBOLD, 9.5, usable_w),
            )
            y -= 10 * mm
            rows = next_rows
        end = min(start + rows, len(specs))
        rules = [(_COVER_MARGIN, y - _ROW_H, table_right, y - _ROW_H)]
        _table_row(text, columns, y, [header for header, _, _, _ in columns], fonts.BOLD)
        for index in range(start, end):
            y -= _ROW_H
            _table_row(
                text,
                columns,
                y,
                [value(index, specs[index]) for _, _, _, value in columns],
                fonts.REGULAR,
            )
            rules.append((_COVER_MARGIN, y - _ROW_H, table_right, y - _ROW_H))
        start = end
        text.put(
            f"Danh sách trang {page}/{pages}",
            page_w - _COVER_MARGIN,
            _COVER_MARGIN - 6 * mm,
            fonts.REGULAR,
            8,
            "right",
        )
        text.draw()
        canvas.setLineWidth(0.9)
        canvas.lines(rules[:1])
        canvas.setLineWidth(0.3)
        canvas.lines(rules[1:])
        canvas.showPage()


def _table_row(text: PdfTextRun, columns, y: float, values: list[str], font: str) -> None:
    x = _COVER_MARGIN
    baseline = y - _ROW_H + 2 * mm
    for (_, width_mm, align, _), value in zip(columns, values, strict=True):
        width = width_mm * mm
        if value:
            value, size = _fit_cell(value, font, width - 3 * mm)
            if align == "r":
                text.put(value, x + width - 1.5 * mm, baseline, font, size, "right")
            else:
                text.put(value, x + 1.5 * mm, baseline, font, size)
        x += width


def _fit_cell(value: str, font: str, width: float, min_size: float = 6.5) -> tuple[str, float]:
    """Shrink to *min_size* at most, then cut with an ellipsis: rows stay legible."""
    size = fit_size(value, font, _TABLE_FONT, width)
    if size >= min_size:
        return value, size
    while len(value) > 1 and fonts.text_width(value + "…", font, min_size) > width:
        value = value[:-1]
    return value.rstrip() + "…", min_size

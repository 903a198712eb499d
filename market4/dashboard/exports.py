"""The dashboard's market table as CSV and XLSX bytes; the views only send them.

- CSV is for other programs: UTF-8 with a BOM (so Excel reads the diacritics), commas,
  plain integers and a dot decimal (75.1), whatever the viewer's language.
- XLSX is for people: real numbers and dates with formats (Excel shows them in the
  reader's locale, 1.066 and 75,1% in Vietnamese), a bold frozen header, an autofilter,
  a totals row, and a second sheet naming the area, the date and the filters.

In both, text that could start a formula (a market named "=HYPERLINK(…)") gets a leading
quote (``market4.spreadsheets``); numbers stay numbers.

Neither carries an account number: the ``Dashboard`` they are built from holds none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask_babel import gettext as _

from market4.dashboard.report import Dashboard
from market4.db import VIETNAM_TZ, now_utc
from market4.registry.activity import month_text
from market4.registry.markets import MARKET_KINDS
from market4.spreadsheets import safe_cell, safe_row

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Column widths in characters, in the order of ``_headers()``.
_WIDTHS = (22, 34, 22, 28, 7, 9, 10, 16, 11, 14, 14, 12, 11)
# 1-based: "Tỉ lệ (%)", and beside it "paid by QR" (dashboard.activity) and its month.
_RATE_COLUMN = 9
_PAID_RATE_COLUMN = 11
_PAID_MONTH_COLUMN = 12
_RATE_COLUMNS = (_RATE_COLUMN, _PAID_RATE_COLUMN)


def filename(dashboard: Dashboard, extension: str) -> str:
    """ASCII only, so every browser and mail client keeps it: ``tong-quan-2026-11-23.xlsx``."""
    return f"tong-quan-{dashboard.filters.day.isoformat()}.{extension}"


def _headers() -> list[str]:
    return [
        _("Mã chợ"),
        _("Tên chợ"),
        _("Xã/phường"),
        _("Loại chợ"),
        _("Hạng"),
        _("Chợ 4.0"),
        _("Số sạp"),
        _("Số sạp chấp nhận TTKDTM"),
        _("Tỉ lệ (%)"),
        _("Số sạp nhận tiền qua QR"),
        _("Tỉ lệ nhận tiền qua QR (%)"),
        _("Tháng nhận tiền qua QR"),
        _("Đạt ngưỡng"),
    ]


def _yes_no(value: bool) -> str:
    return _("Có") if value else _("Không")


def _rows(dashboard: Dashboard) -> Iterator[list]:
    """Market rows as typed values; the rates are shares (0.751) or None, the month of
    "paid by QR" a date (its first day) or None before any bank has reported."""
    month = dashboard.paid.month
    for row in dashboard.rows:
        m = row.figures
        yield [
            m.code,
            m.name,
            row.commune_name,
            row.kind_label,
            m.market_class,
            _yes_no(m.in_programme),
            m.stalls_total,
            m.stalls_accepting,
            m.rate,
            row.stalls_paid,
            row.paid_rate,
            month,
            _yes_no(row.meets_threshold),
        ]


def _totals(dashboard: Dashboard) -> list:
    """Counts where a column holds yes/no: markets in the programme, markets meeting."""
    figures = dashboard.figures
    return [
        "",
        _("Tổng cộng (%(count)d chợ)", count=figures.markets_total),
        "",
        "",
        None,
        figures.markets_cashless,
        figures.stalls_total,
        figures.stalls_accepting,
        figures.rate,
        dashboard.paid.stalls_paid,
        dashboard.paid_rate,
        dashboard.paid.month,
        dashboard.markets_meeting_threshold,
    ]


def market_table_csv(dashboard: Dashboard) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(safe_row(_headers()))
    for values in [*_rows(dashboard), _totals(dashboard)]:
        writer.writerow(_csv_value(value, column) for column, value in enumerate(values, 1))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_value(value: object, column: int) -> str:
    if value is None:
        return ""
    if column in _RATE_COLUMNS:
        return f"{value * 100:.1f}"
    if column == _PAID_MONTH_COLUMN:
        return month_text(value)
    return str(safe_cell(value))


def market_table_xlsx(dashboard: Dashboard) -> bytes:
    from openpyxl import Workbook  # here, not at start-up: few requests export

    workbook = Workbook()
    table = workbook.active
    table.title = _("Chợ")
    _write_table(table, dashboard)
    _write_about(workbook.create_sheet(_("Thông tin")), dashboard)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_table(sheet, dashboard: Dashboard) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    _append(sheet, _headers())
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for values in _rows(dashboard):
        _append(sheet, values)
    _append(sheet, _totals(dashboard))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for column in (7, 8, 10, len(_WIDTHS)):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "#,##0"
    for column in _RATE_COLUMNS:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "0.0%"
    for (cell,) in sheet.iter_rows(
        min_row=2, min_col=_PAID_MONTH_COLUMN, max_col=_PAID_MONTH_COLUMN
    ):
        cell.number_format = "mm/yyyy"
    for index, width in enumerate(_WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    # The filter stops above the totals row, so sorting never moves the totals.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(_WIDTHS))}{sheet.max_row - 1}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.center.text = _title(dashboard)


def _append(sheet, values: list) -> None:
    """A row whose text is never a formula: quoted when it could start one (``safe_row``),
    and stored as a string cell whatever openpyxl would have guessed."""
    sheet.append(safe_row(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _title(dashboard: Dashboard) -> str:
    return _(
        "Tỉ lệ tiểu thương chấp nhận thanh toán không dùng tiền mặt — %(area)s — "
        "số liệu ngày %(day)s",
        area=dashboard.area_label,
        day=dashboard.filters.day.strftime("%d/%m/%Y"),
    )


def _write_about(sheet, dashboard: Dashboard) -> None:
    from openpyxl.styles import Alignment, Font

    filters = dashboard.filters
    communes = dict(dashboard.commune_choices)
    all_label = _("Tất cả")
    rows = [
        (_("Báo cáo"), _("Tỉ lệ tiểu thương chấp nhận thanh toán không dùng tiền mặt (TTKDTM)")),
        (_("Khu vực"), dashboard.area_label),
        (_("Số liệu ngày"), filters.day),
        (_("Ngưỡng đạt (tỉ lệ sạp chấp nhận)"), float(filters.threshold)),
        (_("Xã/phường"), communes.get(filters.commune_id, all_label)),
        (_("Loại chợ"), str(MARKET_KINDS[filters.kind]) if filters.kind else all_label),
        (_("Hạng chợ"), filters.market_class or all_label),
        (_("Xuất lúc"), now_utc().astimezone(VIETNAM_TZ).replace(tzinfo=None)),
        (_("Nguồn"), "market4"),
        (
            _("Nhận tiền qua QR"),
            _(
                "Sạp có tài khoản được ngân hàng báo cáo có nhận tiền qua QR trong tháng; "
                "tỉ lệ trên số sạp của ngày số liệu."
            ),
        ),
        (_("Tháng nhận tiền qua QR"), dashboard.paid.month or _("Chưa có báo cáo")),
    ]
    for row in rows:
        _append(sheet, list(row))
    sheet["A1"].font = sheet["B1"].font = Font(bold=True)
    sheet["B3"].number_format = "dd/mm/yyyy"
    sheet["B4"].number_format = "0.0%"
    sheet["B8"].number_format = "dd/mm/yyyy hh:mm"
    sheet["B11"].number_format = "mm/yyyy"
    for cell in sheet["B"]:
        cell.alignment = Alignment(horizontal="left")
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 70

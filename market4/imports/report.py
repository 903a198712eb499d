"""The per-row import report (CSV or XLSX): what happened to each row and why.

One line per message (a row with three problems has three lines; a row without any has
one), so the file can be filtered by column or reason in Excel. Account numbers are
masked to their last four digits: the report is an export of bank data (Law 91/2025).
Like the template, it is a Vietnamese document in every locale.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

from market4.imports.reading import COLUMN_LABELS
from market4.registry.imports import ImportBatch, ImportRow
from market4.spreadsheets import safe_cell, safe_row
from market4.vocabulary import BatchStatus

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

__all__ = ["HEADERS", "OUTCOME_LABELS", "report_csv", "report_lines", "report_xlsx"]

HEADERS = (
    "Dòng",
    "Kết quả",
    "Cột",
    "Lý do",
    "Mức",
    "Mã tiểu thương",
    "Mã chợ",
    "Mã sạp",
    "Tên tiểu thương",
    "Tài khoản",
    "Mã tham chiếu",
)
# (before the commit, after it)
OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "create": ("Sẽ tạo mới", "Đã tạo mới"),
    "add_account": (
        "Sẽ thêm tài khoản cho tiểu thương đang ở sạp",
        "Đã thêm tài khoản cho tiểu thương đang ở sạp",
    ),
    "update": ("Sẽ cập nhật", "Đã cập nhật"),
    "unchanged": ("Không thay đổi", "Không thay đổi"),
    "invalid": ("Không hợp lệ", "Không hợp lệ — không ghi"),
    "duplicate": ("Trùng", "Trùng — không ghi"),
}
SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo"}


def outcome_label(outcome: str, status: str) -> str:
    before, after = OUTCOME_LABELS.get(outcome, (outcome, outcome))
    return after if status == BatchStatus.COMMITTED else before


def masked(number: str | None) -> str:
    number = number or ""
    return f"…{number[-4:]}" if len(number) > 4 else number


def report_lines(batch: ImportBatch) -> Iterator[list[str | int]]:
    """Header, then one list of cells per message (or per row without messages)."""
    yield list(HEADERS)
    rows: list[ImportRow] = batch.rows
    for row in rows:
        values = row.values or {}
        common = [
            row.vendor_id or "",
            values.get("market_code", ""),
            values.get("stall_code", ""),
            values.get("display_name", ""),
            masked(str(values.get("account_number") or "")),
            values.get("partner_reference", ""),
        ]
        label = outcome_label(row.outcome, batch.status)
        messages = row.errors or [{}]
        for message in messages:
            column = COLUMN_LABELS.get(message.get("column", ""), message.get("column", ""))
            yield [
                row.row_number,
                label,
                column,
                message.get("message", ""),
                SEVERITY_LABELS.get(message.get("severity", ""), ""),
                *common,
            ]


def report_csv(batch: ImportBatch) -> bytes:
    """UTF-8 with BOM, so Excel opens the Vietnamese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in report_lines(batch):
        writer.writerow(safe_row(line))  # no cell runs as a formula (CSV injection)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def report_xlsx(batch: ImportBatch) -> bytes:
    from openpyxl import Workbook  # here, not at start-up: few requests export
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Kết quả nhập")
    for index, width in enumerate((7, 22, 20, 70, 10, 14, 16, 14, 26, 12, 16)):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    lines = report_lines(batch)
    bold = Font(bold=True)
    sheet.append([_cell(WriteOnlyCell(sheet), value, font=bold) for value in next(lines)])
    for line in lines:
        sheet.append([_cell(WriteOnlyCell(sheet), value) for value in line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_filename(batch: ImportBatch, extension: str) -> str:
    return f"ket-qua-nhap-{batch.id}.{extension}"


def _cell(cell: WriteOnlyCell, value: str | int, font: Font | None = None) -> WriteOnlyCell:
    cell.value = safe_cell(value)
    if isinstance(value, str):
        cell.data_type = "s"  # a string cell, never a formula
    if font is not None:
        cell.font = font
    return cell

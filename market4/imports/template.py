"""The downloadable import templates: XLSX with every column typed as text, and CSV.

Every column of the XLSX data sheet is formatted as Text (``@``) so that Excel keeps
the leading 0 of a phone number and all 19 digits of a card number (docs/domain.md, “Excel damage”);
a second sheet explains each column. The CSV is UTF-8 with a BOM, which is what makes
Excel on Windows open Vietnamese text correctly.

The headers are the file format, not UI text: they stay Vietnamese in every locale
(the reader also accepts English headers, see ``reading``).
"""

from __future__ import annotations

import csv
import io

from market4.imports.reading import COLUMN_LABELS, MAX_ROWS, REQUIRED_COLUMNS
from market4.registry.validation import GOODS_CATEGORIES

__all__ = ["COLUMN_NOTES", "template_csv", "template_xlsx"]

TEXT = "@"
# Rows pre-formatted as text below the header, besides the column style, for
# spreadsheet programs that ignore column styles when pasting.
FORMATTED_ROWS = 500

# Column -> (what to write, example).
COLUMN_NOTES: dict[str, tuple[str, str]] = {
    "market_code": ("Mã chợ trong market4 (xem trang Chợ và sạp).", "CD-NGAIGIAO"),
    "stall_code": ("Mã sạp đúng như trong danh sách sạp của chợ.", "Sạp A-12"),
    "display_name": ("Họ tên tiểu thương, có dấu.", "Nguyễn Thị Đào"),
    "phone": ("Số di động 10 số, có số 0 ở đầu.", "0912345678"),
    "bank": ("Để trống = ngân hàng của lô nhập; hoặc mã BIN, mã NAPAS, tên ngân hàng.", "970405"),
    "account_number": (
        "Số tài khoản hoặc số thẻ (tối đa 19 ký tự), nhập dạng văn bản.",
        "1903123456789",
    ),
    "holder_name": (
        "Không bắt buộc: tên chủ tài khoản như ngân hàng hiển thị; để trống = "
        "tên tiểu thương viết hoa không dấu.",
        "NGUYEN THI DAO",
    ),
    "goods_category": ("Không bắt buộc: " + ", ".join(GOODS_CATEGORIES) + ".", "Rau củ"),
    "partner_reference": (
        "Không bắt buộc: mã của ngân hàng cho khách hàng này; nhập lại tệp sẽ "
        "cập nhật đúng người, không tạo trùng.",
        "AGR-000123",
    ),
}
WIDTHS = {
    "display_name": 28,
    "account_number": 24,
    "holder_name": 26,
    "goods_category": 18,
    "partner_reference": 18,
}


def template_xlsx() -> bytes:
    from openpyxl import Workbook  # here, not at start-up: few requests need it
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Tiểu thương"
    header_font = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, key in enumerate(COLUMN_LABELS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=COLUMN_LABELS[key])
        cell.font, cell.fill, cell.number_format = header_font, fill, TEXT
        dimension = sheet.column_dimensions[letter]
        dimension.width = WIDTHS.get(key, 16)
        dimension.number_format = TEXT
        for row in range(2, FORMATTED_ROWS + 2):
            sheet.cell(row=row, column=index).number_format = TEXT
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("Hướng dẫn")
    notes.append(["Cột", "Bắt buộc", "Cách ghi", "Ví dụ"])
    for cell in notes[1]:
        cell.font, cell.fill = header_font, fill
    for key, label in COLUMN_LABELS.items():
        how, example = COLUMN_NOTES[key]
        notes.append([label, "Có" if key in REQUIRED_COLUMNS else "Không", how, example])
    notes.append([])
    for line in (
        "Nhập dữ liệu ở trang “Tiểu thương”, mỗi dòng một tiểu thương; giữ nguyên dòng tiêu đề.",
        "Mọi cột đã định dạng Văn bản (Text): đừng đổi sang Số, Excel sẽ bỏ số 0 đầu và làm tròn số dài.",
        f"Tối đa {MAX_ROWS:,} dòng mỗi tệp.".replace(",", "."),
        "Nhập lại cùng tệp không tạo trùng: dòng đã có sẽ được cập nhật hoặc giữ nguyên.",
    ):
        notes.append([line])
    for letter, width in zip("ABCD", (24, 10, 70, 20), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2, max_col=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.number_format = TEXT
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(COLUMN_LABELS.values())
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")

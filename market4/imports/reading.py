"""Reading an uploaded vendor list: sniff the file type, decode it, find the columns.

Accepted: XLSX (Excel 2007+), and CSV/TSV text in UTF-8 (with or without BOM), UTF-16
(with BOM, as Excel's "Unicode Text" writes it) or Windows-1258 (older Vietnamese
Windows). Anything else — old binary .xls, PDF, images, a zip that is not a workbook,
text in an unknown encoding — is refused with a Vietnamese message that says what to
do instead, as are files over :data:`MAX_BYTES` or :data:`MAX_ROWS` data rows.

Excel damage (DOMAIN.md §2.3) can only be explained if we know a cell was *numeric*:
XLSX cells keep their type, so each row records which columns held numbers and the
validation rules get ``numeric_cell=True`` for them. CSV has no types; there the rules
recognise the damaged shapes ("9.70E+15", "912345678") from the text alone.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from market4.domain.text import fold_ascii
from market4.errors import DomainError

__all__ = [
    "COLUMNS",
    "COLUMN_LABELS",
    "MAX_BYTES",
    "MAX_ROWS",
    "ImportFileError",
    "RawRow",
    "SheetData",
    "read_vendor_file",
]

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# A 5 MB xlsx can inflate to gigabytes (a "zip bomb"); real sheets of 20,000 rows of
# this template stay far below this.
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024

# Canonical column keys, in template order, with their Vietnamese headers.
COLUMN_LABELS: dict[str, str] = {
    "market_code": "Mã chợ",
    "stall_code": "Mã sạp",
    "display_name": "Tên tiểu thương",
    "phone": "Số điện thoại",
    "bank": "Ngân hàng",
    "account_number": "Số tài khoản / số thẻ",
    "holder_name": "Tên chủ tài khoản",
    "goods_category": "Ngành hàng",
    "partner_reference": "Mã tham chiếu",
}
COLUMNS: tuple[str, ...] = tuple(COLUMN_LABELS)
REQUIRED_COLUMNS = ("market_code", "stall_code", "display_name", "phone", "account_number")

# Other spellings people (and other systems) put in the header row, already folded.
_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "market_code": ("ma cho", "cho", "market", "market code", "market id"),
    "stall_code": (
        "ma sap",
        "sap",
        "so sap",
        "ma lo",
        "lo",
        "ki ot",
        "kiot",
        "quay",
        "stall",
        "stall code",
        "stall number",
    ),
    "display_name": (
        "ten tieu thuong",
        "ho ten",
        "ho va ten",
        "ten",
        "tieu thuong",
        "ten nguoi ban",
        "vendor",
        "vendor name",
        "name",
        "full name",
    ),
    "phone": (
        "so dien thoai",
        "dien thoai",
        "sdt",
        "so dt",
        "di dong",
        "phone",
        "phone number",
        "mobile",
        "mobile number",
    ),
    "bank": ("ngan hang", "ma ngan hang", "bin", "bank", "bank bin", "bank code", "bank name"),
    "account_number": (
        "so tai khoan so the",
        "so tai khoan",
        "stk",
        "so the",
        "tai khoan",
        "account",
        "account number",
        "account or card number",
        "card number",
        "account no",
    ),
    "holder_name": (
        "ten chu tai khoan",
        "chu tai khoan",
        "ten tai khoan",
        "ten khong dau",
        "holder",
        "holder name",
        "account holder",
        "account name",
    ),
    "goods_category": (
        "nganh hang",
        "mat hang",
        "loai hang",
        "goods",
        "goods category",
        "category",
    ),
    "partner_reference": (
        "ma tham chieu",
        "tham chieu",
        "ma doi tac",
        "ma khach hang",
        "reference",
        "partner reference",
        "ref",
        "external id",
    ),
}


class ImportFileError(DomainError):
    """The file as a whole cannot be imported; nothing was read or written."""

    status = 400
    default_code = "unreadable_file"
    default_message = "Không đọc được tệp."


@dataclass
class RawRow:
    """One data row as read: ``values`` by column key, and which of them were numbers."""

    row_number: int
    values: dict[str, Any]
    numeric: set[str] = field(default_factory=set)


@dataclass
class SheetData:
    file_format: str  # "xlsx", "csv-utf-8", "csv-utf-8-bom", "csv-utf-16", "csv-windows-1258"
    columns: dict[str, str]  # column key -> header as written in the file
    rows: list[RawRow]
    ignored_headers: tuple[str, ...] = ()


def header_key(text: Any) -> str:
    """A header folded for matching: no diacritics, case, punctuation or extra spaces."""
    folded = fold_ascii(unicodedata.normalize("NFC", str(text or ""))).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


_HEADER_LOOKUP: dict[str, str] = {}
for _key, _aliases in _HEADER_ALIASES.items():
    for _alias in (header_key(COLUMN_LABELS[_key]), header_key(_key), *_aliases):
        _HEADER_LOOKUP[_alias] = _key


def _refuse(code: str, message: str) -> ImportFileError:
    return ImportFileError(message, code=code)


def read_vendor_file(content: bytes, filename: str = "") -> SheetData:
    """Decode ``content`` into rows keyed by column; raise :class:`ImportFileError` if refused."""
    if not content:
        raise _refuse("empty_file", "Tệp trống, không có dữ liệu.")
    if len(content) > MAX_BYTES:
        raise _refuse(
            "file_too_large",
            f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB — hãy chia thành nhiều tệp nhỏ hơn.",
        )
    kind = _sniff(content, filename)
    if kind == "xlsx":
        return _read_xlsx(content)
    text, file_format = _decode_text(content)
    return _read_csv(text, file_format)


# --- sniffing ---------------------------------------------------------------------------

_OTHER_TYPES = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "old_excel",
        "Tệp Excel cũ (.xls) chưa được hỗ trợ — mở bằng Excel rồi “Lưu thành” .xlsx hoặc CSV UTF-8.",
    ),
    (b"%PDF", "pdf", "Tệp PDF không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV."),
    (b"\x89PNG", "image", "Tệp ảnh không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV."),
    (
        b"\xff\xd8\xff",
        "image",
        "Tệp ảnh không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV.",
    ),
    (b"GIF8", "image", "Tệp ảnh không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV."),
    (b"Rar!", "archive", "Tệp nén không nhập được — hãy giải nén và tải lên tệp .xlsx hoặc CSV."),
    (
        b"\x1f\x8b",
        "archive",
        "Tệp nén không nhập được — hãy giải nén và tải lên tệp .xlsx hoặc CSV.",
    ),
    (
        b"7z\xbc\xaf",
        "archive",
        "Tệp nén không nhập được — hãy giải nén và tải lên tệp .xlsx hoặc CSV.",
    ),
)


def _sniff(content: bytes, filename: str) -> str:
    """ "xlsx" or "text"; refuse everything else by its magic bytes, not its name."""
    for magic, code, message in _OTHER_TYPES:
        if content.startswith(magic):
            raise _refuse(f"unsupported_{code}", message)
    if content.startswith(b"PK\x03\x04") or content.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise _refuse("damaged_xlsx", "Tệp Excel bị hỏng, không mở được.") from None
        if "xl/workbook.xml" not in names:
            if "word/document.xml" in names:
                message = "Tệp Word không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV."
            elif "content.xml" in names:
                message = "Tệp OpenDocument (.ods) chưa được hỗ trợ — hãy “Lưu thành” .xlsx hoặc CSV UTF-8."
            else:
                message = (
                    "Tệp nén (.zip) không phải bảng tính Excel — hãy tải lên tệp .xlsx hoặc CSV."
                )
            raise _refuse("unsupported_archive", message)
        return "xlsx"
    if filename.lower().endswith((".xls", ".xlsm", ".xlsb", ".ods", ".pdf", ".doc", ".docx")):
        raise _refuse("unsupported_type", "Chỉ nhận tệp Excel .xlsx hoặc CSV — hãy dùng tệp mẫu.")
    return "text"


def _decode_text(content: bytes) -> tuple[str, str]:
    """Text and its format: BOM first, then strict UTF-8, then Windows-1258."""
    if content.startswith(b"\xef\xbb\xbf"):
        text, file_format = _strict(content[3:], "utf-8", "csv-utf-8-bom"), "csv-utf-8-bom"
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, file_format = _strict(content, "utf-16", "csv-utf-16"), "csv-utf-16"
    elif _looks_like_utf16_without_bom(content):
        codec = "utf-16-le" if content[1:2] == b"\x00" else "utf-16-be"
        text, file_format = _strict(content, codec, "csv-utf-16"), "csv-utf-16"
    elif b"\x00" in content[:4096]:
        raise _refuse("unsupported_type", "Tệp không phải bảng tính hay CSV — hãy dùng tệp mẫu.")
    else:
        try:
            text, file_format = content.decode("utf-8"), "csv-utf-8"
        except UnicodeDecodeError:
            # Windows-1258 writes tone marks as separate combining characters.
            text = _strict(content, "cp1258", "csv-windows-1258")
            file_format = "csv-windows-1258"
    if "\x00" in text or _control_share(text) > 0.01:
        raise _refuse("unsupported_type", "Tệp không phải bảng tính hay CSV — hãy dùng tệp mẫu.")
    return unicodedata.normalize("NFC", text), file_format


def _strict(content: bytes, codec: str, label: str) -> str:
    try:
        return content.decode(codec)
    except UnicodeDecodeError:
        raise _refuse(
            "unknown_encoding",
            "Không nhận ra bảng mã của tệp CSV — hãy lưu lại dạng “CSV UTF-8” "
            "(Excel: Tệp → Lưu thành → CSV UTF-8) rồi tải lên lại.",
        ) from None


def _looks_like_utf16_without_bom(content: bytes) -> bool:
    sample = content[:400]
    return len(sample) >= 4 and sample.count(b"\x00") >= len(sample) // 3


def _control_share(text: str) -> float:
    sample = text[:4000]
    if not sample:
        return 0.0
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\r\n\t")
    return controls / len(sample)


# --- rows --------------------------------------------------------------------------------


def _map_headers(headers: list[Any]) -> tuple[dict[int, str], dict[str, str], tuple[str, ...]]:
    """Column index -> key; key -> header as written; headers we did not recognise."""
    by_index: dict[int, str] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        text = " ".join(str(header or "").split())
        if not text:
            continue
        key = _HEADER_LOOKUP.get(header_key(text))
        if key is None or key in written:
            ignored.append(text)
            continue
        by_index[index] = key
        written[key] = text
    missing = [COLUMN_LABELS[key] for key in REQUIRED_COLUMNS if key not in written]
    if missing:
        raise _refuse(
            "missing_columns",
            "Thiếu cột: "
            + ", ".join(missing)
            + ". Dòng đầu tiên phải là tên cột như trong tệp mẫu.",
        )
    return by_index, written, tuple(ignored)


def _is_blank(values: Iterable[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _build(
    numbered_rows: Iterator[tuple[int, list[Any]]], file_format: str, typed: bool
) -> SheetData:
    header: list[Any] | None = None
    rows: list[RawRow] = []
    by_index: dict[int, str] = {}
    written: dict[str, str] = {}
    ignored: tuple[str, ...] = ()
    for number, cells in numbered_rows:
        if _is_blank(cells):
            continue
        if header is None:
            header = cells
            by_index, written, ignored = _map_headers(cells)
            continue
        if len(rows) >= MAX_ROWS:
            raise _refuse(
                "too_many_rows",
                f"Tệp có hơn {MAX_ROWS:,} dòng dữ liệu".replace(",", ".")
                + " — hãy chia thành nhiều tệp nhỏ hơn.",
            )
        values: dict[str, Any] = {}
        numeric: set[str] = set()
        for index, key in by_index.items():
            value = cells[index] if index < len(cells) else None
            if typed:
                value, is_number = _cell_value(value)
                if is_number:
                    numeric.add(key)
            values[key] = value
        rows.append(RawRow(number, values, numeric))
    if header is None:
        raise _refuse("empty_file", "Tệp không có dòng tiêu đề hay dữ liệu nào.")
    if not rows:
        raise _refuse("no_rows", "Tệp chỉ có dòng tiêu đề, chưa có dòng dữ liệu nào.")
    return SheetData(file_format=file_format, columns=written, rows=rows, ignored_headers=ignored)


def _cell_value(value: Any) -> tuple[Any, bool]:
    """An XLSX cell as the rules want it: numbers stay numbers (flagged), dates as text."""
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int | float):
        return value, True
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y"), False
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y"), False
    return value, False


def _read_xlsx(content: bytes) -> SheetData:
    import openpyxl  # imported here: the CSV path and the app start do not need it

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED:
            raise _refuse(
                "file_too_large", "Tệp Excel quá lớn khi giải nén — hãy chia thành nhiều tệp."
            )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for damaged files
        raise _refuse(
            "damaged_xlsx", "Tệp Excel bị hỏng hoặc được bảo vệ bằng mật khẩu, không mở được."
        ) from None
    try:
        # The template's first sheet holds the data; a notes sheet may follow.
        sheet = workbook.worksheets[0]
        numbered = (
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _build(numbered, "xlsx", typed=True)
    finally:
        workbook.close()


def _read_csv(text: str, file_format: str) -> SheetData:
    first_line = text.split("\n", 1)[0]
    # Excel writes ";" where the list separator is ",", and tabs in "Unicode Text".
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Records, not physical lines: Excel shows a quoted multi-line cell as one row.
        return _build(enumerate(reader, start=1), file_format, typed=False)
    except csv.Error as error:
        raise _refuse("damaged_csv", f"Tệp CSV bị lỗi ở dòng {reader.line_num}: {error}.") from None

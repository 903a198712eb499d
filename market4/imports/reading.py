"""Reading an uploaded vendor list: sniff the file type, decode it, find the columns.

Accepted: XLSX (Excel 2007+), and CSV/TSV text in UTF-8 (with or without BOM), UTF-16
(with BOM, as Excel's "Unicode Text" writes it) or Windows-1258 (older Vietnamese
Windows). Anything else — old binary .xls, PDF, images, a zip that is not a workbook,
text in an unknown encoding — is refused with a Vietnamese message that says what to
do instead, as are files over :data:`MAX_BYTES` or :data:`MAX_ROWS` data rows, and
XLSX files that would cost more to open than a real one of that many rows (the "XLSX
budget" below: inflated size, compression, shared strings, columns, time).

Excel damage (docs/domain.md, “Excel damage”) can only be explained if we know a cell was *numeric*:
XLSX cells keep their type, so each row records which columns held numbers and the
validation rules get ``numeric_cell=True`` for them. CSV has no types; there the rules
recognise the damaged shapes ("9.70E+15", "912345678") from the text alone.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from market4.domain.text import fold_ascii
from market4.errors import DomainError
from market4.i18n import N_

__all__ = [
    "COLUMNS",
    "COLUMN_LABELS",
    "MAX_BYTES",
    "MAX_ROWS",
    "ImportFileError",
    "RawRow",
    "SheetData",
    "TableLayout",
    "read_table",
    "read_vendor_file",
]

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

# The XLSX budget. An XLSX is a zip of XML parts: a few kilobytes can inflate to gigabytes
# (a "zip bomb"), or to millions of tiny shared strings that openpyxl keeps in memory
# (an 87 KB file with 2 million of them held a worker for 65 s and 190 MB). So before
# openpyxl parses anything, ``_check_xlsx_budget`` looks at every part, inflating it
# itself and counting what really comes out, and the rows are read against a clock.
#
# The caps come from measuring what files of MAX_ROWS rows need (2026-12-03):
# - the downloadable template: 10 parts, 0.15 MB inflated;
# - 20,000 rows like the import benchmark's (9 columns): 9.8 MB inflated as openpyxl
#   writes them (text inline in the sheet), 8.6 MB laid out as Excel does (sheet 6.3 MB,
#   sharedStrings 2.3 MB with 84,000 strings); parts compress 8-16:1;
# - the largest legitimate file: 20,000 rows with every one of the 9 cells different and
#   at its maximum length: 22.4 MB (openpyxl) or 24.4 MB (Excel layout: sharedStrings
#   16.3 MB, 180,000 strings), zipped 4.9 MB, i.e. already at MAX_BYTES.
# The caps leave ~3x headroom over the usual file and still accept the largest one:
MAX_XLSX_UNCOMPRESSED = 32 * 1024 * 1024  # all parts together, inflated
MAX_XLSX_SHARED_STRINGS_BYTES = 20 * 1024 * 1024  # the shared-strings part alone
# Every string of a real file sits in one of its MAX_ROWS x 9 cells (180,000 at most).
MAX_XLSX_SHARED_STRINGS = 200_000
# Real parts compress 4-16:1; deflate cannot do better than ~1030:1, which only bombs
# (or long runs of one byte) reach. Parts under 1 MB may compress better harmlessly.
MAX_XLSX_RATIO = 100
XLSX_RATIO_FROM_BYTES = 1024 * 1024
# Excel writes about 10 parts, 20-30 with a few sheets, images and comments.
MAX_XLSX_PARTS = 100
# Each sheet the workbook lists makes openpyxl read that sheet's part again.
MAX_XLSX_SHEETS = 100
# Parts openpyxl builds whole in memory (styles, workbook, relationships…): 6.6 KB in
# the template, tens of kilobytes in real files; ~13 bytes of memory per byte.
MAX_XLSX_WHOLE_PARTS_BYTES = 4 * 1024 * 1024
# The template has 9 columns; a few notes columns beside them are fine.
MAX_COLUMNS = 50
# Reading 20,000 rows takes ~1.5 s, the largest legitimate file ~2 s (2-core VM); past
# this the file is refused rather than waited for.
XLSX_DEADLINE_SECONDS = 20.0

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

# Other spellings people (and other systems) put in the header row, already folded. The
# bank and account columns read the same in every file a bank sends (the QR reports too).
BANK_ALIASES = ("ngan hang", "ma ngan hang", "bin", "bank", "bank bin", "bank code", "bank name")
ACCOUNT_NUMBER_ALIASES = (
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
)
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
    "bank": BANK_ALIASES,
    "account_number": ACCOUNT_NUMBER_ALIASES,
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
    default_message = N_("Không đọc được tệp.")


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


@dataclass(frozen=True)
class TableLayout:
    """The columns one kind of file has: key -> header of the template, the keys that
    must be there, and other spellings of each header (already folded by ``header_key``).

    The vendor list is :data:`VENDOR_LAYOUT`; other uploads (the banks' monthly QR
    payment reports) bring their own and are read by :func:`read_table` the same way.
    """

    labels: dict[str, str]
    required: tuple[str, ...]
    aliases: dict[str, tuple[str, ...]]

    def key_of(self, header: str) -> str | None:
        """The column key a header in the file names, or None."""
        return self._lookup().get(header_key(header))

    def _lookup(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for key, label in self.labels.items():
            for alias in (header_key(label), header_key(key), *self.aliases.get(key, ())):
                found[alias] = key
        return found


VENDOR_LAYOUT = TableLayout(COLUMN_LABELS, REQUIRED_COLUMNS, _HEADER_ALIASES)


def _refuse(code: str, message: str) -> ImportFileError:
    return ImportFileError(message, code=code)


def read_vendor_file(content: bytes, filename: str = "") -> SheetData:
    """Decode ``content`` into rows keyed by column; raise :class:`ImportFileError` if refused."""
    return read_table(content, filename, VENDOR_LAYOUT)


def read_table(content: bytes, filename: str, layout: TableLayout) -> SheetData:
    """:func:`read_vendor_file` for a file whose columns ``layout`` describes."""
    if not content:
        raise _refuse("empty_file", _l("Tệp trống, không có dữ liệu."))
    if len(content) > MAX_BYTES:
        raise _refuse(
            "file_too_large",
            _l(
                "Tệp lớn hơn %(megabytes)s MB — hãy chia thành nhiều tệp nhỏ hơn.",
                megabytes=MAX_BYTES // (1024 * 1024),
            ),
        )
    kind = _sniff(content, filename)
    if kind == "xlsx":
        return _read_xlsx(content, layout)
    text, file_format = _decode_text(content)
    return _read_csv(text, file_format, layout)


# --- sniffing ---------------------------------------------------------------------------

_OTHER_TYPES = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "old_excel",
        _l(
            "Tệp Excel cũ (.xls) chưa được hỗ trợ — mở bằng Excel rồi “Lưu thành” .xlsx hoặc CSV "
            "UTF-8."
        ),
    ),
    (b"%PDF", "pdf", _l("Tệp PDF không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV.")),
    (b"\x89PNG", "image", _l("Tệp ảnh không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV.")),
    (
        b"\xff\xd8\xff",
        "image",
        _l("Tệp ảnh không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV."),
    ),
    (b"GIF8", "image", _l("Tệp ảnh không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV.")),
    (
        b"Rar!",
        "archive",
        _l("Tệp nén không nhập được — hãy giải nén và tải lên tệp .xlsx hoặc CSV."),
    ),
    (
        b"\x1f\x8b",
        "archive",
        _l("Tệp nén không nhập được — hãy giải nén và tải lên tệp .xlsx hoặc CSV."),
    ),
    (
        b"7z\xbc\xaf",
        "archive",
        _l("Tệp nén không nhập được — hãy giải nén và tải lên tệp .xlsx hoặc CSV."),
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
            raise _refuse("damaged_xlsx", _l("Tệp Excel bị hỏng, không mở được.")) from None
        if "xl/workbook.xml" not in names:
            if "word/document.xml" in names:
                message = _l("Tệp Word không nhập được — hãy dùng tệp mẫu Excel (.xlsx) hoặc CSV.")
            elif "content.xml" in names:
                message = _l(
                    "Tệp OpenDocument (.ods) chưa được hỗ trợ — hãy “Lưu thành” .xlsx hoặc CSV "
                    "UTF-8."
                )
            else:
                message = _l(
                    "Tệp nén (.zip) không phải bảng tính Excel — hãy tải lên tệp .xlsx hoặc CSV."
                )
            raise _refuse("unsupported_archive", message)
        return "xlsx"
    if filename.lower().endswith((".xls", ".xlsm", ".xlsb", ".ods", ".pdf", ".doc", ".docx")):
        raise _refuse(
            "unsupported_type", _l("Chỉ nhận tệp Excel .xlsx hoặc CSV — hãy dùng tệp mẫu.")
        )
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
        raise _refuse(
            "unsupported_type", _l("Tệp không phải bảng tính hay CSV — hãy dùng tệp mẫu.")
        )
    else:
        try:
            text, file_format = content.decode("utf-8"), "csv-utf-8"
        except UnicodeDecodeError:
            # Windows-1258 writes tone marks as separate combining characters.
            text = _strict(content, "cp1258", "csv-windows-1258")
            file_format = "csv-windows-1258"
    if "\x00" in text or _control_share(text) > 0.01:
        raise _refuse(
            "unsupported_type", _l("Tệp không phải bảng tính hay CSV — hãy dùng tệp mẫu.")
        )
    return unicodedata.normalize("NFC", text), file_format


def _strict(content: bytes, codec: str, label: str) -> str:
    try:
        return content.decode(codec)
    except UnicodeDecodeError:
        raise _refuse(
            "unknown_encoding",
            _l(
                "Không nhận ra bảng mã của tệp CSV — hãy lưu lại dạng “CSV UTF-8” "
                "(Excel: Tệp → Lưu thành → CSV UTF-8) rồi tải lên lại."
            ),
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


def _map_headers(
    headers: list[Any], layout: TableLayout
) -> tuple[dict[int, str], dict[str, str], tuple[str, ...]]:
    """Column index -> key; key -> header as written; headers we did not recognise."""
    by_index: dict[int, str] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        text = " ".join(str(header or "").split())
        if not text:
            continue
        key = layout.key_of(text)
        if key is None or key in written:
            ignored.append(text)
            continue
        by_index[index] = key
        written[key] = text
    missing = [layout.labels[key] for key in layout.required if key not in written]
    if missing:
        raise _refuse(
            "missing_columns",
            _l(
                "Thiếu cột: %(columns)s. Dòng đầu tiên phải là tên cột như trong tệp mẫu.",
                columns=", ".join(missing),
            ),
        )
    return by_index, written, tuple(ignored)


def _is_blank(values: Iterable[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _build(
    numbered_rows: Iterator[tuple[int, list[Any]]],
    file_format: str,
    typed: bool,
    layout: TableLayout = VENDOR_LAYOUT,
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
            by_index, written, ignored = _map_headers(cells, layout)
            continue
        if len(rows) >= MAX_ROWS:
            raise _refuse(
                "too_many_rows",
                _l(
                    "Tệp có hơn %(rows)s dòng dữ liệu — hãy chia thành nhiều tệp nhỏ hơn.",
                    rows=_number(MAX_ROWS),
                ),
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
        raise _refuse("empty_file", _l("Tệp không có dòng tiêu đề hay dữ liệu nào."))
    if not rows:
        raise _refuse("no_rows", _l("Tệp chỉ có dòng tiêu đề, chưa có dòng dữ liệu nào."))
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


def _read_xlsx(content: bytes, layout: TableLayout) -> SheetData:
    import openpyxl  # imported here: the CSV path and the app start do not need it

    deadline = time.monotonic() + XLSX_DEADLINE_SECONDS
    _check_xlsx_budget(content, deadline)
    try:
        workbook = openpyxl.load_workbook(
            _DeadlineReader(content, deadline),
            read_only=True,
            data_only=True,
            keep_links=False,  # cached copies of other workbooks: not needed, can be big
        )
    except ImportFileError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many types for damaged files
        raise _damaged_xlsx() from None
    try:
        # The template's first sheet holds the data; a notes sheet may follow.
        sheet = workbook.worksheets[0]
        declared = sheet.max_column  # from the sheet's <dimension>, when it has one
        if declared is not None and declared > MAX_COLUMNS:
            raise _too_many_columns(declared)
        # Rows as wide as the sheet says, or one past the cap to notice text beyond it;
        # and no padding to a declared last row ("A1:I1048576"), which only adds blanks.
        width = declared or MAX_COLUMNS + 1
        sheet.reset_dimensions()
        return _build(_xlsx_rows(sheet, width, deadline), "xlsx", typed=True, layout=layout)
    finally:
        workbook.close()


def _xlsx_rows(sheet: Any, width: int, deadline: float) -> Iterator[tuple[int, list[Any]]]:
    rows = sheet.iter_rows(max_col=width, values_only=True)
    for number, cells in enumerate(rows, start=1):
        _check_deadline(deadline)
        if width > MAX_COLUMNS and any(value is not None for value in cells[MAX_COLUMNS:]):
            raise _too_many_columns(None)
        yield number, list(cells)


# --- the XLSX budget ---------------------------------------------------------------------

_CHUNK = 64 * 1024
_SHARED_STRINGS_PART = "xl/sharedStrings.xml"
# Start tags of a shared string or of a workbook's sheet entry, with any namespace prefix:
# "<si>", "<si/>", '<x:si xml:space="preserve">', '<sheet name=…'; never "</si>",
# "<sheetView" or "<sheetData". At most 72 bytes long.
_COUNTED_TAG = re.compile(rb"<(?:[^\s<>/:!?=\"']{1,64}:)?(si|sheet)[\s/>]")
_COUNTED_TAG_MAX = 72
_XML_ENCODING = re.compile(
    rb"(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]{1,40})[\"']"
)


@dataclass
class _Part:
    size: int = 0  # inflated bytes, counted
    compressed: int = 0  # bytes the deflate stream really took (the directory may say more)
    strings: int = 0  # <si> tags
    sheets: int = 0  # <sheet> tags


def _check_xlsx_budget(content: bytes, deadline: float) -> None:
    """Refuse an XLSX that would cost more to open than a real one of MAX_ROWS rows.

    First from the zip's directory (what each part *says* it inflates to), then by
    inflating every part here, a chunk at a time, without trusting that: a part that
    inflates past its declared size is refused the moment it does, so nothing inflates
    past the caps, which the declared sizes were checked against. The same pass counts
    the shared strings (``<si>`` tags) that openpyxl would otherwise load all at once.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise _damaged_xlsx() from None
    _check_directory(infos)
    parts: dict[str, _Part] = {}
    strings = 0
    for info in infos:
        part = _scan_part(content, info, deadline, strings)
        strings += part.strings
        if part.strings:  # whatever the part is called, it holds strings openpyxl keeps
            _check_strings_size(part.size)
        seen = parts.get(info.filename)  # a name twice: openpyxl reads the last, keep the worst
        if seen is None or part.size > seen.size:
            parts[info.filename] = part
    _check_whole_parts(content, parts)


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    """What the zip's directory declares, before anything is inflated."""
    if len(infos) > MAX_XLSX_PARTS:
        raise _refuse(
            "xlsx_too_many_parts",
            _l(
                "Tệp Excel chứa quá nhiều thành phần (%(count)s, tối đa %(limit)s) — hãy chép dữ "
                "liệu sang tệp mẫu rồi tải lên lại.",
                count=_number(len(infos)),
                limit=MAX_XLSX_PARTS,
            ),
        )
    for info in infos:
        # Excel only stores or deflates; encrypted workbooks are not zips at all.
        if info.flag_bits & 0x1 or info.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise _damaged_xlsx()
        if info.file_size >= XLSX_RATIO_FROM_BYTES and info.file_size > MAX_XLSX_RATIO * max(
            info.compress_size, 1
        ):
            raise _xlsx_bomb()
    declared = sum(info.file_size for info in infos)
    if declared > MAX_XLSX_UNCOMPRESSED:
        raise _refuse(
            "xlsx_too_large_inflated",
            _l(
                "Tệp Excel quá lớn khi giải nén (%(size)s MB, tối đa %(limit)s MB) — hãy chia "
                "thành nhiều tệp nhỏ hơn.",
                size=_megabytes(declared),
                limit=_megabytes(MAX_XLSX_UNCOMPRESSED),
            ),
        )
    for info in infos:
        if info.filename == _SHARED_STRINGS_PART:
            _check_strings_size(info.file_size)


def _scan_part(content: bytes, info: zipfile.ZipInfo, deadline: float, strings: int) -> _Part:
    """Inflate one part, never past its declared size, counting its bytes and tags."""
    part = _Part()
    head, carry = b"", b""
    for piece in _inflate(content, info, part):
        _check_deadline(deadline)
        part.size += len(piece)
        if part.size > info.file_size:  # the directory lied: a real zip never does
            raise _xlsx_bomb()
        if len(head) < 256:
            head += piece[:256]
            if len(head) >= 256 and not _ascii_readable(head):
                raise _unusual_encoding()
        # Count tags in whole pieces; a tag cut at the end is completed by the next one.
        buffer = carry + piece
        cut = buffer.rfind(b"<")
        if cut < 0 or len(buffer) - cut > _COUNTED_TAG_MAX:
            cut = len(buffer)
        _count_tags(part, _COUNTED_TAG.findall(buffer, 0, cut))
        carry = buffer[cut:]
        if strings + part.strings > MAX_XLSX_SHARED_STRINGS:
            raise _too_many_strings()
    if len(head) < 256 and not _ascii_readable(head):
        raise _unusual_encoding()
    if part.size >= XLSX_RATIO_FROM_BYTES and part.size > MAX_XLSX_RATIO * max(part.compressed, 1):
        raise _xlsx_bomb()  # the directory declared a larger compressed size to hide it
    _count_tags(part, _COUNTED_TAG.findall(carry))
    if strings + part.strings > MAX_XLSX_SHARED_STRINGS:
        raise _too_many_strings()
    return part


def _count_tags(part: _Part, tags: list[bytes]) -> None:
    if tags:
        sheets = tags.count(b"sheet")
        part.sheets += sheets
        part.strings += len(tags) - sheets


def _check_whole_parts(content: bytes, parts: dict[str, _Part]) -> None:
    """The parts openpyxl builds whole in memory, as a tree and then objects.

    It streams the worksheets and the shared strings, but reads the package's content
    types, every relationships part, the workbook (sheets, defined names), the styles,
    the document properties and, for a chart sheet, the chart sheet and its drawings and
    charts whole: ~13 bytes of memory per byte (0.6 MB zipped, 16 MB of cell formats in
    styles.xml took 3.6 s and 213 MB). Real files have tens of kilobytes of these.
    """
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.packaging.relationship import get_dependents
    from openpyxl.reader.excel import _find_workbook_part
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, ARC_CORE, ARC_CUSTOM, ARC_STYLE
    from openpyxl.xml.functions import fromstring

    fixed = (ARC_CONTENT_TYPES, ARC_CORE, ARC_CUSTOM, ARC_STYLE)
    whole = {name for name in parts if name in fixed or name.endswith(".rels")}
    _check_whole_size(whole, parts)  # before this function parses any of them
    relationships = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        try:
            manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
            workbook_part = _find_workbook_part(manifest).PartName[1:]
        except Exception:  # noqa: BLE001 - openpyxl fails on the same part
            raise _damaged_xlsx() from None
        for name in sorted(whole):
            if name.endswith(".rels"):
                try:
                    relationships.extend(get_dependents(archive, name))
                except Exception:  # noqa: BLE001 - if openpyxl needs it, it fails on it too
                    continue
    whole.add(workbook_part)
    sheets = parts[workbook_part].sheets if workbook_part in parts else 0
    if sheets > MAX_XLSX_SHEETS:
        raise _refuse(
            "xlsx_too_many_sheets",
            _l(
                "Tệp Excel có quá nhiều trang (%(count)s, tối đa %(limit)s) — hãy xoá các trang "
                "không cần hoặc chép trang dữ liệu sang tệp mẫu.",
                count=_number(sheets),
                limit=MAX_XLSX_SHEETS,
            ),
        )
    if any("chartsheet" in str(rel.Type) for rel in relationships):
        # A chart sheet's drawings and charts are read whole too: rather than follow
        # them, count every part something points to, except worksheets (streamed)
        # and shared strings (found through the content types, streamed).
        whole.update(
            rel.target
            for rel in relationships
            if rel.TargetMode != "External"
            and (
                "chartsheet" in str(rel.Type)
                or not str(rel.Type).endswith(("/worksheet", "/sharedStrings"))
            )
        )
    _check_whole_size(whole, parts)


def _check_whole_size(names: set[str], parts: dict[str, _Part]) -> None:
    size = sum(parts[name].size for name in names if name in parts)
    if size > MAX_XLSX_WHOLE_PARTS_BYTES:
        raise _refuse(
            "xlsx_structure_too_large",
            _l(
                "Tệp Excel có quá nhiều định dạng, tên vùng hoặc thành phần phụ (%(size)s MB, tối "
                "đa %(limit)s MB) — hãy chép dữ liệu (chỉ giá trị) sang tệp mẫu rồi tải lên lại.",
                size=_megabytes(size),
                limit=_megabytes(MAX_XLSX_WHOLE_PARTS_BYTES),
            ),
        )


def _inflate(content: bytes, info: zipfile.ZipInfo, part: _Part) -> Iterator[bytes]:
    """The part's bytes as they really inflate, at most 64 KB at a time; sets
    ``part.compressed`` once done.

    The data is found as :mod:`zipfile` finds it (the directory's offset, then the local
    header's name and extra lengths), so these are the bytes openpyxl will read.
    """
    start = info.header_offset
    header = content[start : start + 30]
    if len(header) < 30 or not header.startswith(b"PK\x03\x04"):
        raise _damaged_xlsx()
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    begin = start + 30 + name_length + extra_length
    data = memoryview(content)[begin : begin + info.compress_size]
    part.compressed = len(data)
    if info.compress_type == zipfile.ZIP_STORED:
        for offset in range(0, len(data), _CHUNK):
            yield bytes(data[offset : offset + _CHUNK])
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for offset in range(0, len(data), _CHUNK):
            piece = inflater.decompress(data[offset : offset + _CHUNK], _CHUNK)
            yield piece
            while inflater.unconsumed_tail and not inflater.eof:
                yield inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            if inflater.eof:  # what follows the stream is not part of it
                part.compressed = min(offset + _CHUNK, len(data)) - len(inflater.unused_data)
                return
        yield inflater.flush()
    except zlib.error:
        raise _damaged_xlsx() from None


def _ascii_readable(head: bytes) -> bool:
    """Whether "<si" in this part's bytes is what the XML parser will read as "<si".

    The XML parser also reads UTF-16, and 8-bit encodings that are not ASCII (EBCDIC)
    when the declaration names them: counting bytes would miss every string there.
    Excel, LibreOffice and openpyxl always write UTF-8.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return False
    declaration = _XML_ENCODING.match(head)
    if declaration is None:
        return True
    try:
        return "<si/>".encode(declaration.group(1).decode("ascii")) == b"<si/>"
    except (LookupError, UnicodeError):
        return True  # the parser cannot read it either: openpyxl refuses the file


class _DeadlineReader(io.BytesIO):
    """The upload as openpyxl reads it: every read checks the clock, so openpyxl cannot
    outlast the deadline inside one long step (a sheet without rows, many sheets)."""

    def __init__(self, content: bytes, deadline: float) -> None:
        super().__init__(content)
        self._deadline = deadline

    def read(self, size: int | None = -1) -> bytes:
        _check_deadline(self._deadline)
        return super().read(size)


def _check_deadline(deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise _refuse(
            "xlsx_too_slow",
            _l(
                "Đọc tệp Excel mất quá %(seconds)s giây nên đã dừng — hãy chia "
                "thành nhiều tệp nhỏ hơn, hoặc lưu lại dạng CSV UTF-8 rồi tải lên.",
                seconds=f"{XLSX_DEADLINE_SECONDS:g}",
            ),
        )


def _check_strings_size(size: int) -> None:
    if size > MAX_XLSX_SHARED_STRINGS_BYTES:
        raise _refuse(
            "xlsx_strings_too_large",
            _l(
                "Phần chữ của tệp Excel quá lớn (%(size)s MB, tối đa %(limit)s MB) — hãy xoá các "
                "cột, trang không cần nhập hoặc chia thành nhiều tệp nhỏ hơn.",
                size=_megabytes(size),
                limit=_megabytes(MAX_XLSX_SHARED_STRINGS_BYTES),
            ),
        )


def _too_many_strings() -> ImportFileError:
    return _refuse(
        "xlsx_too_many_strings",
        _l(
            "Tệp Excel có quá nhiều ô chữ khác nhau (hơn %(limit)s) — hãy dùng tệp mẫu, chỉ giữ "
            "các cột cần nhập và tối đa %(rows)s dòng mỗi tệp.",
            limit=_number(MAX_XLSX_SHARED_STRINGS),
            rows=_number(MAX_ROWS),
        ),
    )


def _too_many_columns(count: int | None) -> ImportFileError:
    if count is None:
        return _refuse(
            "xlsx_too_many_columns",
            _l(
                "Trang dữ liệu có dữ liệu sau cột thứ %(limit)s — hãy xoá các cột thừa hoặc "
                "chép dữ liệu sang tệp mẫu.",
                limit=MAX_COLUMNS,
            ),
        )
    return _refuse(
        "xlsx_too_many_columns",
        _l(
            "Trang dữ liệu có quá nhiều cột (%(count)s cột, tối đa %(limit)s) — hãy xoá các "
            "cột thừa hoặc chép dữ liệu sang tệp mẫu.",
            count=_number(count),
            limit=MAX_COLUMNS,
        ),
    )


def _xlsx_bomb() -> ImportFileError:
    return _refuse(
        "xlsx_bomb",
        _l(
            "Tệp Excel có cấu trúc bất thường (nén quá mức hoặc khai sai kích thước) nên "
            "không được mở — hãy mở bằng Excel, chép dữ liệu sang tệp mẫu rồi tải lên lại."
        ),
    )


def _unusual_encoding() -> ImportFileError:
    return _refuse(
        "xlsx_unusual_encoding",
        _l(
            "Tệp Excel được lưu bằng bảng mã lạ (không phải UTF-8) — hãy mở bằng Excel rồi "
            "“Lưu thành” .xlsx, hoặc chép dữ liệu sang tệp mẫu."
        ),
    )


def _damaged_xlsx() -> ImportFileError:
    return _refuse(
        "damaged_xlsx", _l("Tệp Excel bị hỏng hoặc được bảo vệ bằng mật khẩu, không mở được.")
    )


def _megabytes(size: int) -> int:
    return -(-size // (1024 * 1024))  # rounded up: 32.1 MB is not "32 MB, at most 32"


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _read_csv(text: str, file_format: str, layout: TableLayout) -> SheetData:
    first_line = text.split("\n", 1)[0]
    # Excel writes ";" where the list separator is ",", and tabs in "Unicode Text".
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Records, not physical lines: Excel shows a quoted multi-line cell as one row.
        return _build(enumerate(reader, start=1), file_format, typed=False, layout=layout)
    except csv.Error as error:
        raise _refuse(
            "damaged_csv",
            _l(
                "Tệp CSV bị lỗi ở dòng %(line_num)s: %(error)s.",
                line_num=reader.line_num,
                error=error,
            ),
        ) from None

"""Reading uploaded files: every accepted encoding, refusals, header matching (no database)."""

from __future__ import annotations

import io
import zipfile

import pytest

from market4.imports import reading
from market4.imports.reading import ImportFileError, read_vendor_file
from tests.imports.conftest import HEADER, ROW, cp1258, to_csv, xlsx


def only_row(sheet):
    assert len(sheet.rows) == 1
    return sheet.rows[0]


@pytest.mark.parametrize(
    ("content", "file_format"),
    [
        (to_csv([ROW]).encode("utf-8"), "csv-utf-8"),
        (b"\xef\xbb\xbf" + to_csv([ROW]).encode("utf-8"), "csv-utf-8-bom"),
        (to_csv([ROW]).encode("utf-16"), "csv-utf-16"),  # with BOM, as Excel writes it
        (to_csv([ROW], delimiter="\t").encode("utf-16-le"), "csv-utf-16"),  # without BOM
        (to_csv([ROW], delimiter="\t").encode("utf-16"), "csv-utf-16"),  # Excel "Unicode Text"
        (cp1258(to_csv([ROW])), "csv-windows-1258"),
        (to_csv([ROW], delimiter=";").encode("utf-8"), "csv-utf-8"),
    ],
)
def test_every_accepted_encoding_reads_the_same_nfc_text(content, file_format):
    sheet = read_vendor_file(content, "ds.csv")
    assert sheet.file_format == file_format
    row = only_row(sheet)
    assert row.row_number == 2
    assert row.values["display_name"] == "Nguyễn Thị Đào"  # NFC, even from cp1258's combining marks
    assert row.values["stall_code"] == "Sạp 1"
    assert row.values["phone"] == "0912345678"
    assert row.numeric == set()


def test_windows_1258_really_uses_combining_marks():
    raw = cp1258("Nguyễn")
    assert "\u0303" in raw.decode("cp1258")  # the fixture encodes like Windows does
    assert (
        read_vendor_file(cp1258(to_csv([ROW])), "x.csv").rows[0].values["display_name"]
        == "Nguyễn Thị Đào"
    )


def test_nfd_utf8_becomes_nfc():
    import unicodedata

    content = unicodedata.normalize("NFD", to_csv([ROW])).encode("utf-8")
    assert only_row(read_vendor_file(content, "mac.csv")).values["display_name"] == "Nguyễn Thị Đào"


def test_xlsx_keeps_cell_types_so_excel_damage_can_be_explained():
    content = xlsx(
        [["CD-NGAIGIAO", 12, "Lê Văn Tám", 912345678, None, 9704229912345670000, None, None, None]]
    )
    sheet = read_vendor_file(content, "ds.xlsx")
    assert sheet.file_format == "xlsx"
    row = only_row(sheet)
    assert row.numeric == {"stall_code", "phone", "account_number"}
    assert row.values["phone"] == 912345678
    assert row.values["stall_code"] == 12


def test_headers_match_without_diacritics_case_spacing_or_in_english():
    header = [
        "MA CHO",
        "  mã   sạp ",
        "Vendor name",
        "PHONE",
        "bank",
        "Account number",
        "holder name",
        "Goods category",
        "Partner reference",
        "Ghi chú riêng",
    ]
    sheet = read_vendor_file(to_csv([ROW + ["x"]], header=header).encode(), "en.csv")
    assert set(sheet.columns) == set(reading.COLUMNS)
    assert sheet.ignored_headers == ("Ghi chú riêng",)
    assert only_row(sheet).values["account_number"] == "1903123456789"


def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers():
    text = to_csv([ROW, ["", "", ""], ROW])
    sheet = read_vendor_file(text.encode(), "x.csv")
    assert [row.row_number for row in sheet.rows] == [2, 4]


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (b"", "x.csv", "empty_file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "unsupported_old_excel"),
        (b"%PDF-1.7\n...", "a.pdf", "unsupported_pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "a.png", "unsupported_image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "a.jpg", "unsupported_image"),
        (b"Ma cho,Ma sap\n\x81\x8a\x8d\x8e\x8f\x90\n", "x.csv", "unknown_encoding"),
        (to_csv([ROW], header=["Tên", "Số điện thoại"]).encode(), "x.csv", "missing_columns"),
        (to_csv([]).encode(), "x.csv", "no_rows"),
        (b"\x00\x01\x02\x03binary\x00\x00\x00\x00\x00\x00", "x.csv", "unsupported_type"),
    ],
)
def test_refused_files_say_why(content, filename, code):
    with pytest.raises(ImportFileError) as refused:
        read_vendor_file(content, filename)
    assert refused.value.code == code
    assert refused.value.message  # a plain Vietnamese sentence


def test_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("anh.jpg", b"...")
    with pytest.raises(ImportFileError) as refused:
        read_vendor_file(buffer.getvalue(), "tep.zip")
    assert refused.value.code == "unsupported_archive"


def test_damaged_xlsx_is_refused():
    content = xlsx([ROW])
    with pytest.raises(ImportFileError) as refused:
        read_vendor_file(content[: len(content) // 2], "hong.xlsx")
    assert refused.value.code == "damaged_xlsx"


def test_size_limit(monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)
    with pytest.raises(ImportFileError) as refused:
        read_vendor_file(to_csv([ROW] * 50).encode(), "lon.csv")
    assert refused.value.code == "file_too_large"
    assert "MB" in refused.value.message or "lớn" in refused.value.message


def test_row_limit(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    read_vendor_file(to_csv([ROW] * 3).encode(), "ok.csv")
    with pytest.raises(ImportFileError) as refused:
        read_vendor_file(to_csv([ROW] * 4).encode(), "nhieu.csv")
    assert refused.value.code == "too_many_rows"


def test_header_constant_matches_the_template():
    assert list(reading.COLUMN_LABELS.values()) == HEADER


def test_other_binary_files_are_not_taken_for_a_strange_encoding():
    with pytest.raises(ImportFileError) as refused:
        read_vendor_file(b"SQLite format 3\x00" + bytes(range(256)) * 4, "data.db")
    assert refused.value.code == "unsupported_type"

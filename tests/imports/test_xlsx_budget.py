"""The XLSX budget: crafted workbooks that cost far more to open than they weigh.

Each file is written part by part with :mod:`zipfile` (raw SpreadsheetML), the way an
attacker would, so the tests say exactly what is in it. How long the refusals take and
how much memory they need is measured in ``benchmarks/bench_import_budget.py``.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

import pytest
from openpyxl.utils import get_column_letter

from market4.imports import reading
from market4.imports.reading import ImportFileError, read_vendor_file
from tests.imports.conftest import HEADER, ROW, xlsx

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
BUDGET_CODES = {
    "xlsx_bomb",
    "xlsx_too_large_inflated",
    "xlsx_strings_too_large",
    "xlsx_too_many_strings",
}


def cell(column: int, row: int, value: str) -> str:
    return (
        f'<c r="{get_column_letter(column)}{row}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    )


def sheet_xml(
    rows: list[list[str]] | None = None,
    *,
    dimension: str | None = "auto",
    extra_cells: str = "",
    padding: bytes = b"",
) -> bytes:
    """A worksheet: the header, then ``rows`` (default: one valid row), as inline strings."""
    rows = [HEADER, *(rows if rows is not None else [ROW])]
    body = []
    for number, values in enumerate(rows, start=1):
        cells = "".join(cell(i, number, v) for i, v in enumerate(values, start=1) if v)
        if number == 2:
            cells += extra_cells
        body.append(f'<row r="{number}">{cells}</row>')
    if dimension == "auto":
        dimension = f"A1:I{len(rows)}"
    dimension_xml = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{MAIN}">{dimension_xml}'
            f"<sheetData>{''.join(body)}"
        ).encode()
        + padding
        + b"</sheetData></worksheet>"
    )


def shared_strings(items: Iterable[bytes], prefix: str = "") -> Iterable[bytes]:
    """A shared-strings part written piece by piece (it may inflate to tens of MB)."""
    tag = f"{prefix}:sst xmlns:{prefix}" if prefix else "sst xmlns"
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<{tag}="{MAIN}">'.encode()
    yield from items
    yield f"</{prefix + ':' if prefix else ''}sst>".encode()


def raw_xlsx(
    sheet: bytes | None = None,
    strings: Iterable[bytes] | None = None,
    *,
    strings_part: str = "xl/sharedStrings.xml",
    extra_parts: dict[str, bytes] | None = None,
    parts_after: dict[str, bytes] | None = None,
) -> bytes:
    """A minimal workbook: content types, package and workbook relationships, one sheet,
    and optionally a shared-strings part; ``extra_parts`` adds parts or replaces them,
    ``parts_after`` adds parts after the shared strings."""
    overrides = (
        f'<Override PartName="/{strings_part}" ContentType="{SHARED_STRINGS_TYPE}"/>'
        if strings is not None
        else ""
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            f"{overrides}</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="{MAIN}" '
            f'xmlns:r="{RELATIONSHIPS}"><sheets>'
            '<sheet name="Tiểu thương" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" '
            f'Target="{strings_part.removeprefix("xl/")}"/></Relationships>'
        ),
    }
    parts["xl/worksheets/sheet1.xml"] = sheet if sheet is not None else sheet_xml()
    parts.update(extra_parts or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        if strings is not None:
            with archive.open(strings_part, "w") as part:
                for piece in strings:
                    part.write(piece)
        for name, data in (parts_after or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def distinct_strings(count: int, prefix: str = "") -> Iterable[bytes]:
    tag = f"{prefix}:si" if prefix else "si"
    text = f"{prefix}:t" if prefix else "t"
    for start in range(0, count, 10_000):
        yield "".join(
            f"<{tag}><{text}>{n}</{text}></{tag}>" for n in range(start, min(count, start + 10_000))
        ).encode()


def refusal(content: bytes) -> ImportFileError:
    with pytest.raises(ImportFileError) as refused:
        read_vendor_file(content, "tep.xlsx")
    assert refused.value.message  # a Vietnamese sentence that says what to do
    return refused.value


def declare(
    content: bytes, name: str, *, size: int | None = None, compressed: int | None = None
) -> bytes:
    """``content`` with the inflated or compressed size of ``name`` rewritten in the part's
    local header and in the central directory, as a crafted file would state them."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(name)
    assert not info.flag_bits & 0x08  # sizes in the local header, no data descriptor
    fields = [(18, 20, compressed), (22, 24, size)]  # offsets: local header, directory
    end = data.rindex(b"PK\x05\x06")
    position = struct.unpack_from("<I", data, end + 16)[0]
    while data[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        if data[position + 46 : position + 46 + name_length] == name.encode():
            for local, central, value in fields:
                if value is not None:
                    struct.pack_into("<I", data, info.header_offset + local, value)
                    struct.pack_into("<I", data, position + central, value)
        position += 46 + name_length + extra_length + comment_length
    patched = bytes(data)
    with zipfile.ZipFile(io.BytesIO(patched)) as archive:
        info = archive.getinfo(name)
        assert (size or info.file_size, compressed or info.compress_size) == (
            info.file_size,
            info.compress_size,
        )
    return patched


# --- the crafted files are real workbooks -----------------------------------------------


def test_the_crafted_workbook_is_read_like_any_other():
    content = raw_xlsx(sheet_xml(), shared_strings(distinct_strings(100)))
    sheet = read_vendor_file(content, "tep.xlsx")
    assert sheet.file_format == "xlsx"
    assert [row.values["display_name"] for row in sheet.rows] == ["Nguyễn Thị Đào"]


# --- shared strings -----------------------------------------------------------------------


def test_two_million_shared_strings_are_refused_before_openpyxl_parses_anything(monkeypatch):
    import openpyxl

    def must_not_parse(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse the file")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_parse)
    one_thousand = b"<si><t>a</t></si>" * 1_000
    content = raw_xlsx(sheet_xml(), shared_strings(one_thousand for _ in range(2_000)))
    assert len(content) < 100_000  # 34 MB of XML in a small upload
    # Several caps catch it (today the compression ratio first); any of them will do.
    assert refusal(content).code in BUDGET_CODES


def test_more_distinct_strings_than_cells_in_a_full_file_are_refused():
    # 20,000 rows x 9 columns hold at most 180,000 different texts.
    content = raw_xlsx(sheet_xml(), shared_strings(distinct_strings(200_001)))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
    # 5 MB inflated, compressed 7:1: only the count gives it away.
    assert info.file_size < 6 * 1024 * 1024
    assert info.file_size < 10 * info.compress_size
    refused = refusal(content)
    assert refused.code == "xlsx_too_many_strings"
    assert "200.000" in refused.message


@pytest.mark.parametrize("prefix", ["", "x"])
def test_strings_are_counted_exactly_across_chunk_boundaries(monkeypatch, prefix):
    monkeypatch.setattr(reading, "MAX_XLSX_SHARED_STRINGS", 1_000)
    monkeypatch.setattr(reading, "_CHUNK", 7)  # every tag is cut somewhere
    read_vendor_file(raw_xlsx(sheet_xml(), shared_strings(distinct_strings(1_000))), "a.xlsx")
    content = raw_xlsx(sheet_xml(), shared_strings(distinct_strings(1_001, prefix), prefix))
    assert refusal(content).code == "xlsx_too_many_strings"


def test_a_renamed_strings_part_is_counted_too():
    content = raw_xlsx(
        sheet_xml(), shared_strings(distinct_strings(200_001)), strings_part="xl/strings.xml"
    )
    assert refusal(content).code == "xlsx_too_many_strings"


def test_strings_in_utf16_cannot_hide_from_the_count():
    text = b"".join(shared_strings(distinct_strings(10))).decode()
    text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    content = raw_xlsx(sheet_xml(), [text.encode("utf-16")])
    assert refusal(content).code == "xlsx_unusual_encoding"


def test_shared_strings_over_their_own_cap_are_refused():
    # 90,000 strings of ~250 bytes: 24 MB, compressed 54:1, under the total cap.
    texts = (f"<si><t>{f'Nguyễn Thị Đào {n} ' * 10}</t></si>" for n in range(90_000))
    content = raw_xlsx(sheet_xml(), shared_strings(text.encode() for text in texts))
    assert len(content) < 600_000
    refused = refusal(content)
    assert refused.code == "xlsx_strings_too_large"
    assert "tối đa 20 MB" in refused.message


# --- sizes the zip declares, and sizes it really inflates to ---------------------------------


def test_a_part_that_inflates_past_its_declared_size_is_refused_while_inflating():
    # 3 MB of strings that the zip's directory says are 1,000 bytes: every declared size is
    # within the caps, so only counting the inflated bytes catches it.
    pieces = (b"<si><t>b</t></si>" * 1_000 for _ in range(180))
    content = declare(
        raw_xlsx(sheet_xml(), shared_strings(pieces)), "xl/sharedStrings.xml", size=1_000
    )
    assert refusal(content).code == "xlsx_bomb"


def test_a_part_that_overstates_its_compressed_size_is_measured_as_it_inflates():
    # 2.6 MB of strings in 6 KB, "compressed to 500 KB" by the directory: the bytes after
    # the stream (another part) make the declared size plausible, and zipfile ignores them.
    pieces = (b"<si><t>a</t></si>" * 1_000 for _ in range(150))
    padding = {"customXml/item1.bin": random.Random(1).randbytes(600_000)}
    content = raw_xlsx(sheet_xml(), shared_strings(pieces), parts_after=padding)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
    assert info.file_size > 300 * info.compress_size
    content = declare(content, "xl/sharedStrings.xml", compressed=info.compress_size + 500_000)
    assert refusal(content).code == "xlsx_bomb"


def test_total_inflated_size_over_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_XLSX_UNCOMPRESSED", 1024 * 1024)
    rows = [[f"CD-{n}", f"Sạp {n}", f"Người {n}", f"09{n:08d}"] for n in range(10_000)]
    refused = refusal(raw_xlsx(sheet_xml(rows)))
    assert refused.code == "xlsx_too_large_inflated"
    assert "tối đa 1 MB" in refused.message


def test_a_part_compressed_beyond_what_real_data_allows_is_refused():
    # 4 MB of blanks between two rows: valid XML that openpyxl would happily read.
    content = raw_xlsx(sheet_xml(padding=b" " * (4 * 1024 * 1024)))
    assert len(content) < 20_000
    assert refusal(content).code == "xlsx_bomb"


def test_too_many_parts_are_refused():
    extra = {f"customXml/item{n}.xml": b"<a/>" for n in range(100)}  # 105 parts in all
    assert refusal(raw_xlsx(extra_parts=extra)).code == "xlsx_too_many_parts"


def test_other_compression_methods_are_refused_as_damaged():
    buffer = io.BytesIO()
    content = raw_xlsx()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_LZMA) as target,
    ):
        for name in source.namelist():
            target.writestr(name, source.read(name))
    assert refusal(buffer.getvalue()).code == "damaged_xlsx"


# --- parts openpyxl reads whole -------------------------------------------------------------


def workbook_xml(sheets: int = 1, names: int = 0) -> str:
    entries = "".join(
        f'<sheet name="Trang {n}" sheetId="{n + 1}" r:id="rId1"/>' for n in range(sheets)
    )
    defined = "".join(
        f"<definedName name=\"vung{n}\">'Trang 0'!$A${n % 9000 + 1}</definedName>"
        for n in range(names)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="{MAIN}" '
        f'xmlns:r="{RELATIONSHIPS}"><sheets>{entries}</sheets>'
        f"{f'<definedNames>{defined}</definedNames>' if names else ''}</workbook>"
    )


def test_more_cell_formats_than_excel_allows_are_refused():
    # Excel stops at 64,000 cell formats; openpyxl builds an object for each one.
    formats = "".join(f'<xf numFmtId="{n % 164}" fontId="0" xfId="0"/>' for n in range(150_000))
    styles = (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        f'<cellXfs count="150000">{formats}</cellXfs></styleSheet>'
    )
    content = raw_xlsx(extra_parts={"xl/styles.xml": styles})
    assert len(content) < 200_000
    assert refusal(content).code == "xlsx_structure_too_large"


def test_a_workbook_with_thousands_of_defined_names_is_refused():
    content = raw_xlsx(extra_parts={"xl/workbook.xml": workbook_xml(names=100_000)})
    assert len(content) < 600_000
    assert refusal(content).code == "xlsx_structure_too_large"


def test_a_workbook_listing_too_many_sheets_is_refused():
    # Every entry names the same sheet part: openpyxl would read it once per entry.
    content = raw_xlsx(extra_parts={"xl/workbook.xml": workbook_xml(sheets=101)})
    assert refusal(content).code == "xlsx_too_many_sheets"
    a_few = raw_xlsx(extra_parts={"xl/workbook.xml": workbook_xml(sheets=3)})
    assert len(read_vendor_file(a_few, "a.xlsx").rows) == 1


def test_a_workbook_with_a_chart_sheet_is_still_read():
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(ROW)
    sheet.append([*ROW[:3], "0912345679", "", "1903123456780", "", "", ""])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    workbook.create_chartsheet("Biểu đồ").add_chart(chart)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert any(name.startswith("xl/chartsheets/") for name in archive.namelist())
    assert len(read_vendor_file(buffer.getvalue(), "bieu-do.xlsx").rows) == 2


# --- columns and the clock ------------------------------------------------------------------


@pytest.mark.parametrize("dimension", ["auto", None])
def test_a_sheet_16000_columns_wide_is_refused(dimension):
    far = "".join(f'<c r="{get_column_letter(n)}2"><v>{n}</v></c>' for n in range(10, 16_001))
    if dimension == "auto":
        dimension = f"A1:{get_column_letter(16_000)}2"
    refused = refusal(raw_xlsx(sheet_xml(dimension=dimension, extra_cells=far)))
    assert refused.code == "xlsx_too_many_columns"


def test_a_few_notes_columns_beside_the_template_are_fine():
    notes = cell(reading.MAX_COLUMNS, 2, "ghi chú")
    sheet = read_vendor_file(raw_xlsx(sheet_xml(dimension=None, extra_cells=notes)), "a.xlsx")
    assert len(sheet.rows) == 1


def test_reading_stops_at_the_deadline(monkeypatch):
    monkeypatch.setattr(reading, "XLSX_DEADLINE_SECONDS", 0)
    refused = refusal(xlsx([ROW]))
    assert refused.code == "xlsx_too_slow"


def test_the_clock_is_checked_while_the_rows_are_read(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(reading.time, "monotonic", lambda: now[0])
    build = reading._build

    def slow_rows(rows, file_format, typed, **layout):
        now[0] = 1_000.0  # the file passed every check; then the rows take too long
        return build(rows, file_format, typed, **layout)

    monkeypatch.setattr(reading, "_build", slow_rows)
    assert refusal(xlsx([ROW])).code == "xlsx_too_slow"


# --- real files are not affected -------------------------------------------------------------


def test_a_full_generated_workbook_of_max_rows_is_accepted():
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Tiểu thương")
    sheet.append(HEADER)
    for n in range(reading.MAX_ROWS):
        sheet.append(
            [
                "CD-NGAIGIAO",
                f"Sạp {n + 1}",
                f"Nguyễn Thị Đào {n}",
                f"09{n:08d}",
                "",
                f"19030{n:08d}",
                "",
                "Rau củ",
                f"AGR-{n:06d}",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet_data = read_vendor_file(buffer.getvalue(), "day-du.xlsx")
    assert len(sheet_data.rows) == reading.MAX_ROWS
    assert sheet_data.rows[-1].values["partner_reference"] == f"AGR-{reading.MAX_ROWS - 1:06d}"


def test_the_downloadable_template_filled_in_is_accepted():
    from openpyxl import load_workbook

    from market4.imports.template import template_xlsx

    workbook = load_workbook(io.BytesIO(template_xlsx()))
    for row in range(2, 12):
        for column, value in enumerate(ROW, start=1):
            workbook.active.cell(row=row, column=column, value=value or None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = read_vendor_file(buffer.getvalue(), "mau.xlsx")
    assert len(sheet.rows) == 10
    assert sheet.ignored_headers == ()

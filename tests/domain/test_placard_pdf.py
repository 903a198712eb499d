"""PDF placards: Vietnamese text, embedded fonts, vector QR, cover page, account display, preview."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from market4.domain.placard_layout import (
    CALL_TO_ACTION,
    PAYMENT_MARK,
    PREVIEW_MARK,
    PREVIEW_NOTE,
    PlacardLayoutError,
    group_account_number,
    mask_account_number,
)
from market4.domain.placard_sheets import render_placard, render_placards

VIETNAMESE = dict(
    vendor_display_name="Nguyễn Thị Bích Thủy",
    market_name="Chợ Ngãi Giao",
    stall_code="Ki-ốt 12",
    zone="Khu Đông",
    row="Dãy 3",
    goods_category="Thủy hải sản",
)


def _fonts(pdf: bytes) -> dict[str, dict]:
    """Every font reachable from any page, including inside form XObjects."""
    found: dict[str, dict] = {}

    def walk(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            found[str(font["/BaseFont"])] = font
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            assert xobject["/Subtype"] != "/Image", "the PDF must not contain raster images"
            walk(xobject.get("/Resources"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        walk(page.get("/Resources"))
    return found


@pytest.mark.parametrize("layout", ["a6", "a5", "a4", "a4x2", "a4x4"])
def test_vietnamese_text_round_trips(make_spec, pdf_text, layout):
    pdf = render_placards([make_spec(0, **VIETNAMESE)], layout=layout)
    [text] = pdf_text(pdf)
    for value in VIETNAMESE.values():
        assert value in text
    assert "Quét mã VietQR để thanh toán" in text
    assert "VietQR · NAPAS 247" in text
    assert "Kiểm tra tên người nhận" in text and "trước khi chuyển tiền" in text
    assert "NGUYEN THI BICH THUY" in text
    assert "STK 1012 3456 78" in text  # the full number, grouped in fours
    assert "\ufffd" not in text
    assert "In ngày 23/11/2026" in text and "P-000001" in text and "Phiên bản 1" in text
    assert PREVIEW_MARK not in text


def test_nfd_input_prints_as_nfc(make_spec, pdf_text):
    nfd = {key: unicodedata.normalize("NFD", value) for key, value in VIETNAMESE.items()}
    assert nfd["vendor_display_name"] != VIETNAMESE["vendor_display_name"]
    [text] = pdf_text(render_placard(make_spec(0, **nfd)))
    assert VIETNAMESE["vendor_display_name"] in text
    assert VIETNAMESE["stall_code"] in text
    assert unicodedata.normalize("NFC", text) == text


def test_every_font_is_embedded_truetype_and_none_is_helvetica(make_spec):
    pdf = render_placards(
        [make_spec(i, **VIETNAMESE) for i in range(5)], layout="a4x4", cover_page=True
    )
    fonts = _fonts(pdf)
    assert fonts, "expected embedded fonts"
    for name, font in fonts.items():
        assert "Helvetica" not in name
        assert font["/Subtype"] == "/TrueType"
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), f"{name} is not embedded"
    assert b"Helvetica" not in pdf


def test_qr_is_vector_and_file_is_small(make_spec):
    pdf = render_placards([make_spec(i) for i in range(8)], layout="a4x4")
    _fonts(pdf)  # asserts there is no image XObject anywhere
    assert not re.search(rb"/Subtype\s*/Image", pdf)
    assert len(pdf) < 80_000  # fonts dominate; each extra placard costs ~1 kB


def test_sheet_page_count_and_metadata(make_spec):
    reader = PdfReader(
        io.BytesIO(
            render_placards(
                [make_spec(i) for i in range(10)], layout="a4x4", title="Chợ Ngãi Giao – đợt 1"
            )
        )
    )
    assert len(reader.pages) == 3
    assert reader.metadata.title == "Chợ Ngãi Giao – đợt 1"
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait
    landscape = (
        PdfReader(io.BytesIO(render_placards([make_spec(0)], layout="a4x2"))).pages[0].mediabox
    )
    assert round(float(landscape.width)) == 842


@pytest.mark.parametrize("account_display", ["full", "masked"])
def test_cover_page_lists_every_stall(make_spec, pdf_text, account_display):
    specs = [make_spec(i) for i in range(6)] + [
        make_spec(6, vendor_display_name="Trần Văn Đức", stall_code="Ki-ốt 12")
    ]
    pages = pdf_text(
        render_placards(specs, layout="a4x4", cover_page=True, account_display=account_display)
    )
    assert len(pages) == 1 + 2
    cover = pages[0]
    assert "Chợ Ngãi Giao" in cover and "In ngày 23/11/2026" in cover
    assert "7 bảng" in cover and "2 tờ" in cover
    assert "Ký nhận khi dán" in cover
    for spec in specs:
        assert spec.stall_code in cover
        assert spec.vendor_display_name in cover
        assert spec.bank_short_name in cover
        assert "•" + spec.account_number[-4:] in cover
        # The list gathers every vendor's bank details: tails only, in either display.
        assert (
            spec.account_number not in cover
            and group_account_number(spec.account_number) not in cover
        )
    sheets = "".join(pages[1:])
    for spec in specs:
        assert spec.account_number not in sheets  # never ungrouped
        shown = "STK " + group_account_number(spec.account_number)
        assert (shown in sheets) == (account_display == "full")
    if account_display == "full":
        assert "số tài khoản in đủ trên bảng" in cover
    else:
        assert "4 số cuối tài khoản" in cover


def test_long_cover_runs_over_several_pages(make_spec, pdf_text):
    specs = [make_spec(i) for i in range(95)]
    pages = pdf_text(render_placards(specs, layout="a4x4", cover_page=True))
    sheets = 24
    cover_pages = len(pages) - sheets
    assert cover_pages == 3
    listed = "".join(pages[:cover_pages])
    assert all(f"Sạp {i + 1}" in listed for i in range(95))
    assert "Danh sách trang 3/3" in pages[cover_pages - 1]
    assert "1.420" not in listed and "95 bảng" in listed


@pytest.mark.parametrize("digits", [0, 2, 4, 6])
def test_masking_is_a_render_option(make_spec, pdf_text, digits):
    spec = make_spec(3)
    [text] = pdf_text(render_placard(spec, account_display="masked", unmasked_digits=digits))
    assert "STK " + mask_account_number(spec.account_number, digits) in text
    assert spec.account_number not in text and group_account_number(spec.account_number) not in text
    assert spec.account_number[:4] not in text.replace("23/11/2026", "")  # no leading group either
    assert PAYMENT_MARK in text
    if digits == 0:
        assert spec.account_number[-4:] not in text


@pytest.mark.parametrize("layout", ["a6", "a5", "a4", "a4x2", "a4x4"])
@pytest.mark.parametrize(
    "account", ["1234567890123456789", "99ZP24009M07248267X", "9704123456789012345"]
)
def test_full_19_character_number_is_printed_whole(make_spec, pdf_text, layout, account):
    """The full number, grouped, with the bank name beside it (the QR carries the same number)."""
    spec = make_spec(0, account_number=account, bank_short_name="Techcombank")
    [text] = pdf_text(render_placards([spec], layout=layout))
    assert "STK " + group_account_number(account) in text
    assert "Techcombank" in text


def test_long_texts_shrink_instead_of_overflowing(make_spec, pdf_text):
    spec = make_spec(
        0,
        stall_code="Quầy hàng số 1234567 khu chợ mới mở rộng phía đông",
        vendor_display_name="Công ty TNHH Thương mại Dịch vụ Hoàng Long Phát Đạt Thịnh Vượng",
        holder_name="CONG TY TNHH THUONG MAI DICH VU HOANG LONG PHAT DAT THINH VUONG",
    )
    [text] = pdf_text(render_placard(spec, layout="a6"))
    assert spec.stall_code in text and spec.vendor_display_name in text and spec.holder_name in text


@pytest.mark.parametrize("preview", [False, True])
def test_invariant_output_is_reproducible(make_spec, preview):
    specs = [make_spec(i) for i in range(3)]
    first = render_placards(specs, layout="a4x4", cover_page=True, invariant=True, preview=preview)
    assert first == render_placards(
        specs, layout="a4x4", cover_page=True, invariant=True, preview=preview
    )


# ---------------------------------------------------------------- preview


@pytest.mark.parametrize("layout", ["a6", "a4x4"])
def test_preview_is_marked_and_invites_no_payment(make_spec, pdf_text, layout):
    specs = [make_spec(i) for i in range(2)]
    pdf = render_placards(specs, layout=layout, preview=True)
    texts = pdf_text(pdf)
    for text in texts:
        assert PREVIEW_MARK in text
        assert PREVIEW_NOTE in text  # beside the QR, where the call to action would be
        assert CALL_TO_ACTION not in text
        assert "Mã bảng MẪU" in text
        assert "Phiên bản" not in text
        assert PAYMENT_MARK in text  # the layout is the real one otherwise
    joined = "".join(texts)
    for spec in specs:
        assert spec.serial not in joined
        assert (
            spec.holder_name in joined
            and "STK " + group_account_number(spec.account_number) in joined
        )
    assert PdfReader(io.BytesIO(pdf)).metadata.title.startswith("MẪU – ")


def test_preview_needs_no_serial_version_or_payload(make_spec, pdf_text):
    """A sample for a vendor not yet registered: serial, version and payload are ignored."""
    spec = make_spec(0, serial="", version=0, payload="", account_number="0011012345678")
    [text] = pdf_text(render_placard(spec, preview=True))
    assert "Mã bảng MẪU" in text and "STK 0011 0123 4567 8" in text
    with_cover = pdf_text(render_placards([spec], layout="a4x4", preview=True, cover_page=True))
    assert with_cover[0].startswith(PREVIEW_NOTE)
    with pytest.raises(ValueError):  # not a preview: an empty payload cannot be printed
        render_placard(spec)


def test_preview_honours_masking(make_spec, pdf_text):
    spec = make_spec(5)
    [text] = pdf_text(render_placard(spec, preview=True, account_display="masked"))
    assert "STK " + mask_account_number(spec.account_number) in text and PREVIEW_MARK in text


def test_refuses_tiny_modules_naming_the_stall(make_spec, vietqr):
    spec = make_spec(0, payload=vietqr(templates=7), stall_code="Sạp 77", serial="P-000077")
    with pytest.raises(
        PlacardLayoutError, match=r"placard P-000077 \(Sạp 77\): QR modules would be 0\.\d+ mm"
    ):
        render_placards([spec], layout="a4x4", ec_level="H")
    assert render_placards([spec], layout="a5", ec_level="H").startswith(b"%PDF")


def test_argument_errors(make_spec):
    with pytest.raises(ValueError, match="no placards"):
        render_placards([])
    with pytest.raises(PlacardLayoutError, match="multi-up"):
        render_placard(make_spec(0), layout="a4x4")
    with pytest.raises(PlacardLayoutError, match="unknown layout"):
        render_placards([make_spec(0)], layout="letter")
    with pytest.raises(PlacardLayoutError, match="EC level 'L' is not allowed"):
        render_placards([make_spec(0)], ec_level="L")
    with pytest.raises(ValueError, match="unmasked_digits"):
        render_placards([make_spec(0)], unmasked_digits=-1)
    with pytest.raises(PlacardLayoutError, match="unknown account display 'partial'"):
        render_placards([make_spec(0)], account_display="partial")
    with pytest.raises(PlacardLayoutError, match="unknown account display"):
        render_placard(make_spec(0), account_display="masked ")

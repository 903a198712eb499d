"""Print-and-scan: rasterise the PDFs like a printer would and decode every QR.

pdftoppm (poppler) renders at 300 dpi (office laser) and 150 dpi (a cheap
inkjet draft, or a phone photo of a sheet); zxing-cpp must read back exactly
the payloads placed on each page, in reading order.
"""

from __future__ import annotations

import pytest

from market4.domain.placard_layout import LAYOUTS, geometry_for_layout, placard_origins
from market4.domain.placard_sheets import render_placards


@pytest.mark.parametrize("dpi", [300, 150])
@pytest.mark.parametrize("layout, count", [("a4x4", 10), ("a4x2", 5), ("a6", 2), ("a5", 2), ("a4", 2)])
def test_every_qr_scans_back_on_its_page(make_spec, rasterise, decode_qr, layout, count, dpi):
    specs = [make_spec(i) for i in range(count)]
    assert len({spec.payload for spec in specs}) == count
    pages = rasterise(render_placards(specs, layout=layout), dpi)
    per_page = LAYOUTS[layout].columns * LAYOUTS[layout].rows
    assert len(pages) == -(-count // per_page)
    for number, page in enumerate(pages):
        expected = [spec.payload for spec in specs[number * per_page:(number + 1) * per_page]]
        assert decode_qr(page) == expected, f"page {number + 1} of {layout} at {dpi} dpi"


def test_cover_page_has_no_qr_and_sheets_follow(make_spec, rasterise, decode_qr):
    specs = [make_spec(i) for i in range(5)]
    cover, first, second = rasterise(render_placards(specs, layout="a4x4", cover_page=True), 150)
    assert decode_qr(cover) == []
    assert decode_qr(first) == [spec.payload for spec in specs[:4]]
    assert decode_qr(second) == [specs[4].payload]


@pytest.mark.parametrize("ec_level", ["Q", "H"])
def test_higher_error_correction_scans_on_a6(make_spec, rasterise, decode_qr, ec_level):
    [page] = rasterise(render_placards([make_spec(7)], layout="a6", ec_level=ec_level), 150)
    assert decode_qr(page) == [make_spec(7).payload]


@pytest.mark.parametrize("layout", ["a4x4", "a6"])
def test_quiet_zone_is_white_in_the_raster(make_spec, rasterise, layout):
    """The 4-module border inside each QR box is untouched paper; the symbol is not."""
    dpi = 300
    specs = [make_spec(i) for i in range(4)]
    [page] = rasterise(render_placards(specs[:len(placard_origins(layout))], layout=layout), dpi)
    page_h_pt = LAYOUTS[layout].page_size[1]
    qx, qy, side = geometry_for_layout(layout).qr_box
    px = dpi / 72
    for origin_x, origin_y in placard_origins(layout):
        left, right = (origin_x + qx) * px, (origin_x + qx + side) * px
        top, bottom = (page_h_pt - origin_y - qy - side) * px, (page_h_pt - origin_y - qy) * px
        module = (right - left) / (33 + 8)  # version 4 at EC M for these payloads
        assert module * 25.4 / dpi > 1.4  # mm
        border = 4 * module - 2  # 1 px of anti-aliasing slack at the symbol edge
        strips = [
            (left, top, right, top + border), (left, bottom - border, right, bottom),
            (left, top, left + border, bottom), (right - border, top, right, bottom),
        ]
        for x0, y0, x1, y1 in strips:
            region = page.crop((round(x0) + 1, round(y0) + 1, round(x1) - 1, round(y1) - 1))
            assert region.getextrema()[0] >= 250, f"ink in the quiet zone of a {layout} placard"
        symbol = page.crop((round(left + 4 * module), round(top + 4 * module),
                            round(right - 4 * module), round(bottom - 4 * module)))
        assert symbol.getextrema()[0] < 10

"""Pure placard helpers: masking, dates, natural stall order, QR sizing, geometry."""

from __future__ import annotations

import random
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reportlab.lib.units import mm

from market4.domain import fonts
from market4.domain.fonts import wrap_two_lines
from market4.domain.placard_layout import (
    LAYOUTS,
    MIN_MODULE_MM,
    PlacardLayoutError,
    account_tail,
    format_date_vn,
    geometry_for_layout,
    mask_account_number,
    placard_origins,
    placard_size,
    plan_qr,
    stall_sort_key,
    warning_text,
    warning_units,
)

# ---------------------------------------------------------------- masking

@pytest.mark.parametrize("account, digits, expected", [
    ("0011012345678", 4, "• •••• •••• 5678"),
    ("1012345678", 4, "•• •••• 5678"),
    ("1012345678", 2, "•••• •••• 78"),
    ("1012345678", 0, "•• •••• ••••"),
    ("1012345678", 6, "• •••• 45678"),  # capped at half the length
    ("00110123456789", 6, "•••• •••• 456789"),
    ("99ZP24009M07248267", 4, "•• •••• •••• •••• 8267"),  # alias accounts may hold letters
    ("123456", 4, "••• 456"),  # never more than half of a short number
    (" 1012 345 678 ", 4, "•• •••• 5678"),
])
def test_mask_account_number(account, digits, expected):
    assert mask_account_number(account, digits) == expected


def test_mask_rejects_negative_digits():
    with pytest.raises(ValueError):
        mask_account_number("1012345678", -1)


@given(st.text(alphabet="0123456789ABCDEFZ", min_size=6, max_size=19), st.integers(0, 19))
def test_mask_never_reveals_the_whole_number(account, digits):
    masked = mask_account_number(account, digits)
    visible = masked.replace(" ", "").replace("•", "")
    assert len(masked.replace(" ", "")) == len(account)
    assert len(visible) <= len(account) // 2
    assert account.endswith(visible)


@pytest.mark.parametrize("digits, expected", [(4, "•5678"), (2, "•78"), (0, "•"), (9, "•5678")])
def test_account_tail(digits, expected):
    assert account_tail("1012345678", digits) == expected


def test_format_date_vn():
    assert format_date_vn(date(2026, 3, 5)) == "05/03/2026"
    assert format_date_vn(date(2026, 11, 23)) == "23/11/2026"


def test_warning_keeps_the_name_in_one_unit():
    units = warning_units("NGUYEN THI DAO")
    assert "NGUYEN THI DAO" in units
    assert warning_text("NGUYEN THI DAO") == "Kiểm tra tên người nhận NGUYEN THI DAO trước khi chuyển tiền"


# ---------------------------------------------------------------- stall order

def test_stall_sort_key_is_natural():
    codes = ["Sạp 10", "Sạp 2", "Sạp 1", "Sạp 02", "sạp 3", "Ki-ốt 12", "Ki-ốt 9", "Sap 2A"]
    ordered = sorted(codes, key=lambda code: stall_sort_key(None, None, code))
    assert ordered == ["Ki-ốt 9", "Ki-ốt 12", "Sạp 1", "Sạp 02", "Sạp 2", "Sap 2A", "sạp 3", "Sạp 10"]


def test_zone_then_row_then_stall():
    stalls = [("Khu B", "Dãy 1", "Sạp 1"), ("Khu A", "Dãy 10", "Sạp 1"), ("Khu A", "Dãy 2", "Sạp 10"),
              ("Khu A", "Dãy 2", "Sạp 9"), (None, None, "Sạp 5"), ("Khu A", None, "Sạp 7")]
    ordered = sorted(stalls, key=lambda s: stall_sort_key(*s))
    assert ordered == [(None, None, "Sạp 5"), ("Khu A", None, "Sạp 7"), ("Khu A", "Dãy 2", "Sạp 9"),
                       ("Khu A", "Dãy 2", "Sạp 10"), ("Khu A", "Dãy 10", "Sạp 1"), ("Khu B", "Dãy 1", "Sạp 1")]


def test_sort_key_ignores_normalisation_form_and_case():
    nfd = unicodedata.normalize("NFD", "Khu Đông")
    assert stall_sort_key(nfd, None, "Sạp 1") == stall_sort_key("Khu Đông", None, "Sạp 1")
    assert stall_sort_key("khu a", None, "x")[0][0] == stall_sort_key("KHU A", None, "x")[0][0]


def test_diacritics_only_break_ties():
    # "Ấp" sorts with the A's, not after "Z" as a raw code-point sort would put it.
    codes = ["Z 1", "Ấp 1", "B 1"]
    assert sorted(codes, key=lambda c: stall_sort_key(None, None, c)) == ["Ấp 1", "B 1", "Z 1"]


@given(st.lists(st.tuples(st.none() | st.text(max_size=8), st.none() | st.text(max_size=8), st.text(max_size=8)),
                max_size=12))
def test_sort_key_is_total_on_arbitrary_text(stalls):
    # Mixed digit/text chunks must never compare a str with an int (TypeError).
    keys = [stall_sort_key(*stall) for stall in stalls]
    shuffled = keys[:]
    random.Random(0).shuffle(shuffled)
    assert sorted(shuffled) == sorted(keys)


# ---------------------------------------------------------------- QR sizing

def test_plan_for_a_static_payload(canonical_payload):
    plan = plan_qr(canonical_payload, "a6", "M")
    assert (plan.version, plan.modules, plan.quiet_zone_modules) == (4, 33, 4)
    assert plan.module_mm > 1.4  # 63 mm box / 41 modules
    assert plan.symbol_mm == pytest.approx(plan.module_mm * 41)
    assert plan_qr(canonical_payload, "a4", "M").module_mm > 2 * plan.module_mm * 0.95


def test_module_guard_refuses_long_payload_at_h_on_a6(vietqr):
    payload = vietqr(templates=7)  # 580 characters with seven unreserved templates
    assert len(payload) > 500
    with pytest.raises(PlacardLayoutError) as refused:
        plan_qr(payload, "a6", "H")
    message = str(refused.value)
    assert "(< 0.5 mm minimum) on a6 at EC level H" in message
    assert "choose a larger layout or lower error correction" in message
    # The same payload is fine at level M on A6, or at level H on A5.
    assert plan_qr(payload, "a6", "M").module_mm >= MIN_MODULE_MM
    assert plan_qr(payload, "a5", "H").module_mm >= MIN_MODULE_MM


def test_unknown_layout():
    with pytest.raises(PlacardLayoutError, match="unknown layout 'a3'"):
        plan_qr("X", "a3")


# ---------------------------------------------------------------- geometry

@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_nothing_is_laid_out_over_the_qr_box(layout):
    """The quiet zone lives inside qr_box, so no text slot or box may touch it."""
    g = geometry_for_layout(layout)
    qx, qy, side = g.qr_box
    assert g.frame_inset < qx and qx + side < g.width - g.frame_inset
    assert side >= 55 * mm * min(g.scale, 1)  # the QR dominates the placard
    for name, slot in g.slots.items():
        text_bottom, text_top = slot.y - 0.3 * slot.size, slot.y + 1.1 * slot.size  # descenders, diacritics
        assert text_top <= qy or text_bottom >= qy + side, f"{name} overlaps the QR box on {layout}"
    bx, by, bw, bh = g.recipient_box
    assert by + bh <= qy
    hx, hy, hw, hh = g.header_box
    assert hy >= qy + side


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_placards_tile_the_page_inside_the_margins(layout):
    sheet = LAYOUTS[layout]
    width, height = placard_size(layout)
    origins = placard_origins(layout)
    assert len(origins) == sheet.columns * sheet.rows
    page_w, page_h = sheet.page_size
    for x, y in origins:
        assert sheet.margin - 1e-6 <= x and x + width <= page_w - sheet.margin + 1e-6
        assert sheet.margin - 1e-6 <= y and y + height <= page_h - sheet.margin + 1e-6
    assert origins[0][1] >= origins[-1][1]  # fill order starts at the top


def test_wrap_two_lines_is_balanced_and_keeps_units():
    fonts.register_pdf_fonts()
    units = warning_units("NGUYEN THI BICH THUY")
    lines, size = wrap_two_lines(units, fonts.SEMIBOLD, 7.5, 60 * mm)
    assert len(lines) == 2 and size == 7.5
    assert "NGUYEN THI BICH THUY" in lines[0] or "NGUYEN THI BICH THUY" in lines[1]
    assert " ".join(lines) == warning_text("NGUYEN THI BICH THUY")
    one, _ = wrap_two_lines(["ngắn"], fonts.SEMIBOLD, 7.5, 60 * mm)
    assert one == ["ngắn"]
    _, shrunk = wrap_two_lines(["X" * 40, "Y" * 40], fonts.SEMIBOLD, 7.5, 60 * mm)
    assert shrunk < 7.5
    assert fonts.text_width("X" * 40, fonts.SEMIBOLD, shrunk) <= 60 * mm + 1e-6

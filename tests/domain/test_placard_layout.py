"""Pure placard helpers: account display, dates, natural stall order, QR sizing, geometry."""

from __future__ import annotations

import random
import unicodedata
from datetime import date

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from reportlab.lib.units import mm

from market4.domain import fonts
from market4.domain.fonts import wrap_two_lines
from market4.domain.placard_layout import (
    LAYOUTS,
    MIN_MODULE_MM,
    PAYMENT_MARK,
    PREVIEW_QR_TEXT,
    PRINT_EC_LEVEL,
    PlacardLayoutError,
    account_tail,
    check_account_display,
    display_account_number,
    format_date_vn,
    geometry_for_layout,
    group_account_number,
    mask_account_number,
    placard_origins,
    placard_qr_matrix,
    placard_size,
    plan_qr,
    preview_matrix,
    split_account_row,
    stall_sort_key,
    warning_text,
    warning_units,
)
from market4.domain.qr_matrix import DEFAULT_EC_LEVEL, encode_qr
from market4.domain.vietqr import SERVICE_CARD, Transfer, VietQRError, decode, encode

# The longest payloads a placard carries: static, no amount or purpose, with
# the longest account (19 characters; letters make zint switch to byte mode)
# or a 19-digit card.
LONGEST_PAYLOADS = {
    "19-character alias account": encode(Transfer(bin="970454", account="99ZP24009M07248267X")),
    "19-digit account": encode(Transfer(bin="970436", account="1234567890123456789")),
    "19-digit card": encode(
        Transfer(bin="970436", account="9704123456789012345", service=SERVICE_CARD)
    ),
}

# ---------------------------------------------------------------- masking


@pytest.mark.parametrize(
    "account, digits, expected",
    [
        ("0011012345678", 4, "• •••• •••• 5678"),
        ("1012345678", 4, "•• •••• 5678"),
        ("1012345678", 2, "•••• •••• 78"),
        ("1012345678", 0, "•• •••• ••••"),
        ("1012345678", 6, "• •••• 45678"),  # capped at half the length
        ("00110123456789", 6, "•••• •••• 456789"),
        ("99ZP24009M07248267", 4, "•• •••• •••• •••• 8267"),  # alias accounts may hold letters
        ("123456", 4, "••• 456"),  # never more than half of a short number
        (" 1012 345 678 ", 4, "•• •••• 5678"),
    ],
)
def test_mask_account_number(account, digits, expected):
    assert mask_account_number(account, digits) == expected


@pytest.mark.parametrize(
    "account, expected",
    [
        ("0011012345678", "0011 0123 4567 8"),
        ("1012345678", "1012 3456 78"),
        ("9704123456789012", "9704 1234 5678 9012"),  # 16-digit card
        ("9704123456789012345", "9704 1234 5678 9012 345"),  # 19-digit card
        ("99ZP24009M07248267", "99ZP 2400 9M07 2482 67"),  # alias accounts may hold letters
        (" 0011 012 345678 ", "0011 0123 4567 8"),  # spacing from the registry is not kept
        ("1234", "1234"),
        ("", ""),
    ],
)
def test_group_account_number(account, expected):
    assert group_account_number(account) == expected


@given(st.text(alphabet="0123456789ABCDEFZ ", max_size=24))
def test_grouping_keeps_every_character_in_fours_from_the_left(account):
    grouped = group_account_number(account)
    groups = grouped.split(" ") if grouped else []
    assert "".join(groups) == account.replace(" ", "")
    assert all(len(group) == 4 for group in groups[:-1]) and all(
        1 <= len(group) <= 4 for group in groups
    )


def test_display_account_number_full_by_default_masked_on_request():
    assert display_account_number("0011012345678") == "0011 0123 4567 8"
    assert (
        display_account_number("0011012345678", "full", 0) == "0011 0123 4567 8"
    )  # digits: masked only
    assert display_account_number("0011012345678", "masked") == "• •••• •••• 5678"
    assert display_account_number("0011012345678", "masked", 2) == mask_account_number(
        "0011012345678", 2
    )
    assert check_account_display("masked") == "masked"
    with pytest.raises(PlacardLayoutError, match="unknown account display 'last4'"):
        display_account_number("0011012345678", "last4")


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
    assert (
        warning_text("NGUYEN THI DAO")
        == "Kiểm tra tên người nhận NGUYEN THI DAO trước khi chuyển tiền"
    )


# ---------------------------------------------------------------- stall order


def test_stall_sort_key_is_natural():
    codes = ["Sạp 10", "Sạp 2", "Sạp 1", "Sạp 02", "sạp 3", "Ki-ốt 12", "Ki-ốt 9", "Sap 2A"]
    ordered = sorted(codes, key=lambda code: stall_sort_key(None, None, code))
    assert ordered == [
        "Ki-ốt 9",
        "Ki-ốt 12",
        "Sạp 1",
        "Sạp 02",
        "Sạp 2",
        "Sap 2A",
        "sạp 3",
        "Sạp 10",
    ]


def test_zone_then_row_then_stall():
    stalls = [
        ("Khu B", "Dãy 1", "Sạp 1"),
        ("Khu A", "Dãy 10", "Sạp 1"),
        ("Khu A", "Dãy 2", "Sạp 10"),
        ("Khu A", "Dãy 2", "Sạp 9"),
        (None, None, "Sạp 5"),
        ("Khu A", None, "Sạp 7"),
    ]
    ordered = sorted(stalls, key=lambda s: stall_sort_key(*s))
    assert ordered == [
        (None, None, "Sạp 5"),
        ("Khu A", None, "Sạp 7"),
        ("Khu A", "Dãy 2", "Sạp 9"),
        ("Khu A", "Dãy 2", "Sạp 10"),
        ("Khu A", "Dãy 10", "Sạp 1"),
        ("Khu B", "Dãy 1", "Sạp 1"),
    ]


def test_sort_key_ignores_normalisation_form_and_case():
    nfd = unicodedata.normalize("NFD", "Khu Đông")
    assert stall_sort_key(nfd, None, "Sạp 1") == stall_sort_key("Khu Đông", None, "Sạp 1")
    assert stall_sort_key("khu a", None, "x")[0][0] == stall_sort_key("KHU A", None, "x")[0][0]


def test_diacritics_only_break_ties():
    # "Ấp" sorts with the A's, not after "Z" as a raw code-point sort would put it.
    codes = ["Z 1", "Ấp 1", "B 1"]
    assert sorted(codes, key=lambda c: stall_sort_key(None, None, c)) == ["Ấp 1", "B 1", "Z 1"]


@given(
    st.lists(
        st.tuples(
            st.none() | st.text(max_size=8), st.none() | st.text(max_size=8), st.text(max_size=8)
        ),
        max_size=12,
    )
)
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


def test_placards_default_to_ec_q_and_the_encoder_stays_at_m(canonical_payload):
    assert PRINT_EC_LEVEL == "Q" and DEFAULT_EC_LEVEL == "M"
    plan = plan_qr(canonical_payload, "a6")
    assert (plan.ec_level, plan.version, plan.modules) == ("Q", 5, 37)
    assert encode_qr(canonical_payload).ec_level == "M"


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("kind", list(LONGEST_PAYLOADS))
def test_every_layout_prints_the_longest_placard_payload_at_q(layout, kind):
    payload = LONGEST_PAYLOADS[kind]
    plan = plan_qr(payload, layout, "Q")
    assert plan.module_mm >= MIN_MODULE_MM
    assert plan.module_mm > 1.15  # version 6 at most: 49 modules with the quiet zone in >= 62 mm
    assert plan_qr(payload, layout, "M").module_mm >= plan.module_mm  # M and H stay selectable
    assert plan_qr(payload, layout, "H").module_mm >= MIN_MODULE_MM


@pytest.mark.parametrize("layout", ["a6", "a4x4"])
@pytest.mark.parametrize(
    "account", ["1012345678", "100123456789", "0011012345678", "10123456789012"]
)
def test_typical_accounts_keep_large_modules_at_q(vietqr, layout, account):
    """Demo-like accounts (10-14 digits) stay version 5 at Q: modules of ~1.39 mm on
    the smallest placards, the size at which the glare test was measured."""
    plan = plan_qr(vietqr("970405", account), layout)
    assert plan.version == 5 and plan.module_mm > 1.38


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


# ---------------------------------------------------------------- preview QR


@pytest.mark.parametrize("ec_level", ["M", "Q", "H"])
def test_preview_qr_encodes_no_payment_and_matches_the_real_size(canonical_payload, ec_level):
    real = encode_qr(canonical_payload, ec_level)
    stand_in = placard_qr_matrix(canonical_payload, "a6", ec_level, preview=True)
    assert stand_in.size == real.size and stand_in.ec_level == ec_level
    [barcode] = zxingcpp.read_barcodes(_image(stand_in))
    assert barcode.text.startswith(PREVIEW_QR_TEXT) and not barcode.text.startswith("000201")
    with pytest.raises(VietQRError):
        decode(barcode.text)
    assert (
        placard_qr_matrix(canonical_payload, "a6", ec_level).rows == real.rows
    )  # not a preview: the payload


def test_preview_without_payload_and_the_size_guard(vietqr):
    assert placard_qr_matrix("", "a4x4", preview=True).version == 5  # a typical static placard at Q
    assert preview_matrix("Q").version < 5  # the bare text is a smaller symbol
    with pytest.raises(
        PlacardLayoutError, match="on a6 at EC level H"
    ):  # refused like the real print
        placard_qr_matrix(vietqr(templates=7), "a6", "H", preview=True)


def _image(matrix, module_px: int = 6):
    from market4.domain.placard_png import qr_image

    return qr_image(matrix, module_px)


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
        text_bottom, text_top = (
            slot.y - 0.3 * slot.size,
            slot.y + 1.1 * slot.size,
        )  # descenders, diacritics
        assert text_top <= qy or text_bottom >= qy + side, f"{name} overlaps the QR box on {layout}"
    bx, by, bw, bh = g.recipient_box
    assert by + bh <= qy
    hx, hy, hw, hh = g.header_box
    assert hy >= qy + side


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_mark_badge_sits_on_the_recipient_box_under_the_call_to_action(layout):
    g = geometry_for_layout(layout)
    mx, my, mw, mh = g.mark_box
    bx, by, bw, bh = g.recipient_box
    assert my < by + bh < my + mh and mx + mw / 2 == pytest.approx(
        g.centre_x
    )  # centred on the top edge
    cta, label, mark = g.slots["cta"], g.slots["label"], g.slots["mark"]
    assert my + mh <= cta.y - 0.3 * cta.size  # below the call to action's descenders
    assert label.y + 1.0 * label.size <= my  # above the label's diacritics
    assert my < mark.y < mark.y + 0.75 * mark.size < my + mh  # the text sits inside the badge
    fonts.register_pdf_fonts()
    assert fonts.text_width(PAYMENT_MARK, fonts.BOLD, mark.size) <= mark.max_width


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("bank", ["MB", "Vietcombank", "Techcombank", "PVcomBank Pay"])
def test_full_19_character_number_fits_the_account_row(layout, bank):
    """The grouped 19-character number shares the row with the bank name without
    overlapping it or the box, and stays legible (>= 9 pt at the A6 reference size)."""
    g = geometry_for_layout(layout)
    inner = g.recipient_box[2] - 2 * g.box_padding
    for account in LONGEST_ACCOUNTS:
        text = "STK " + group_account_number(account)
        bank_size, account_size = split_account_row(g, bank, text)
        used = (
            fonts.text_width(bank, fonts.SEMIBOLD, bank_size)
            + 3 * mm * g.scale
            + fonts.text_width(text, fonts.BOLD, account_size)
        )
        assert used <= inner + 1e-6
        assert account_size >= 9 * g.scale, f"{text} at {account_size:.1f} pt on {layout}"
        assert bank_size >= 0.6 * g.slots["bank"].size


LONGEST_ACCOUNTS = ["1234567890123456789", "99ZP24009M07248267X", "9704123456789012345"]


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

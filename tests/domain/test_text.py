import ast
import doctest
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import market4.domain
import market4.domain.text
from market4.domain.text import BANK_TEXT_CHARS, bank_style_name, fold_ascii, fold_bank_text, nfc

NAME = "Nguyễn Thị Bích Thủy"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        (NAME, "Nguyen Thi Bich Thuy"),
        ("Đặng Văn Đức", "Dang Van Duc"),
        ("đường", "duong"),
        ("ĐÀO", "DAO"),
        ("Ðinh", "Dinh"),  # U+00D0 eth, from legacy encodings
        ("Hoà", "Hoa"),  # old tone placement
        ("Hòa", "Hoa"),  # new tone placement
        ("Bằng Minh Tuấn", "Bang Minh Tuan"),  # subiz/vietqr TestConvertASCII
        ("chuyển khoản", "chuyen khoan"),
        ("Phở 🍜 ngon", "Pho  ngon"),  # no ASCII base: dropped, spacing kept
        ("a\u00a0b", "a b"),  # no-break space
        ("plain ASCII #1", "plain ASCII #1"),
    ],
)
def test_fold_ascii(text, folded):
    assert fold_ascii(text) == folded
    assert fold_ascii(nfd(text)) == folded


@given(st.text())
def test_fold_ascii_is_ascii_and_form_insensitive(text):
    folded = fold_ascii(text)
    assert folded.isascii()
    assert fold_ascii(nfd(text)) == fold_ascii(nfc(text))


def test_nfc_composes_decomposed_input():
    assert nfd(NAME) != NAME
    assert nfc(nfd(NAME)) == NAME


@pytest.mark.parametrize(
    ("display", "bank_style"),
    [
        (NAME, "NGUYEN THI BICH THUY"),
        (nfd(NAME), "NGUYEN THI BICH THUY"),
        ("  đỗ   thị  hà ", "DO THI HA"),
        ("Quỹ vắc-xin phòng COVID-19", "QUY VAC XIN PHONG COVID 19"),
        ("Công ty TNHH Hải Đăng", "CONG TY TNHH HAI DANG"),
    ],
)
def test_bank_style_name(display, bank_style):
    assert bank_style_name(display) == bank_style


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("  Tiền hàng   #12 / chị Đào ", "Tien hang #12 / chi Dao"),
        ("DH#12/2026", "DH#12/2026"),  # "#" and "/" carry meaning in order numbers
        ("ĐH#12/2026", "DH#12/2026"),
        ("INV/TEST/0001", "INV/TEST/0001"),  # Odoo strips "/"; we keep it
        ("DH-2026-0042, T11.2026", "DH-2026-0042, T11.2026"),
        ("tab\there\nnewline", "tab here newline"),
        ("nul\x00and\x7fdel", "nul and del"),
        ("***", ""),  # "*" is not kept: "***" in 62 asks the app to prompt the payer
        ("Đơn (12)*: 50% + phí & thuế?", "Don 12 50 phi thue"),
        ("", ""),
    ],
)
def test_fold_bank_text(text, safe):
    assert fold_bank_text(text) == safe
    assert fold_bank_text(nfd(text)) == safe


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("１２", "12"),  # fullwidth digits
        (
            "Ｔiền ｈàng ＃１２／２０２６",
            "Tien hang #12/2026",
        ),  # fullwidth letters and ANS punctuation
        ("ĐH\u3000１２", "DH 12"),  # ideographic space
        ("ﬁle №5", "file No5"),  # ligature, numero sign
        ("m² ½ kg", "m2 1/2 kg"),  # superscript; the fraction slash keeps "1/2" from becoming "12"
        ("a\u00a0b", "a b"),  # no-break space
    ],
)
def test_fold_bank_text_applies_nfkc(text, safe):
    assert fold_bank_text(text) == safe


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_zero_width_characters_separate_words(invisible):
    assert fold_bank_text(f"Tiền{invisible}hàng") == "Tien hang"
    assert fold_bank_text(f"{invisible}Tiền hàng{invisible}") == "Tien hang"
    assert fold_bank_text(f"Tiền {invisible} hàng") == "Tien hang"


@pytest.mark.parametrize(
    "dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"]
)
def test_dashes_keep_numbers_apart(dash):
    assert fold_bank_text(f"2025{dash}2026") == "2025-2026"


def test_names_keep_their_own_rules():
    # bank_style_name and fold_ascii are unchanged: names are letters, digits and spaces.
    assert bank_style_name("DH#12/2026 Đào") == "DH 12 2026 DAO"
    assert fold_ascii("Tiền\u200bhàng") == "Tienhang"
    assert fold_ascii("１２") == ""


ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
DASHES = dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58", "-") | dict.fromkeys(
    "\u2044\u2215", "/"
)


def reference_fold(text: str) -> str:
    """fold_bank_text as its docstring states it, step by step, without the fast path."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if char in ZERO_WIDTH else char for char in text)
    text = "".join(DASHES.get(char, char) for char in unicodedata.normalize("NFD", text))
    text = fold_ascii(text)
    text = "".join(
        char if char in BANK_TEXT_CHARS else " " if char.isspace() or not char.isprintable() else ""
        for char in text
    )
    return " ".join(text.split())


@given(st.text())
def test_fold_bank_text_follows_its_documented_steps(text):
    assert fold_bank_text(text) == reference_fold(text)


@given(st.text(st.characters(codec="utf-8") | st.sampled_from("#/-., \u200b\u00adĐđ１２＃／")))
def test_fold_bank_text_is_normalization_insensitive(text):
    safe = fold_bank_text(text)
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        assert fold_bank_text(unicodedata.normalize(form, text)) == safe


@given(st.text())
def test_fold_bank_text_output_is_canonical(text):
    safe = fold_bank_text(text)
    assert BANK_TEXT_CHARS.issuperset(safe)
    assert "  " not in safe and safe == safe.strip()
    assert fold_bank_text(safe) == safe


def test_bank_text_chars_stay_narrow():
    punctuation = {char for char in BANK_TEXT_CHARS if not char.isalnum()}
    assert punctuation == set(" -.,/#")
    assert all(char.isascii() for char in BANK_TEXT_CHARS)


def test_docstring_examples():
    assert doctest.testmod(market4.domain.text).failed == 0


@pytest.mark.parametrize("module", ["text", "vietqr", "banks"])
def test_domain_module_imports_only_stdlib_and_domain(module):
    """market4.domain stays free of Flask, SQLAlchemy and the rest of market4."""
    source = Path(market4.domain.__path__[0], f"{module}.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert (
                name.startswith("market4.domain")
                or top in sys.stdlib_module_names
                or top == "__future__"
            ), name

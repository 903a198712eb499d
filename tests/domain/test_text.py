import ast
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import market4.domain
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
        ("  Tiền hàng   #12 / chị Đào ", "Tien hang 12 chi Dao"),
        ("INV/TEST/0001", "INVTEST0001"),  # as Odoo does
        ("DH-2026-0042, T11.2026", "DH-2026-0042, T11.2026"),
        ("tab\there\nnewline", "tab here newline"),
        ("***", ""),
        ("", ""),
    ],
)
def test_fold_bank_text(text, safe):
    assert fold_bank_text(text) == safe


@given(st.text())
def test_fold_bank_text_output_is_canonical(text):
    safe = fold_bank_text(text)
    assert BANK_TEXT_CHARS.issuperset(safe)
    assert "  " not in safe and safe == safe.strip()
    assert fold_bank_text(safe) == safe


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
            assert name.startswith("market4.domain") or top in sys.stdlib_module_names or top == "__future__", name

"""Cells for files people open in Excel or LibreOffice: text never runs as a formula.

A CSV cell (or an XLSX string that someone edits and confirms) beginning with "=", "+",
"-" or "@" is read as a formula, so a market or vendor name such as
``=HYPERLINK("http://evil.example","Bấm")`` would become a live link or worse (CSV or
formula injection). Following OWASP's guidance, every text cell beginning with one of
those characters, a tab or a carriage return, or the full-width forms ＝ ＋ － ＠ (which
some spreadsheet input converts to the ASCII ones) is prefixed with a single quote.

Only text is touched: a number stays a number (-5 as an ``int`` is still -5), ``None`` stays
empty, and a phone number given as the text "+84912345678" gets the quote, as it should.
Every CSV and XLSX export goes through ``safe_cell`` or ``safe_row``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

__all__ = ["FORMULA_PREFIXES", "safe_cell", "safe_row"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """``value`` itself, or for text that could start a formula, the text after a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + str(value)
    return value


def safe_row(values: Iterable[T]) -> list[T | str]:
    """``safe_cell`` over a whole row."""
    return [safe_cell(value) for value in values]

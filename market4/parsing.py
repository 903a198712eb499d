"""Whole numbers from text people and programs send (query strings, forms, JSON).

``str.isdigit`` accepts "²" and "١٢", and ``int()`` then fails or reads another script's
digits; an id beyond PostgreSQL's ``integer`` makes the database raise. One reading for
every number a request carries: ASCII digits only, inside the range the column holds.
"""

from __future__ import annotations

from typing import Any

# PostgreSQL ``integer``: every id column and every count the app stores.
MAX_INT = 2**31 - 1
_MAX_DIGITS = len(str(MAX_INT))


def ascii_int(value: Any, *, maximum: int = MAX_INT) -> int | None:
    """``value`` as a non-negative int when it is plain ASCII digits within ``maximum``.

    Anything else (None, "", "²", "-1", "12a", 10**12, a list) is None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= maximum else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= maximum else None


def int_arg(value: str) -> int:
    """``request.args.get(name, type=int_arg)``: a bad value reads as absent (werkzeug
    returns the default when the converter raises ValueError)."""
    number = ascii_int(value)
    if number is None:
        raise ValueError(f"not a whole number: {value[:20]!r}")
    return number

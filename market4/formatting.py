"""Numbers, dates and phones the way Vietnamese reports write them: 1.066; 75,1%;
22/11/2026; 11/2026; 0912 345 678."""

from __future__ import annotations

import functools
from datetime import date, datetime

from market4.db import VIETNAM_TZ


def vn_number(value: int | float | None, decimals: int = 0) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    # Swap the separators: thousands "." and decimal ",".
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def vn_phone(phone_e164: str | None) -> str:
    """ "+84912345678" → "0912 345 678", as people read and say their number."""
    if phone_e164 and phone_e164.startswith("+84") and len(phone_e164) == 12:
        national = "0" + phone_e164[3:]
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    return phone_e164 or "–"


def vn_percent(ratio: float | None, decimals: int = 1) -> str:
    """``0.7507`` → ``"75,1%"``; ``None`` (nothing to divide) → ``"–"``."""
    if ratio is None:
        return "–"
    return f"{vn_number(ratio * 100, decimals)}%"


def vn_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    return value.strftime("%d/%m/%Y")


def vn_month(value: date | str | None) -> str:
    """A month as reports write it: ``10/2026``, from a date in it or from ``2026-10``."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        year, _, month = value.partition("-")
        return f"{month}/{year}" if year.isdigit() and month.isdigit() else value
    return value.strftime("%m/%Y")


def vn_datetime(value: datetime | None) -> str:
    """A moment as people in Vietnam read it: ``22/11/2026 18:30`` in Vietnam time."""
    if value is None:
        return "–"
    return value.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M")


@functools.lru_cache(maxsize=65536)  # names repeat across sorts and requests: a country is 11,000
def vietnamese_sort_key(text: str) -> tuple[str, str]:
    """Order names as a Vietnamese reader expects ("Chợ Đá Bạc" near "Chợ Dương"),
    not by code point, which puts every Đ and lower-case word after Z."""
    from market4.domain.text import fold_ascii

    return (fold_ascii(text).casefold(), text)


def percent_class(ratio: float | None) -> int:
    """``0.751`` → ``75``: the whole-percent step of the CSS bar classes ``w-0`` … ``w-100``."""
    if ratio is None:
        return 0
    return max(0, min(100, round(ratio * 100)))

"""How stalls are listed and printed: by zone, row, then code, in natural order."""

from __future__ import annotations

import re
from collections.abc import Iterable

from market4.domain.text import fold_ascii, nfc
from market4.registry.markets import Stall

__all__ = ["natural_key", "sorted_stalls", "stall_sort_key"]

_DIGIT_RUNS = re.compile(r"(\d+)")

NaturalKey = tuple[tuple[int, int | str], ...]


def natural_key(text: str | None) -> NaturalKey:
    """Digit runs compare as numbers ("Sạp 2" < "Sạp 10"); letters compare folded.

    Folding to ASCII puts "Đ" next to "D" as a Vietnamese reader expects; an empty or
    missing value sorts after every real one, so stalls without a zone come last.
    """
    if not text:
        return ((2, ""),)
    parts = _DIGIT_RUNS.split(fold_ascii(nfc(text)).casefold())
    # Numbers before words at the same position, so the tuple comparison never mixes types.
    return tuple(
        (0, int(part)) if part.isascii() and part.isdigit() else (1, part) for part in parts if part
    )


def stall_sort_key(stall: Stall) -> tuple[NaturalKey, NaturalKey, NaturalKey, int]:
    """Zone, row, code (natural order), then id so equal codes never tie."""
    return (natural_key(stall.zone), natural_key(stall.row), natural_key(stall.code), stall.id or 0)


def sorted_stalls(stalls: Iterable[Stall]) -> list[Stall]:
    return sorted(stalls, key=stall_sort_key)

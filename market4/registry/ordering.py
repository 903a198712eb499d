"""The one order of stalls, in every list, chooser, export and print run: by code, in
natural order ("Sạp 1", "Sạp 2", … "Sạp 10", "Sạp 141"; "A-2" before "A-10").

Zone and row only break ties. A market numbers its stalls along its aisles and people
look a stall up by that number, while zone names sort by their spelling ("Khu khô"
before "Nhà lồng chính"), which says nothing about where a market starts: ordering by
zone first opened a 210-stall market at "Sạp 141".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from market4.domain.text import fold_ascii, nfc
from market4.registry.markets import Stall

__all__ = ["StallKey", "natural_key", "sorted_stalls", "stall_key", "stall_sort_key"]

_DIGIT_RUNS = re.compile(r"(\d+)")

NaturalKey = tuple[tuple[int, int | str], ...]
StallKey = tuple[NaturalKey, NaturalKey, NaturalKey, int]


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


def stall_key(
    code: str | None, zone: str | None = None, row: str | None = None, stall_id: int | None = None
) -> StallKey:
    """The order of a stall given as values (a row of a query): code, then zone and
    row, all natural, then id so that equal codes never tie."""
    return (natural_key(code), natural_key(zone), natural_key(row), stall_id or 0)


def stall_sort_key(stall: Stall) -> StallKey:
    """:func:`stall_key` of a Stall."""
    return stall_key(stall.code, stall.zone, stall.row, stall.id)


def sorted_stalls(stalls: Iterable[Stall]) -> list[Stall]:
    return sorted(stalls, key=stall_sort_key)

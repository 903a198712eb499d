"""One page of an already ordered list, for pages that list in Python (natural stall
order is not SQL's): the vendor lists and the market page. Database-ordered lists use
Flask-SQLAlchemy's ``db.paginate``; both fit ``templates/macros/pagination.html``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Stall tables (a market, its placards): a thousand-stall market is ten pages, not one
# page a phone cannot scroll.
STALLS_PER_PAGE = 100
# The dashboard's market table: a province is hundreds of markets, the country 11,000
# (the drill-down above it and the exports carry the rest).
MARKETS_PER_PAGE = 100


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    pages: int
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate(items: list[Any], page: int | None, size: int) -> Page:
    """One page of ``items`` (page numbers outside the range are clamped)."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page or 1, 1), pages)
    return Page(
        items=items[(page - 1) * size : page * size], total=len(items), page=page, pages=pages
    )

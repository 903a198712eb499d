"""Read-only market queries shared by dashboards, scopes and the API."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.orm import aliased

from market4.areas.models import SCHEME_2008, AdminUnit
from market4.markets.models import Market


def restrict_markets_to_area(query: Select, area: AdminUnit | None) -> Select:
    """Markets of ``query`` that lie in ``area`` (a 2025 or pre-2025 unit); None: all."""
    if area is None:
        return query
    if area.scheme == SCHEME_2008:
        if area.level == "district":
            return query.where(Market.legacy_district_id == area.id)
        if area.level == "province":
            district = aliased(AdminUnit)
            return query.join(district, Market.legacy_district_id == district.id).where(
                district.parent_id == area.id
            )
        raise ValueError(f"reports by a pre-2025 commune are not supported: {area!r}")
    if area.level == "commune":
        return query.where(Market.commune_id == area.id)
    commune = aliased(AdminUnit)
    return query.join(commune, Market.commune_id == commune.id).where(
        commune.parent_id == area.id
    )

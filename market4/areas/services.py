"""Loading the shipped administrative-unit data into the database."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cache

from sqlalchemy import Select, bindparam, func, insert, select

from market4.areas import data
from market4.areas.models import LEVELS, AdminUnit, AdminUnitLineage
from market4.extensions import db

logger = logging.getLogger(__name__)


def load_units(records: Iterable[data.UnitRecord], lineage: Iterable[data.LineageRecord]) -> int:
    """Insert the units not yet present (parents first) and their lineage; returns how many.

    Existing units are left alone, so loading twice, or a subset after the whole
    country, changes nothing.
    """
    ids = _existing_ids()
    added = 0
    records = list(records)
    for level in LEVELS:
        rows = []
        for record in (r for r in records if r.level == level):
            key = (record.scheme, record.level, record.code)
            if key in ids:
                continue
            parent_id = ids.get(record.parent_key) if record.parent_key else None
            rows.append(
                {
                    "scheme": record.scheme,
                    "level": record.level,
                    "code": record.code,
                    "name": record.name,
                    "division_type": record.division_type,
                    "parent_id": parent_id,
                }
            )
        if rows:
            db.session.execute(insert(AdminUnit), rows)
            added += len(rows)
            ids = _existing_ids()
    _load_lineage(lineage, ids)
    db.session.flush()
    logger.info("Loaded %d administrative units", added)
    return added


def load_country() -> int:
    return load_units(data.iter_units(), data.iter_lineage())


def load_provinces(scheme_province_codes: dict[str, set[str]]) -> int:
    """Load only some provinces (with everything under them), e.g. for the demo."""
    units = data.units_for_provinces(scheme_province_codes)
    return load_units(units, data.lineage_within(units))


def _existing_ids() -> dict[tuple[str, str, str], int]:
    rows = db.session.execute(
        select(AdminUnit.scheme, AdminUnit.level, AdminUnit.code, AdminUnit.id)
    )
    return {(scheme, level, code): id_ for scheme, level, code, id_ in rows}


def _load_lineage(
    lineage: Iterable[data.LineageRecord], ids: dict[tuple[str, str, str], int]
) -> None:
    existing = set(
        db.session.execute(select(AdminUnitLineage.old_unit_id, AdminUnitLineage.new_unit_id))
    )
    rows = []
    for link in lineage:
        old_id = ids.get(link.old_key)
        new_id = ids.get(link.new_key)
        # A subset load only knows part of the country; its links come with it.
        if old_id is None or new_id is None or (old_id, new_id) in existing:
            continue
        existing.add((old_id, new_id))
        rows.append({"old_unit_id": old_id, "new_unit_id": new_id, "is_default": link.is_default})
    if rows:
        db.session.execute(insert(AdminUnitLineage), rows)


def unit_count() -> int:
    return db.session.scalar(select(func.count(AdminUnit.id))) or 0


def find_unit(scheme: str, level: str, code: str) -> AdminUnit | None:
    """The unit with this key (``scheme/level/code``), or None."""
    return db.session.scalar(_unit_by_key(), {"scheme": scheme, "level": level, "code": code})


@cache
def _unit_by_key() -> Select:
    # Built once: the API's statistics look a unit up on every request.
    return select(AdminUnit).where(
        AdminUnit.scheme == bindparam("scheme"),
        AdminUnit.level == bindparam("level"),
        AdminUnit.code == bindparam("code"),
    )

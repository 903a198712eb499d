"""Administrative units in both schemes, and how the 2008-era units became the 2025 ones.

Ward codes were reused by the 2025 reform (3,310 of 3,321 new codes also exist as old
codes, most naming a different place), so a unit is identified by (scheme, level, code),
never by a bare code.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market4.areas.data import LEVELS, SCHEME_2008, SCHEME_2025
from market4.extensions import db

__all__ = ["LEVELS", "SCHEME_2008", "SCHEME_2025", "AdminUnit", "AdminUnitLineage"]


class AdminUnit(db.Model):
    __tablename__ = "admin_units"
    __table_args__ = (UniqueConstraint("scheme", "level", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(String(4))
    level: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    division_type: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("admin_units.id"), index=True)

    parent: Mapped[Optional[AdminUnit]] = relationship(remote_side=[id])

    @property
    def full_name(self) -> str:
        return f"{self.division_type} {self.name}".strip()

    def __repr__(self) -> str:
        return f"<AdminUnit {self.scheme}/{self.level}/{self.code} {self.full_name!r}>"


class AdminUnitLineage(db.Model):
    """An old unit (scheme 2008) that became, wholly or partly, a new unit (scheme 2025)."""

    __tablename__ = "admin_unit_lineage"
    __table_args__ = (UniqueConstraint("old_unit_id", "new_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    old_unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    new_unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    # When an old ward was split, the part that kept most of it (the source's default).
    is_default: Mapped[bool] = mapped_column(default=True)

    old_unit: Mapped[AdminUnit] = relationship(foreign_keys=[old_unit_id])
    new_unit: Mapped[AdminUnit] = relationship(foreign_keys=[new_unit_id])

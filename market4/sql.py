"""SQL expressions the features share that depend on the database in use."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from market4.extensions import db


def any_id(column: Any, ids: Collection[int]) -> ColumnElement[bool]:
    """``column IN ids``, sent to PostgreSQL as ``= ANY(array)``: one parameter instead of
    one per id, each rendered and cast on every request (a page of 50 vendors asks this
    three times). SQLite keeps the plain ``IN``."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))

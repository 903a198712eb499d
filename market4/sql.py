"""SQL the features share: expressions that depend on the database in use, statements
built once and run with parameters, and reads of plain columns."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Hashable
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Date, Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from market4.extensions import db


def ids_parameter(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """``column IN`` the ids passed as parameter ``name`` when the statement runs, for a
    statement built once per ``dialect`` (building one costs as much as running it). On
    PostgreSQL ``= ANY`` of one array parameter, not one cast parameter per id (a page
    of 50 vendors); an expanding IN elsewhere."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


class month_of(FunctionElement):  # noqa: N801 - named like the SQL functions it stands for
    """The first day of the month of a date column, in SQL: ``date_trunc`` on PostgreSQL,
    ``date(…, 'start of month')`` on SQLite."""

    type = Date()
    name = "month_of"
    inherit_cache = True


@compiles(month_of)
def _month_of_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(month_of, "postgresql")
def _month_of_postgresql(element: month_of, compiler: Any, **kw: Any) -> str:
    # A date would go to date_trunc as a timestamp *with* time zone, converted in the
    # session's zone row by row; without a zone it is the same month, 15% sooner.
    day = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('month', CAST({day} AS TIMESTAMP)) AS DATE)"


def dialect_name() -> str:
    """The app's database kind (a read replica is one of the same kind)."""
    return db.engine.dialect.name


Built = TypeVar("Built")
KEPT_STATEMENTS = 1024
_kept: dict[Hashable, Any] = {}


def kept_statement(key: Hashable, build: Callable[[], Built]) -> Built:
    """What ``build`` returns (statements, with bound parameters for what changes per
    request), built once per ``key`` in this process: a statement built anew costs
    SQLAlchemy twice its running time to recognise. ``key`` must hold everything
    ``build`` reads; the oldest are forgotten past ``KEPT_STATEMENTS``."""
    found = _kept.get(key)
    if found is None:
        found = build()
        if len(_kept) >= KEPT_STATEMENTS:
            _kept.pop(next(iter(_kept), None), None)
        _kept[key] = found
    return found


def column_rows(statement: Any, parameters: dict[str, Any] | None = None) -> list[Any]:
    """The rows of a SELECT of columns (no ORM entities), read on the session's connection
    once anything pending is flushed, as named tuples: what ``db.session.execute`` gives
    (the same names and values), without the ORM's handling of each row, and fields read
    ten times faster than from SQLAlchemy's rows (a page of 50 vendors reads 2,000)."""
    db.session.flush()
    result = db.session.connection().execute(statement, parameters or {})
    shape = _row_shape(tuple(result.keys()))
    return [shape._make(row) for row in result.all()]


@cache
def _row_shape(fields: tuple[str, ...]) -> type:
    return namedtuple("Row", fields)

"""SQL expressions the features share that depend on the database in use."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Text,
    any_,
    bindparam,
    cast,
    literal_column,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from market4.extensions import db


def any_id(column: Any, ids: Collection[int]) -> ColumnElement[bool]:
    """``column IN ids``, sent to PostgreSQL as ``= ANY(array)``: one parameter instead of
    one per id, each rendered and cast on every request (a page of 50 vendors asks this
    three times). SQLite keeps the plain ``IN``."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


# --- JSON built by the database -------------------------------------------------------
# A page of the partner API is read as one JSON document built by the database: one
# round trip and one text value, where rows would cost a statement each and a Python
# object per column. PostgreSQL and SQLite name the same functions differently.


class json_object(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """``json_object(key, value, …)``: PostgreSQL's ``json_build_object``. The keys are
    written into the SQL as literals (PostgreSQL cannot type a bound key)."""

    inherit_cache = True
    type = JSON()

    def __init__(self, *keys_and_values: Any) -> None:
        keys, values = keys_and_values[::2], keys_and_values[1::2]
        super().__init__(
            *(
                part
                for key, value in zip(keys, values, strict=True)
                for part in (literal_column("'" + key.replace("'", "''") + "'"), value)
            )
        )


class json_array_agg(FunctionElement):  # noqa: N801
    """The aggregate ``json_agg(value)``: SQLite's ``json_group_array``. NULL (PostgreSQL)
    or ``[]`` (SQLite) over no rows."""

    inherit_cache = True
    type = JSON()


class json_nested(FunctionElement):  # noqa: N801
    """A scalar subquery's JSON placed inside another JSON value: SQLite would otherwise
    take it for a string (a subquery's result loses its JSON type there)."""

    inherit_cache = True
    type = JSON()


@compiles(json_object)
def _json_object(element: json_object, compiler: Any, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object, "postgresql")
def _json_build_object(element: json_object, compiler: Any, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


@compiles(json_array_agg)
def _json_group_array(element: json_array_agg, compiler: Any, **kw: Any) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(json_array_agg, "postgresql")
def _json_agg(element: json_array_agg, compiler: Any, **kw: Any) -> str:
    return f"json_agg({compiler.process(element.clauses, **kw)})"


@compiles(json_nested)
def _json(element: json_nested, compiler: Any, **kw: Any) -> str:
    return f"json({compiler.process(element.clauses, **kw)})"


@compiles(json_nested, "postgresql")
def _as_is(element: json_nested, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


def json_text(expression: Any) -> ColumnElement[str]:
    """A JSON value as its text, for a fast parser (psycopg would parse ``json`` itself)."""
    return cast(expression, Text)

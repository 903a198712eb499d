"""Writing many rows in one statement, for imports and print runs.

PostgreSQL gets ``INSERT/UPDATE … FROM unnest(arrays)`` (one statement, one array per
column), where an executemany costs a round trip per row; SQLite gets the ORM's
executemany, which is fast there. Services still flush-only: these run in the caller's
transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, func, insert, select, text, update

from market4.extensions import db


def _unnest(model: type[Any], rows: list[dict[str, Any]]) -> tuple[list[str], str, dict[str, Any]]:
    """Column names, ``unnest(…) AS u(c0, c1…)`` and its parameters: one array per column."""
    dialect = db.session.get_bind().dialect
    table = model.__table__
    names = list(rows[0])
    arrays, params = [], {}
    for index, name in enumerate(names):
        column = table.c[name]
        values = [row[name] for row in rows]
        if isinstance(column.type, JSON):
            values = [
                None if value is None else json.dumps(value, ensure_ascii=False) for value in values
            ]
            arrays.append(f"CAST(:p{index} AS TEXT[])")
        else:
            arrays.append(f"CAST(:p{index} AS {column.type.compile(dialect=dialect)}[])")
        params[f"p{index}"] = values
    aliases = ", ".join(f"c{index}" for index in range(len(names)))
    return names, f"unnest({', '.join(arrays)}) AS u({aliases})", params


def _value(model: type[Any], name: str, index: int) -> str:
    return (
        f"CAST(u.c{index} AS JSON)"
        if isinstance(model.__table__.c[name].type, JSON)
        else f"u.c{index}"
    )


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def insert_rows(model: type[Any], rows: list[dict[str, Any]]) -> None:
    """INSERT many rows of ``model`` in one statement; every row has the same keys.

    Python-side column defaults are not applied on PostgreSQL: give every NOT NULL
    column. PostgreSQL gets ``INSERT … SELECT … FROM unnest(arrays)``: one statement
    with one array per column, where an executemany costs a round trip per row. SQLite
    gets the ORM's executemany, which is fast there.
    """
    if not rows:
        return
    if not _on_postgresql():
        db.session.execute(insert(model), rows)
        return
    quote = db.session.get_bind().dialect.identifier_preparer.quote
    names, source, params = _unnest(model, rows)
    values = ", ".join(_value(model, name, index) for index, name in enumerate(names))
    db.session.execute(
        text(
            f"INSERT INTO {quote(model.__table__.name)} ({', '.join(map(quote, names))}) "
            f"SELECT {values} FROM {source}"
        ),
        params,
    )


def update_rows(model: type[Any], rows: list[dict[str, Any]]) -> None:
    """UPDATE many rows of ``model`` by primary key ``id``; every row has the same keys.

    Loaded objects are not refreshed: expire them if they are used afterwards.
    """
    if not rows:
        return
    if not _on_postgresql():
        db.session.execute(update(model), rows)
        return
    quote = db.session.get_bind().dialect.identifier_preparer.quote
    names, source, params = _unnest(model, rows)
    assignments = ", ".join(
        f"{quote(name)} = {_value(model, name, index)}"
        for index, name in enumerate(names)
        if name != "id"
    )
    table = quote(model.__table__.name)
    db.session.execute(
        text(
            f"UPDATE {table} SET {assignments} FROM {source} "
            f"WHERE {table}.id = u.c{names.index('id')}"
        ),
        params,
    )


def insert_returning_ids(model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    """INSERT many rows of ``model``; their new ids, in the order of ``rows``.

    PostgreSQL: the ids are drawn from the table's sequence in one query, then the rows
    go in with :func:`insert_rows`. SQLite: ``RETURNING`` in parameter order.
    """
    if not rows:
        return []
    if _on_postgresql():
        ids = list(
            db.session.scalars(
                select(
                    func.nextval(func.pg_get_serial_sequence(model.__table__.name, "id"))
                ).select_from(func.generate_series(1, len(rows)))
            )
        )
        insert_rows(model, [{"id": new_id, **row} for row, new_id in zip(rows, ids, strict=True)])
        return ids
    return list(
        db.session.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True), rows
        ).scalars()
    )

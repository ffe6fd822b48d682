"""One UPDATE for many rows with different values: ``UPDATE … FROM <rows> AS v``.

On PostgreSQL the rows travel as one typed array per column that varies, ``unnest(%s::bigint[], %s::text[], …)``,
and one scalar per column that is the same on every row: a handful of parameters instead of one per cell, so
building, quoting and parsing a batch of a thousand rows stays cheap. SQLite (3.33+) gets ``(VALUES …)``; datetimes
are adapted the way Django stores them there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

PG_TYPES = {"int": "bigint", "datetime": "timestamptz", "text": "text", "bool": "boolean"}


def _pg_source(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> tuple[str, list]:
    """Varying columns as typed arrays to ``unnest``, columns equal on every row as one scalar each.

    psycopg2 quotes every element of an array parameter in Python-called code (a datetime or a number costs about
    a microsecond), so a result batch where most columns are the same on every row (state, times, status) sends
    those once instead of once per row.
    """
    constants: list[tuple[str, str, object]] = []
    varying: list[tuple[str, str, list]] = []
    for (name, kind), values in zip(columns, zip(*rows, strict=True), strict=True):
        first = values[0]
        if len(values) > 1 and any(value != first or type(value) is not type(first) for value in values):
            varying.append((name, kind, list(values)))
        else:
            constants.append((name, kind, first))
    select = [f"%s::{PG_TYPES[kind]} AS {name}" for name, kind, _value in constants]
    params: list = [value for _name, _kind, value in constants]
    if not varying:
        return f"(SELECT {', '.join(select)}) AS v", params
    arrays = ", ".join(f"%s::{PG_TYPES[kind]}[]" for _name, kind, _values in varying)
    names = ", ".join(name for name, _kind, _values in varying)
    params.extend(values for _name, _kind, values in varying)
    return f"(SELECT {', '.join(['u.*', *select])} FROM unnest({arrays}) AS u({names})) AS v", params


def _adapt(value: object, kind: str) -> object:
    if kind == "datetime" and isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def values_source(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> tuple[str, list]:
    """A ``FROM`` item named ``v`` with ``columns`` (name, kind: int/text/datetime) holding ``rows``."""
    if connection.vendor == "postgresql":
        return _pg_source(columns, rows)
    row_sql = "(" + ", ".join("%s" for _column in columns) + ")"
    params: list = []
    for row in rows:
        params.extend(_adapt(value, kind) for value, (_name, kind) in zip(row, columns, strict=True))
    values = f"VALUES {', '.join([row_sql] * len(rows))}"
    # SQLite names VALUES columns column1, column2, …; rename them in a subquery.
    renamed = ", ".join(f"column{index} AS {name}" for index, (name, _kind) in enumerate(columns, start=1))
    return f"(SELECT {renamed} FROM ({values})) AS v", params


def update_from_values(
    *,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence],
    set_sql: str,
    where_sql: str = "",
    where_params: Sequence = (),
    set_params: Sequence = (),
) -> int:
    """Run ``UPDATE table AS m SET <set_sql> FROM v WHERE m.id = v.id [AND where_sql]``; returns rows changed."""
    if not rows:
        return 0
    source, params = values_source(columns, rows)
    extra = f" AND {where_sql}" if where_sql else ""
    # The statement starts with UPDATE (not WITH) so that every driver reports the rows it changed.
    sql = f"UPDATE {table} AS m SET {set_sql} FROM {source} WHERE m.id = v.id{extra}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *params, *where_params])
        return max(cursor.rowcount, 0)

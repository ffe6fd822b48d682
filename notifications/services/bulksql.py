"""One UPDATE for many rows with different values: ``UPDATE … FROM <rows> AS v``.

On PostgreSQL the rows travel as one typed array per column, ``unnest(%s::bigint[], %s::text[], …)``: a handful of
parameters instead of one per cell, so building, quoting and parsing a batch of a thousand rows stays cheap. SQLite
(3.33+) gets ``(VALUES …)``; datetimes are adapted the way Django stores them there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

PG_ARRAYS = {"int": "bigint[]", "datetime": "timestamptz[]", "text": "text[]", "bool": "boolean[]"}


def _adapt(value, kind: str):
    if kind == "datetime" and isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def values_source(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> tuple[str, list]:
    """A ``FROM`` item named ``v`` with ``columns`` (name, kind: int/text/datetime) holding ``rows``."""
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{PG_ARRAYS[kind]}" for _name, kind in columns)
        names = ", ".join(name for name, _kind in columns)
        return f"unnest({arrays}) AS v({names})", [list(column) for column in zip(*rows, strict=True)]
    row_sql = "(" + ", ".join("%s" for _column in columns) + ")"
    params: list = []
    for row in rows:
        params.extend(_adapt(value, kind) for value, (_name, kind) in zip(row, columns, strict=True))
    values = f"VALUES {', '.join([row_sql] * len(rows))}"
    # SQLite names VALUES columns column1, column2, …; rename them in a subquery.
    renamed = ", ".join(f"column{index} AS {name}" for index, (name, _kind) in enumerate(columns, start=1))
    return f"(SELECT {renamed} FROM ({values})) AS v", params


def update_from_values(*, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence], set_sql: str,
                       where_sql: str = "", where_params: Sequence = (), set_params: Sequence = ()) -> int:
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

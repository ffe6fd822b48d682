"""One UPDATE for many rows with different values: ``UPDATE … FROM (VALUES …) AS v``.

PostgreSQL and SQLite (3.33+) both accept this form. Placeholders carry casts on PostgreSQL so the VALUES list has
the column types of the target table; datetimes are adapted the way Django stores them on each backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

PG_CASTS = {"int": "::bigint", "datetime": "::timestamptz", "text": "::text", "bool": "::boolean"}


def _placeholder(kind: str) -> str:
    return "%s" + (PG_CASTS[kind] if connection.vendor == "postgresql" else "")


def _adapt(value, kind: str):
    if kind == "datetime" and isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def values_source(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> tuple[str, list]:
    """A ``FROM`` item named ``v`` with ``columns`` (name, kind: int/text/datetime) holding ``rows``."""
    row_sql = "(" + ", ".join(_placeholder(kind) for _name, kind in columns) + ")"
    params: list = []
    for row in rows:
        params.extend(_adapt(value, kind) for value, (_name, kind) in zip(row, columns, strict=True))
    values = f"VALUES {', '.join([row_sql] * len(rows))}"
    if connection.vendor == "postgresql":
        return f"({values}) AS v({', '.join(name for name, _kind in columns)})", params
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

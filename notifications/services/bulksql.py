"""One UPDATE for many rows with different values: ``WITH v(...) AS (VALUES …) UPDATE … FROM v``.

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


def values_cte(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> tuple[str, list]:
    """``v(col, …) AS (VALUES (…), …)`` for ``rows``; ``columns`` are (name, kind) with kind int/text/datetime."""
    row_sql = "(" + ", ".join(_placeholder(kind) for _name, kind in columns) + ")"
    params: list = []
    for row in rows:
        params.extend(_adapt(value, kind) for value, (_name, kind) in zip(row, columns, strict=True))
    names = ", ".join(name for name, _kind in columns)
    return f"v({names}) AS (VALUES {', '.join([row_sql] * len(rows))})", params


def update_from_values(*, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence], set_sql: str,
                       where_sql: str = "", where_params: Sequence = (), set_params: Sequence = ()) -> int:
    """Run ``UPDATE table AS m SET <set_sql> FROM v WHERE m.id = v.id [AND where_sql]``; returns rows changed."""
    if not rows:
        return 0
    cte, params = values_cte(columns, rows)
    extra = f" AND {where_sql}" if where_sql else ""
    sql = f"WITH {cte} UPDATE {table} AS m SET {set_sql} FROM v WHERE m.id = v.id{extra}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *set_params, *where_params])
        return max(cursor.rowcount, 0)

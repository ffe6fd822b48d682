"""SQL expressions that read JSON columns the same way on PostgreSQL and SQLite, for the audience selectors.

Each expression yields NULL (never an error) when a value has the wrong type, so one client's malformed attribute
cannot break an audience query.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, FloatField, Func, TextField
from django.db.models.sql.compiler import SQLCompiler

# What Django's ``as_<vendor>`` methods return: the SQL and its parameters.
SQLParams: TypeAlias = tuple[str, tuple[Any, ...]]


class _VendorFunc(Func):
    """A function written once per supported database; any other database is refused by name."""

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> SQLParams:
        raise NotImplementedError(f"Audience JSON lookups support PostgreSQL and SQLite, not {connection.vendor}.")


class JSONListHas(_VendorFunc):
    """True when a JSON list column holds ``value`` as one element (``tags`` holds "vip")."""

    output_field = BooleanField()

    def __init__(self, column: str, value: Any) -> None:
        super().__init__(F(column))
        self.value = value

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> SQLParams:
        column, params = compiler.compile(self.source_expressions[0])
        # Most lists are empty: the cheap inequality spares PostgreSQL the containment test on those rows.
        return f"({column} <> '[]'::jsonb AND {column} @> %s::jsonb)", (*params, json.dumps([self.value]))

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> SQLParams:
        column, params = compiler.compile(self.source_expressions[0])
        return (f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = %s)", (*params, self.value))


class JSONAttribute(_VendorFunc):
    """One key of ``Client.attributes`` read as text, as a number, or as an ISO date string (NULL otherwise)."""

    def __init__(self, key: str, kind: str) -> None:
        super().__init__(F("attributes"), output_field=FloatField() if kind == "number" else TextField())
        self.key = key
        self.kind = kind

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> SQLParams:
        col, params = compiler.compile(self.source_expressions[0])
        key = self.key
        if self.kind == "text":
            return f"({col} ->> %s)", (*params, key)
        if self.kind == "number":
            sql = (
                f"(CASE WHEN jsonb_typeof({col} -> %s) = 'number' THEN ({col} ->> %s)::double precision "
                f"WHEN jsonb_typeof({col} -> %s) = 'string' AND ({col} ->> %s) ~ '^-?[0-9]+(\\.[0-9]+)?$' "
                f"THEN ({col} ->> %s)::double precision END)"
            )
            return sql, (*params, key, *params, key, *params, key, *params, key, *params, key)
        sql = f"(CASE WHEN jsonb_typeof({col} -> %s) = 'string' THEN ({col} ->> %s) END) COLLATE \"C\""
        return sql, (*params, key, *params, key)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> SQLParams:
        col, params = compiler.compile(self.source_expressions[0])
        path = f'$."{self.key}"'
        if self.kind == "text":
            return f"CAST(json_extract({col}, %s) AS TEXT)", (*params, path)
        if self.kind == "number":
            sql = (
                f"(CASE WHEN json_type({col}, %s) IN ('integer', 'real') THEN json_extract({col}, %s) "
                f"WHEN json_type({col}, %s) = 'text' AND json_extract({col}, %s) GLOB '*[0-9]*' "
                f"AND json_extract({col}, %s) NOT GLOB '*[^0-9.-]*' THEN CAST(json_extract({col}, %s) AS REAL) END)"
            )
            return sql, (*params, path) * 6
        sql = f"(CASE WHEN json_type({col}, %s) = 'text' THEN json_extract({col}, %s) END)"
        return sql, (*params, path, *params, path)

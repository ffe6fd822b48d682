"""The PostgreSQL write path: COPY the planned rows into temporary tables, then one set-based statement each.

``COPY`` moves 100,000 rows in well under a second, where the ORM's ``bulk_create`` spends most of its time
preparing parameters in Python. The statements run in the caller's transaction; the temporary tables vanish at
commit.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from clients.models import BucketMembership, Client, ConsentEvent


def _cell(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, datetime):
        text = value.isoformat()
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy(cursor: CursorWrapper, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    buffer = io.StringIO()
    buffer.writelines("\t".join(_cell(value) for value in row) + "\n" for row in rows)
    buffer.seek(0)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    raw = cursor.cursor
    if hasattr(raw, "copy_expert"):  # psycopg2
        raw.copy_expert(sql, buffer)
    else:  # psycopg 3
        with raw.copy(sql) as copy:
            copy.write(buffer.getvalue())


def copy_write(
    rows: list[dict],
    withdrawals: list[tuple[str, str]],
    joins: list[tuple[str, int]],
    *,
    columns: Sequence[str],
    filename: str,
    source: str,
) -> None:
    """Upsert ``rows`` (dicts holding ``external_ref`` and ``columns``), then add consent events and memberships."""
    quote = connection.ops.quote_name
    clients = quote(Client._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        if rows:
            names = ["external_ref", *columns]
            cursor.execute("DROP TABLE IF EXISTS import_client")
            cursor.execute(
                f"CREATE TEMP TABLE import_client ON COMMIT DROP AS "
                f"SELECT {', '.join(map(quote, names))} FROM {clients} WITH NO DATA"
            )
            _copy(cursor, "import_client", [quote(name) for name in names], ([row[n] for n in names] for row in rows))
            assignments = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in [*columns, "updated_at"])
            cursor.execute(
                f"INSERT INTO {clients} ({', '.join(map(quote, names))}, muted_kinds, created_at, updated_at) "
                f"SELECT {', '.join(map(quote, names))}, '[]'::jsonb, %s, %s FROM import_client "
                f"ON CONFLICT (external_ref) DO UPDATE SET {assignments}",
                [now, now],
            )
        if withdrawals:
            cursor.execute("DROP TABLE IF EXISTS import_consent")
            cursor.execute(
                "CREATE TEMP TABLE import_consent (external_ref varchar(64), channel varchar(8)) ON COMMIT DROP"
            )
            _copy(cursor, "import_consent", ["external_ref", "channel"], withdrawals)
            cursor.execute(
                f"INSERT INTO {quote(ConsentEvent._meta.db_table)} (client_id, channel, action, source, detail, at) "
                f"SELECT c.id, w.channel, %s, %s, %s, %s FROM import_consent w "
                f"JOIN {clients} c ON c.external_ref = w.external_ref",
                [ConsentEvent.Action.WITHDRAWN.value, source[:64], filename[:255], now],
            )
        if joins:
            cursor.execute("DROP TABLE IF EXISTS import_join")
            cursor.execute("CREATE TEMP TABLE import_join (external_ref varchar(64), bucket_id bigint) ON COMMIT DROP")
            _copy(cursor, "import_join", ["external_ref", "bucket_id"], joins)
            cursor.execute(
                f"INSERT INTO {quote(BucketMembership._meta.db_table)} (bucket_id, client_id, added_at) "
                f"SELECT j.bucket_id, c.id, %s FROM import_join j JOIN {clients} c ON c.external_ref = j.external_ref "
                f"ON CONFLICT DO NOTHING",
                [now],
            )

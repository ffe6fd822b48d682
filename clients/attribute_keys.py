"""The attribute names clients hold (``Client.attributes`` keys), for suggestions and checks in forms.

The condition builders suggest them (``attributes.last_visit``) and the message forms accept ``{{ attributes.x }}``
only for a key some client has. Read cheaply: the distinct keys of the ``SAMPLE`` most recently added clients that
have attributes, in one query, kept in the cache for ``CACHE_SECONDS`` (an import or an admin edit forgets them).
"""

from __future__ import annotations

import re

from django.core.cache import cache
from django.db import connection

from clients.models import Client

CACHE_KEY = "clients:attribute-keys"
CACHE_SECONDS = 300
SAMPLE = 50_000
MAX_KEYS = 500
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _query() -> list[str]:
    table = connection.ops.quote_name(Client._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT k FROM (SELECT attributes FROM {table} WHERE jsonb_typeof(attributes) = 'object' "
            f"AND attributes <> '{{}}'::jsonb ORDER BY id DESC LIMIT %s) c, jsonb_object_keys(c.attributes) k "
            f"ORDER BY k LIMIT %s"
        )
    else:
        sql = (
            f"SELECT DISTINCT j.key FROM (SELECT attributes FROM {table} WHERE json_type(attributes) = 'object' "
            f"ORDER BY id DESC LIMIT %s) c, json_each(c.attributes) j ORDER BY j.key LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [SAMPLE, MAX_KEYS])
        return [key for (key,) in cursor.fetchall() if isinstance(key, str) and _KEY.match(key) and "__" not in key]


def attribute_keys() -> list[str]:
    """The attribute names in use, sorted (cached)."""
    keys = cache.get(CACHE_KEY)
    if not isinstance(keys, list):
        keys = _query()
        cache.set(CACHE_KEY, keys, CACHE_SECONDS)
    return keys


def attribute_keys_forget() -> None:
    """New attributes were written (an import, an admin edit): the next call reads them again."""
    cache.delete(CACHE_KEY)

"""The database floor: claim a batch with ``SKIP LOCKED`` and mark it accepted in bulk, with no HTTP and no
rendering. Two worker processes run ``floor_task`` on the same send; the engine's rate is reported as a share of
this one. Workers load it with ``-I bench.floor``.
"""

from __future__ import annotations

import uuid

from celery import shared_task
from django.db import connection, transaction

from notifications.models import Message

TABLE = Message._meta.db_table
CLAIM_SQL = f"""
WITH picked AS (SELECT id FROM {TABLE} WHERE send_id = %s AND state = 'pending' ORDER BY id LIMIT %s
                FOR NO KEY UPDATE SKIP LOCKED)
UPDATE {TABLE} AS t SET state = 'sending', claim_token = %s, lease_until = now() + interval '120 seconds',
       attempts = t.attempts + 1, sent_at = now(), updated_at = now()
FROM picked WHERE t.id = picked.id RETURNING t.id
"""
RECORD_SQL = f"""
UPDATE {TABLE} SET state = 'accepted', accepted_at = now(), provider_message_id = 'op-' || id, lease_until = NULL,
       status_name = 'PENDING_ACCEPTED', updated_at = now()
WHERE id = ANY(%s) AND claim_token = %s
"""


def floor_run(*, send_id: int, batch: int) -> int:
    """Claim and record batches until nothing is pending; returns the rows this process recorded."""
    done = 0
    while True:
        token = uuid.uuid4()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL, [send_id, batch, token])
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return done
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RECORD_SQL, [ids, token])
            done += cursor.rowcount


@shared_task(ignore_result=True)
def floor_task(send_id: int, batch: int) -> None:
    floor_run(send_id=send_id, batch=batch)

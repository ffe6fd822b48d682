"""The benchmark's data, made with set-based SQL: clients, campaign audiences (buckets) and accepted messages.

Clients ``1..N`` are numbered by ``generate_series``. The first 90 % can all be reached on both channels, so a
bucket cut from them is a campaign of exactly that many recipients; the last 10 % carry every exclusion reason
(inactive, no phone, no email, opted out of SMS or email, outage notices muted, not using a service) so the
audience counts have something to count.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

CLIENTS_SQL = """
INSERT INTO clients_client (external_ref, name, account, email, phone, language, uses_sms_service,
    uses_email_service, email_consent, email_opt_out_source, sms_consent, sms_opt_out_source, muted_kinds, is_active,
    region, network, plan, tags, attributes, created_at, updated_at)
SELECT 'B' || g, 'Client ' || g, 'Account ' || (mod(g, 1000)),
       CASE WHEN t.tail AND mod(g, 10) = 3 THEN '' ELSE 'client' || g || '@bench.example.com' END,
       CASE WHEN t.tail AND mod(g, 10) = 1 THEN '' ELSE '+336' || lpad(g::text, 8, '0') END,
       (ARRAY['en', 'fr', 'de'])[1 + mod(g, 3)],
       NOT (t.tail AND mod(g, 10) = 6), NOT (t.tail AND mod(g, 10) = 7),
       NOT (t.tail AND mod(g, 10) = 4), '', NOT (t.tail AND mod(g, 10) = 2), '',
       CASE WHEN t.tail AND mod(g, 10) = 5 THEN '["outage"]'::jsonb ELSE '[]'::jsonb END,
       NOT (t.tail AND mod(g, 10) = 0),
       'R' || (mod(g, 10)), 'N' || (mod(g, 50)), 'P' || (mod(g, 100)),
       CASE WHEN mod(g, 50) = 0 THEN '["vip"]'::jsonb ELSE '[]'::jsonb END,
       jsonb_build_object('monthly_spend', mod(g, 500), 'last_visit',
                          to_char(date '2025-01-01' + (mod(g, 365)), 'YYYY-MM-DD')),
       now(), now()
FROM generate_series(1, %(n)s) AS g
CROSS JOIN LATERAL (SELECT g > %(reachable)s AS tail) AS t
"""

# SMS text and email in three languages, with the send variables and signed links a real notice carries.
CONTENT = {
    "en": {
        "sms": {
            "text": "{{ client_name }}: {{ incident_title }} since {{ started_at }}. Engineers are on site, "
            "expected back by {{ expected_resolution }}. {{ status_page }}"
        },
        "email": {
            "subject": "{{ incident_title }}: {{ service }}",
            "text": "Dear {{ client_name }},\n\n{{ incident_title }} affects {{ service }} since {{ started_at }}. "
            "We expect it back by {{ expected_resolution }}. Follow it on {{ status_page }}.\n\n"
            "Unsubscribe: {{ unsubscribe_url }}",
            "html": "<p>Dear {{ client_name }},</p><p><b>{{ incident_title }}</b> affects {{ service }} since "
            "{{ started_at }}. We expect it back by {{ expected_resolution }}.</p>"
            '<p><a href="{{ status_page }}">Status page</a> · '
            '<a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
        },
    },
    "fr": {
        "sms": {
            "text": "{{ client_name }} : {{ incident_title }} depuis {{ started_at }}. Retour prévu vers "
            "{{ expected_resolution }}. {{ status_page }}"
        },
        "email": {
            "subject": "{{ incident_title }} : {{ service }}",
            "text": "Bonjour {{ client_name }},\n\n{{ incident_title }} touche {{ service }} depuis {{ started_at }}."
            " Retour prévu vers {{ expected_resolution }}.\n\nDésinscription : {{ unsubscribe_url }}",
            "html": "<p>Bonjour {{ client_name }},</p><p><b>{{ incident_title }}</b> touche {{ service }}.</p>"
            '<p><a href="{{ unsubscribe_url }}">Se désinscrire</a></p>',
        },
    },
}
VARIABLES = {
    "incident_title": "Fibre outage",
    "service": "Internet and TV",
    "started_at": "14:05",
    "expected_resolution": "18:00",
    "status_page": "https://status.example.com/i/42",
}

# The bare baseline: the same rows as materialize writes for a bucket, with nothing decided (no exclusion CASE, no
# language fallback, no ON CONFLICT).
BASELINE_SQL = """
INSERT INTO notifications_message (client_id, send_id, channel, state, skip_reason, destination, language, subject,
    body, html, parts, attempts, provider_message_id, bulk_id, status_name, error_code, error_text, created_at,
    updated_at)
SELECT c.id, %(send)s, %(channel)s, 'pending', '', CASE WHEN %(channel)s = 'sms' THEN c.phone ELSE c.email END,
       c.language, '', '', '', 0, 0, '', '', '', '', '', now(), now()
FROM clients_client c JOIN clients_bucketmembership b ON b.client_id = c.id AND b.bucket_id = %(bucket)s
"""

ACCEPTED_SQL = """
INSERT INTO notifications_message (client_id, send_id, channel, state, skip_reason, destination, language, subject,
    body, html, parts, attempts, provider_message_id, bulk_id, status_name, error_code, error_text, created_at,
    sent_at, accepted_at, updated_at)
SELECT c.id, %(send)s, 'sms', 'accepted', '', c.phone, c.language, '', 'Outage in your area.', '', 1, 1, '', '',
       'PENDING_ACCEPTED', '', '', now(), now(), now(), now()
FROM clients_client c WHERE c.id <= %(n)s
"""


def clients_generate(*, count: int) -> None:
    """Insert ``count`` clients in one statement, then VACUUM ANALYZE as autovacuum would after a bulk load."""
    with connection.cursor() as cursor:
        cursor.execute(CLIENTS_SQL, {"n": count, "reachable": reachable(count)})
        cursor.execute("VACUUM ANALYZE clients_client")


def reachable(count: int) -> int:
    """How many of the first clients can be reached on every channel (campaign sizes must stay below this)."""
    return count * 9 // 10


def bucket_create(*, name: str, size: int, offset: int = 0) -> int:
    """A bucket of ``size`` reachable clients starting after ``offset``; returns its id."""
    from clients.models import Bucket

    bucket = Bucket.objects.create(name=name, slug=name)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO clients_bucketmembership (bucket_id, client_id, added_at) "
            "SELECT %s, id, now() FROM clients_client WHERE id > %s ORDER BY id LIMIT %s",
            [bucket.pk, offset, size],
        )
        cursor.execute("ANALYZE clients_bucketmembership")
    return bucket.pk


def messages_clear() -> None:
    """Empty the send tables between runs so every run starts from the same state."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE notifications_deliveryreport, notifications_providercall, notifications_message, "
            "notifications_send CASCADE"
        )


def accepted_messages_create(*, count: int) -> list[int]:
    """A send with ``count`` SMS already accepted by the provider (what delivery reports are about); returns ids."""
    from notifications.models import Message, Send

    now = timezone.now()
    send = Send.objects.create(
        label="reports",
        channels=["sms"],
        state=Send.State.SENDING,
        content=CONTENT,
        started_at=now,
        materialized_at=now,
    )
    with connection.cursor() as cursor:
        cursor.execute(ACCEPTED_SQL, {"send": send.pk, "n": count})
        cursor.execute("VACUUM ANALYZE notifications_message")
    return list(Message.objects.filter(send=send).order_by("pk").values_list("pk", flat=True))


def materialize_unrung(send_id: int) -> int:
    """Materialize a send without ringing dispatch, for phases that start (and time) dispatch themselves.

    Materialize rings dispatch after its first chunk when it moves a send to sending; a paused send gets its rows
    but no doorbell. So the send is paused while its rows are written, then left ``sending``, as a one-pass
    materialize used to leave it. Returns the rows written."""
    from notifications.models import Send
    from notifications.services.materialize import send_materialize

    Send.objects.filter(pk=send_id).update(state=Send.State.PAUSED)
    rows = send_materialize(send_id=send_id)
    Send.objects.filter(pk=send_id).update(state=Send.State.SENDING, started_at=timezone.now())
    return rows

"""Server time of the tracking pages for one notice of 100,000 messages, on PostgreSQL.

Creates a throw-away database (``bench_tracking``), fills it with set-based SQL (``generate_series``: 100,000
clients and one message each, in realistic states and times), ANALYZEs, then times each page through Django's test
client in-process (no network, so the figure is server time: URL routing, queries, template rendering). Prints the
median and the slowest of several runs, and the number of SQL queries per page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/op_tracking .venv/bin/python bench/tracking_pages.py [--messages N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

CLIENTS_SQL = """
INSERT INTO clients_client (external_ref, name, account, email, phone, language, uses_sms_service,
    uses_email_service, email_consent, email_opt_out_source, sms_consent, sms_opt_out_source, muted_kinds, is_active,
    region, network, plan, tags, attributes, created_at, updated_at)
SELECT 'BENCH-' || g, 'Client ' || g, 'Account ' || (g %% 500), 'client' || g || '@example.com',
       '+336' || lpad(g::text, 8, '0'), CASE WHEN g %% 3 = 0 THEN 'fr' ELSE 'en' END, true, true, true, '', true, '',
       '[]', true, 'North', '', 'business', '[]', '{}', now(), now()
FROM generate_series(1, %(n)s) AS g
"""

# States by client id modulo 100: 85% delivered, 5% accepted, 3% pending, 2% undeliverable, 1% rejected,
# 1% expired, 1% failed, 2% skipped. Acceptance spreads over about 200 seconds, reports follow within 30 s.
MESSAGES_SQL = """
INSERT INTO notifications_message (send_id, client_id, channel, destination, language, state, skip_reason, subject,
    body, html, parts, attempts, provider_message_id, bulk_id, status_name, error_code, error_text, created_at,
    sent_at, accepted_at, done_at, updated_at)
SELECT %(send)s, c.id, 'sms', c.phone, c.language, s.state,
       CASE WHEN s.state = 'skipped' THEN 'opted_out' ELSE '' END, '',
       'Fibre outage in your area since 14:05. Engineers are on site. Next update at 16:00.', '', 1,
       CASE WHEN s.state IN ('pending', 'skipped') THEN 0 ELSE 1 END,
       CASE WHEN s.state IN ('pending', 'skipped', 'failed') THEN '' ELSE 'ib-' || c.id END, '',
       CASE s.state WHEN 'delivered' THEN 'DELIVERED_TO_HANDSET' WHEN 'undeliverable' THEN 'UNDELIVERABLE_NOT_DELIVERED'
            WHEN 'rejected' THEN 'REJECTED_DESTINATION' WHEN 'expired' THEN 'EXPIRED_EXPIRED' ELSE '' END,
       CASE s.state WHEN 'undeliverable' THEN 'EC_ABSENT_SUBSCRIBER' WHEN 'failed' THEN 'timeout' ELSE '' END,
       CASE s.state WHEN 'failed' THEN 'Provider timed out' ELSE '' END,
       %(t0)s, a.at, CASE WHEN s.state IN ('pending', 'skipped', 'failed') THEN NULL ELSE a.at END,
       CASE WHEN s.state IN ('delivered', 'undeliverable', 'rejected', 'expired')
            THEN a.at + ((c.id %% 30) || ' seconds')::interval END, now()
FROM clients_client c
CROSS JOIN LATERAL (SELECT CASE
    WHEN c.id %% 100 < 85 THEN 'delivered' WHEN c.id %% 100 < 90 THEN 'accepted' WHEN c.id %% 100 < 93 THEN 'pending'
    WHEN c.id %% 100 < 95 THEN 'undeliverable' WHEN c.id %% 100 < 96 THEN 'rejected'
    WHEN c.id %% 100 < 97 THEN 'expired' WHEN c.id %% 100 < 98 THEN 'failed' ELSE 'skipped' END AS state) s
CROSS JOIN LATERAL (SELECT %(t0)s + ((c.id %% %(n)s) / 500.0 || ' seconds')::interval AS at) a
WHERE c.external_ref LIKE 'BENCH-%%'
"""


def build(n: int):
    """One incident, one notice with its main send, n clients and n messages; returns (user, campaign)."""
    from campaigns.models import Campaign, CampaignEvent, CampaignSend, Incident
    from notifications.models import Send

    user = User.objects.create_user("bench-ops", password="pass-Word-123")
    user.groups.add(Group.objects.get(name="Ops"))
    incident = Incident.objects.create(title="Fibre outage, Lyon north")
    campaign = Campaign.objects.create(
        incident=incident,
        title="Fibre outage, Lyon north",
        channels=["sms"],
        state=Campaign.State.SENDING,
        created_by=user,
        audience_size=n,
    )
    t0 = timezone.now() - timezone.timedelta(minutes=10)
    send = Send.objects.create(
        label="bench", channels=["sms"], state=Send.State.SENDING, started_at=t0, materialized_at=t0
    )
    CampaignSend.objects.create(campaign=campaign, send=send, role=CampaignSend.Role.MAIN)
    for action in ("drafted", "tested", "approved", "sent"):
        CampaignEvent.objects.create(campaign=campaign, actor=user, action=action)
    with connection.cursor() as cursor:
        cursor.execute(CLIENTS_SQL, {"n": n})
        cursor.execute(MESSAGES_SQL, {"send": send.pk, "t0": t0, "n": n})
        # What autovacuum does after a bulk insert: statistics and the visibility map (index-only scans).
        cursor.execute("VACUUM ANALYZE clients_client")
        cursor.execute("VACUUM ANALYZE notifications_message")
    return user, campaign


def measure(client: Client, url: str, runs: int) -> tuple[float, float, int, int]:
    """(median ms, max ms, queries, status) over ``runs`` requests after one warm-up."""
    client.get(url)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    return statistics.median(timings), max(timings), len(queries), response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL.")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "bench_tracking"
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        user, campaign = build(args.messages)
        print(f"built {args.messages:,} messages in {time.perf_counter() - started:.1f} s")
        client = Client()
        client.force_login(user)
        from notifications.models import Message

        middle = (
            Message.objects.filter(send__campaign_link__campaign=campaign)
            .order_by("id")
            .values_list("id", flat=True)[args.messages // 2]
        )
        pages = [
            ("campaign page", reverse("campaigns:detail", args=[campaign.pk])),
            ("progress (htmx partial)", reverse("campaigns:progress", args=[campaign.pk])),
            ("progress (JSON, with chart series)", reverse("campaigns:progress", args=[campaign.pk]) + "?format=json"),
            ("recipients, first page", reverse("campaigns:recipients", args=[campaign.pk])),
            ("recipients, middle page", reverse("campaigns:recipients", args=[campaign.pk]) + f"?after={middle}"),
            ("recipients, failures only", reverse("campaigns:recipients", args=[campaign.pk]) + "?state=failures"),
            ("recipients, search by name", reverse("campaigns:recipients", args=[campaign.pk]) + "?q=Client+4242"),
            ("recipients, search by phone", reverse("campaigns:recipients", args=[campaign.pk]) + "?q=%2B33600004242"),
            ("failures page", reverse("campaigns:failures", args=[campaign.pk])),
            ("notice list", reverse("campaigns:list")),
            ("dashboard", reverse("home")),
            ("failures CSV (streamed, full)", reverse("campaigns:export_failures", args=[campaign.pk])),
        ]
        print(f"{'page':36} {'median ms':>10} {'max ms':>8} {'queries':>8} {'status':>7}")
        for name, url in pages:
            median, worst, queries, status = measure(client, url, args.runs)
            print(f"{name:36} {median:10.1f} {worst:8.1f} {queries:8d} {status:7d}")
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

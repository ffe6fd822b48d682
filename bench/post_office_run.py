"""The peer a Django team would pick: django-post_office queues one email per client of a bucket and sends them
to the SMTP sink with ``send_queued(processes=N)``, batch after batch, until none is left.

    DJANGO_SETTINGS_MODULE=bench.settings_post_office BENCH_SMTP_PORT=2525 python -m bench.post_office_run --bucket 3

With ``--max-send-seconds`` it stops after the batch that crosses that time. Prints one JSON line: the seconds
spent queueing and sending, the emails sent and failed, and (seconds, emails sent) after each batch for the plot.
Templates are post_office's own (Django template language), one per language,
with the same text as the engine's; every email carries the same signed one-click unsubscribe headers.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_post_office")

import django  # noqa: E402

django.setup()

from post_office import mail  # noqa: E402
from post_office.models import STATUS, Email, EmailTemplate  # noqa: E402

from bench.dataset import CONTENT, VARIABLES  # noqa: E402
from clients import links  # noqa: E402
from clients.models import Client  # noqa: E402


def templates() -> dict[str, EmailTemplate]:
    """The engine's ``{{ name }}`` placeholders are valid Django template syntax as they are."""
    made = {}
    for language, parts in CONTENT.items():
        email = parts["email"]
        made[language] = EmailTemplate.objects.create(
            name=f"outage-{language}-{time.time_ns()}",
            subject=email["subject"],
            content=email["text"],
            html_content=email["html"],
        )
    return made


def queue(*, bucket_id: int, sender: str, chunk: int = 1000) -> int:
    by_language = templates()
    clients = (
        Client.objects.filter(memberships__bucket_id=bucket_id)
        .exclude(email="")
        .order_by("pk")
        .only("pk", "name", "email", "language")
    )
    batch: list[dict] = []
    count = 0
    for client in clients.iterator(chunk_size=chunk):
        unsubscribe = links.unsubscribe_url(client.pk, "email")
        batch.append(
            {
                "recipients": [client.email],
                "sender": sender,
                "template": by_language.get(client.language, by_language["en"]),
                "context": {**VARIABLES, "client_name": client.name, "unsubscribe_url": unsubscribe},
                "headers": {
                    "List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            }
        )
        if len(batch) >= chunk:
            mail.send_many(batch)
            count += len(batch)
            batch = []
    if batch:
        mail.send_many(batch)
        count += len(batch)
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucket", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--sender", default="status@example.com")
    parser.add_argument("--max-send-seconds", type=float, default=0, help="stop after the batch that crosses this")
    args = parser.parse_args()
    Email.objects.all().delete()
    started = time.perf_counter()
    queued = queue(bucket_id=args.bucket, sender=args.sender)
    queued_at = time.perf_counter()
    timeline = [(queued_at - started, 0)]
    sent = failed = 0
    while True:
        batch_sent, batch_failed, _requeued = mail.send_queued(processes=args.processes)
        if batch_sent + batch_failed == 0:
            break
        sent += batch_sent
        failed += batch_failed
        timeline.append((time.perf_counter() - started, sent))
        if args.max_send_seconds and time.perf_counter() - queued_at >= args.max_send_seconds:
            break
    finished = time.perf_counter()
    print(
        json.dumps(
            {
                "queued": queued,
                "sent": sent,
                "failed": failed,
                "sent_in_db": Email.objects.filter(status=STATUS.sent).count(),
                "queue_seconds": queued_at - started,
                "send_seconds": finished - queued_at,
                "seconds": finished - started,
                "timeline": timeline,
            }
        )
    )


if __name__ == "__main__":
    main()

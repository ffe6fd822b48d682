"""CPU profile of delivery-report ingestion: ``reports_record`` on batches of 100 webhook reports (cProfile).

    DATABASE_URL=postgres://…/op_perf .venv/bin/python bench/profile_reports.py

Run ``bench/profile_dispatch.py`` first: it leaves a send whose messages are accepted. Each batch of 100 reports
(DELIVERED, parsed by the webhook's own parser) is applied as the webhook would; prints reports per second and the
top functions.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def main() -> None:
    import django

    django.setup()
    from notifications.models import DeliveryReport, Message, Send, message_id_for
    from notifications.services.reports import reports_record
    from notifications.webhooks.reports import parse_reports

    send = Send.objects.latest("id")
    Message.objects.filter(send=send).update(state="accepted")
    DeliveryReport.objects.all().delete()
    pks = list(Message.objects.filter(send=send).values_list("pk", flat=True))
    bodies = []
    for start in range(0, len(pks), 100):
        results = [
            {
                "messageId": message_id_for(pk),
                "bulkId": "b",
                "to": "33620000000",
                "doneAt": "2026-01-01T10:00:00.000+0000",
                "sentAt": "2026-01-01T09:59:59.000+0000",
                "messageCount": 1,
                "status": {
                    "groupId": 3,
                    "groupName": "DELIVERED",
                    "id": 5,
                    "name": "DELIVERED_TO_HANDSET",
                    "description": "Message delivered to handset",
                },
                "error": {
                    "groupId": 0,
                    "groupName": "OK",
                    "id": 0,
                    "name": "NO_ERROR",
                    "description": "No Error",
                    "permanent": False,
                },
            }
            for pk in pks[start : start + 100]
        ]
        bodies.append(json.dumps({"results": results}).encode())
    profiler = cProfile.Profile()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    profiler.enable()
    for body in bodies:
        reports_record(reports=parse_reports(body))
    profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    delivered = Message.objects.filter(send=send, state="delivered").count()
    print(
        f"{len(pks):,} reports in {wall:.2f}s = {len(pks) / wall:,.0f}/s; {delivered:,} delivered; "  # noqa: T201
        f"{cpu / len(pks) * 1e6:.0f} us CPU per report in this process"
    )
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()

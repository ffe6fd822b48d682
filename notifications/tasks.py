"""Celery tasks: thin doorbells that take ids and call one service.

The database is the source of truth, so running a task twice, late or never costs nothing (the sweeper rings
again). ``acks_late`` and ``reject_on_worker_lost`` are set globally (settings); countdowns stay a few seconds at
most, because Redis redelivers unacked messages after the visibility timeout. Services ring these tasks by name
(``notifications/services/doorbell.py``), so this module is the only one that imports both sides.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task
from django.utils import timezone

from notifications.services.dispatch import dispatch_run
from notifications.services.doorbell import DISPATCH_TASK, MATERIALIZE_TASK
from notifications.services.materialize import send_materialize
from notifications.services.pull import reports_pull
from notifications.services.reconcile import messages_reconcile
from notifications.services.sweep import sends_sweep

REENQUEUE_HORIZON = timedelta(seconds=5)


@shared_task(name=MATERIALIZE_TASK, ignore_result=True)
def materialize_task(send_id: int) -> None:
    send_materialize(send_id=send_id)  # rings dispatch itself, after its first chunk and after its last


@shared_task(name=DISPATCH_TASK, bind=True, ignore_result=True)
def dispatch_task(self: Task, send_id: int, channel: str) -> None:
    summary = dispatch_run(send_id=send_id, channel=channel)
    # Work due within a few seconds (a 429's Retry-After, a short backoff): come back for it; later work is the
    # sweeper's.
    if not summary.paused and summary.next_due is not None:
        wait = (summary.next_due - timezone.now()).total_seconds()
        if wait <= REENQUEUE_HORIZON.total_seconds():
            self.apply_async((send_id, channel), countdown=max(wait, 0.2))


@shared_task(ignore_result=True)
def sweep_task() -> None:
    sends_sweep()


@shared_task(ignore_result=True)
def reconcile_task() -> None:
    messages_reconcile()


@shared_task(ignore_result=True)
def pull_reports_task() -> None:
    reports_pull()

"""Doorbells: the Celery messages a service rings after its transaction commits, sent by task name.

The database is the source of truth and a Celery message only says "look now" (a lost one is rung again by the
sweeper), so a service never needs the task objects: it sends the registered name. ``notifications/tasks.py``
registers its tasks under the same constants, so the dependency runs one way, tasks → services, and services never
import tasks. Every ring waits for ``transaction.on_commit``: a worker never looks before the rows it must find
are committed, and a rolled-back transaction rings nothing.
"""

from __future__ import annotations

from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction

MATERIALIZE_TASK = "notifications.tasks.materialize_task"
DISPATCH_TASK = "notifications.tasks.dispatch_task"


def _ring(calls: list[tuple[str, tuple[object, ...]]]) -> None:
    app = current_app
    for name, args in calls:
        if app.conf.task_always_eager:
            # send_task ignores eager mode (experiments only): find the registered task as a worker does, run it here.
            app.loader.import_default_modules()
            app.tasks[name].apply(args=args)
        else:
            app.send_task(name, args=args)


def materialize_kick(*, send_id: int) -> None:
    """After commit, ask a worker to create the send's message rows (``materialize_task``)."""
    transaction.on_commit(partial(_ring, [(MATERIALIZE_TASK, (send_id,))]))


def dispatch_kick(*, send_id: int, channels: list[str], parallel: int | None = None) -> None:
    """After commit, start ``DISPATCH_PARALLELISM`` dispatch tasks per channel (extras end at once)."""
    count = parallel or settings.DISPATCH_PARALLELISM
    calls: list[tuple[str, tuple[object, ...]]] = [
        (DISPATCH_TASK, (send_id, channel)) for channel in channels for _ in range(count)
    ]
    transaction.on_commit(partial(_ring, calls))

"""Run the periodic tasks that start work, as Celery beat would: the sweeper and every campaigns task."""

from __future__ import annotations

import importlib

from django.conf import settings


def run_beat_once() -> None:
    """One tick of the beat entries that start sends (not the report pull, retention or heartbeat), run inline."""
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        name = entry["task"]
        if name.startswith("campaigns.") or name == "notifications.tasks.sweep_task":
            module, function = name.rsplit(".", 1)
            getattr(importlib.import_module(module), function).apply()

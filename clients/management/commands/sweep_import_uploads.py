"""``manage.py sweep_import_uploads``: remove CSV uploads abandoned between preview and confirmation.

The admin's import page sweeps on every visit; run this from cron where the page may go unvisited for long.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clients.importing.uploads import MAX_AGE, import_previews_sweep, upload_dir


class Command(BaseCommand):
    help = "Remove uploaded CSV files older than the import confirmation window (one hour)."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = import_previews_sweep(older_than=MAX_AGE)
        self.stdout.write(f"{removed} abandoned upload(s) removed from {upload_dir()}")

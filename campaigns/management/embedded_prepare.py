"""What ``make run`` does before it serves: migrate, create the cache table, load the demo data once.

In the ``run_embedded`` process itself (``--prepare``) rather than three more ``manage.py`` processes, each of
which would load Django again: a first start is seconds shorter, and a newcomer's terminal gets two lines instead
of sixty migration lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def prepare(say: Callable[[str], None], *, demo: bool = True) -> None:
    """Bring the database up to date and, with ``demo``, load the demo data and its notices once."""
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    say(f"database ready ({pending} migration(s) applied)" if pending else "database ready")
    _vapid_keys(say)
    if demo:
        out = StringIO()
        call_command("seed_demo", once=True, notices=True, stdout=out)
        first = out.getvalue().strip().splitlines()[:1]
        say(first[0] if first else "demo data loaded")


def _vapid_keys(say: Callable[[str], None]) -> None:
    """Browser notifications on a laptop: a VAPID pair in var/vapid.json once, read by the settings of every
    process started after this one (and set in this one)."""
    if settings.VAPID_PRIVATE_KEY or settings.IS_PRODUCTION:
        return
    path = settings.VAR_DIR / "vapid.json"
    if not path.exists():
        call_command("vapid_keys", write=str(path), stdout=StringIO())
        say(f"browser notifications: VAPID key pair written to {path}")
    pair = json.loads(path.read_text())
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = pair["public_key"], pair["private_key"]

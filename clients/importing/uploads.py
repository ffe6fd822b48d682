"""Where uploaded CSV files wait between the admin's preview and its confirmation, and their expiry.

A file waits at most ``MAX_AGE`` seconds: the signed token of the confirm form expires then, so an older file can
never be imported and ``import_previews_sweep`` removes it.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

MAX_AGE = 3600


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_previews_sweep(*, older_than: float = MAX_AGE) -> int:
    """Remove uploads waiting longer than the confirmation window (their token no longer works). Returns how many."""
    cutoff = time.time() - older_than
    removed = 0
    for old in upload_dir().glob("*.csv"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
                removed += 1
        except FileNotFoundError:  # another process swept it first
            continue
    return removed

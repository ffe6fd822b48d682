"""The signing key of a machine without ``SECRET_KEY`` (a laptop running ``make run``): made once, then kept.

The key is ``secrets.token_urlsafe(50)`` in ``var/secret_key``, readable by its owner only (0600). The processes
``make run`` starts at the same moment (web server, worker, beat) must agree on it: the key is written to a
temporary file and hard-linked into place, which succeeds for exactly one of them; the others read the winner's.
Production never comes here: it refuses to start without ``SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def local_secret_key(path: Path) -> str:
    """The key kept at ``path``, creating it (0600) if there is none yet."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(temporary, path)  # atomic; fails if another process put its key there first
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text().strip()

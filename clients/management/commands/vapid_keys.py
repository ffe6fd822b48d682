"""``manage.py vapid_keys``: a new VAPID key pair for browser notifications (RFC 8292), as the settings read it.

Prints ``VAPID_PUBLIC_KEY=…`` and ``VAPID_PRIVATE_KEY=…`` (base64url: the uncompressed P-256 public point and the raw
32-byte private value) for the environment; ``--write FILE`` stores them as JSON instead, readable by the owner
only, which is what ``make run`` does with var/vapid.json. A new pair invalidates every browser subscription made
with the old public key, so rotate only on purpose.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_pair() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "public_key": _b64url(public),
        "private_key": _b64url(key.private_numbers().private_value.to_bytes(32, "big")),
    }


class Command(BaseCommand):
    help = "Generate a VAPID key pair for browser notifications (prints it, or --write FILE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", metavar="FILE", help="Store the pair as JSON in FILE (mode 600).")
        parser.add_argument("--force", action="store_true", help="Replace FILE if it exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        pair = vapid_pair()
        if not options["write"]:
            self.stdout.write(f"VAPID_PUBLIC_KEY={pair['public_key']}\nVAPID_PRIVATE_KEY={pair['private_key']}")
            return
        path = Path(options["write"])
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} exists; --force replaces it (and every browser subscription made with it).")
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(pair, handle)
        self.stdout.write(f"VAPID key pair written to {path}")

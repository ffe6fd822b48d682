"""Test settings: the portal's own settings, pointed at PostgreSQL when one answers (as CI's does).

``DATABASE_URL`` wins when set. Without it, a PostgreSQL on 127.0.0.1:5432 is used if it answers, else SQLite, so
``make test`` works anywhere; tests marked ``postgres`` then skip (or fail with ``REQUIRE_SERVICES=1``).
"""

import os
import socket


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# A fixed key for the test run and every process it starts (workers, servers), so nothing is written to var/.
os.environ.setdefault("SECRET_KEY", "tests-only-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz")

if not os.environ.get("DATABASE_URL") and not os.environ.get("TEST_FORCE_SQLITE") and _answers("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/outage_portal"

from outage_portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
INFOBIP_WEBHOOK_SECRETS = ["test-secret", "old-test-secret"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Never the laptop's var/vapid.json (written by `make run`): browser notifications are off unless a test turns them
# on (tests/fixtures/push.py, which passes the keys to its workers in their environment).
VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")

"""Shared fixtures. Service-backed tests carry a marker; without the service they skip, and with
``REQUIRE_SERVICES=1`` (as ``.ci/run`` sets) they fail instead, so CI never passes by skipping."""

from __future__ import annotations

import os
import shutil
import socket

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _missing_service(marker: str) -> str | None:
    if marker == "postgres" and not settings.IS_POSTGRES:
        return "PostgreSQL is not configured or not answering on 127.0.0.1:5432"
    if marker == "redis" and not _answers("127.0.0.1", 6379):
        return "Redis is not answering on 127.0.0.1:6379"
    if marker == "browser":
        if not (os.path.exists(CHROMIUM_PATH) or shutil.which("chromium")):
            return f"Chromium not found at {CHROMIUM_PATH}"
        try:
            import playwright  # noqa: F401
        except ImportError:
            return "playwright is not installed"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing_service(marker)
        if reason is None:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)

"""Shared fixtures. Service-backed tests carry a marker; without the service they skip, and with
``REQUIRE_SERVICES=1`` (as ``.ci/run`` sets) they fail instead, so CI never passes by skipping."""

from __future__ import annotations

import os
import shutil
import socket

import pytest
from django.conf import settings

pytest_plugins = ["tests.fixtures.sandbox", "tests.fixtures.worker", "tests.fixtures.figures", "tests.fixtures.push"]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


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
        if not os.path.exists(CHROMIUM_PATH):
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


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (Debian's, driven by Playwright)."""
    reason = _missing_service("browser")
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context and page per test (desktop viewport)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium):
    """A page at a phone's viewport, for customer-facing pages."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def browser_login(page, live_server, username: str, password: str = "pass-Word-123") -> None:
    """Log in through the real login form."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

"""The settings' defaults need no server and are safe: each test imports outage_portal.settings in a fresh
subprocess with a clean environment, as a newcomer's laptop (or production) would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.foundation.embedded import BASE_DIR, clean_env

PROBE = """
import json
import django
from django.conf import settings
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy = cursor.fetchone()[0]
from outage_portal.celery import app
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "journal": journal,
    "busy_ms": busy,
    "broker": app.conf.broker_url,
    "always_eager": app.conf.task_always_eager,
    "transport": app.conf.broker_transport_options,
    "infobip": settings.INFOBIP_BASE_URL,
    "base_url": settings.PORTAL_BASE_URL,
    "session_secure": getattr(settings, "SESSION_COOKIE_SECURE", False),
    "static_finders": settings.WHITENOISE_USE_FINDERS,
}))
"""


def run_settings(tmp_path, code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def defaults(tmp_path_factory):
    """What the settings say with no variable set."""
    var_dir = tmp_path_factory.mktemp("var")
    result = run_settings(var_dir, PROBE)
    assert result.returncode == 0, result.stderr
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "var_dir": str(var_dir)}


def test_debug_is_off_unless_asked(defaults, tmp_path):
    """DEBUG is off by default and on only when DEBUG=1 is set."""
    assert defaults["debug"] is False
    result = run_settings(tmp_path, "from django.conf import settings; print(settings.DEBUG)", DEBUG="1")
    assert result.stdout.strip() == "True"


def test_sqlite_in_var_dir_by_default(defaults):
    """Without DATABASE_URL the portal uses SQLite in PORTAL_VAR_DIR."""
    assert defaults["engine"] == "django.db.backends.sqlite3"
    assert defaults["db_name"].startswith(defaults["var_dir"])


def test_sqlite_connection_is_in_wal_mode_with_a_busy_timeout(defaults):
    """A new SQLite connection runs in WAL mode and waits for locks, so the web and the worker can share it."""
    assert defaults["journal"] == "wal"
    assert defaults["busy_ms"] >= 5000


def test_filesystem_broker_when_celery_broker_url_unset(defaults):
    """Without CELERY_BROKER_URL Celery uses kombu's filesystem transport, entirely under var/, never eager mode."""
    assert defaults["broker"].startswith("filesystem://")
    assert defaults["always_eager"] is False
    folders = [
        defaults["transport"][key]
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
    ]
    assert all(folder.startswith(defaults["var_dir"]) for folder in folders), folders


def test_database_and_broker_urls_select_postgresql_and_redis(tmp_path):
    """DATABASE_URL picks PostgreSQL and CELERY_BROKER_URL picks Redis (with a visibility timeout)."""
    code = (
        "import json; from django.conf import settings; from outage_portal.celery import app; "
        "print(json.dumps([settings.DATABASES['default']['ENGINE'], app.conf.broker_url, "
        "app.conf.broker_transport_options.get('visibility_timeout')]))"
    )
    result = run_settings(
        tmp_path,
        code,
        DATABASE_URL="postgres://portal@db.example.com:5432/portal",
        CELERY_BROKER_URL="redis://redis.example.com:6379/0",
    )
    assert result.returncode == 0, result.stderr
    engine, broker, visibility = json.loads(result.stdout.strip().splitlines()[-1])
    assert engine == "django.db.backends.postgresql"
    assert broker == "redis://redis.example.com:6379/0"
    assert visibility and visibility > 0


def test_defaults_point_at_the_local_portal_and_sandbox(defaults):
    """On a laptop, delivery reports come back to 127.0.0.1:8000 and messages go to the sandbox on 8025."""
    assert defaults["base_url"] == "http://127.0.0.1:8000"
    assert defaults["infobip"] == "http://127.0.0.1:8025"
    assert defaults["static_finders"] is True


@pytest.mark.parametrize("missing", ["SECRET_KEY", "INFOBIP_API_KEY", "INFOBIP_WEBHOOK_SECRET"])
def test_production_refuses_to_start_without_its_secrets(tmp_path, missing):
    """PORTAL_PRODUCTION=1 without a real secret stops at import with ImproperlyConfigured, never a default."""
    env = {
        "PORTAL_PRODUCTION": "1",
        "SECRET_KEY": "s" * 60,
        "INFOBIP_API_KEY": "key",
        "INFOBIP_WEBHOOK_SECRET": "hook",
        "ALLOWED_HOSTS": "portal.example.com",
    }
    del env[missing]
    result = run_settings(tmp_path, "from django.conf import settings; settings.SECRET_KEY", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_test_settings_fall_back_to_sqlite(tmp_path):
    """tests/settings.py runs on SQLite when TEST_FORCE_SQLITE=1 (or nothing answers on 5432), else PostgreSQL."""
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    forced = run_settings(tmp_path, code, DJANGO_SETTINGS_MODULE="tests.settings", TEST_FORCE_SQLITE="1")
    assert forced.stdout.strip().splitlines()[-1] == "django.db.backends.sqlite3", forced.stderr
    explicit = run_settings(
        tmp_path,
        code,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/anything",
    )
    assert explicit.stdout.strip().splitlines()[-1] == "django.db.backends.postgresql", explicit.stderr

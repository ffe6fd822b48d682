"""/healthz, /readyz with each dependency down, and the worker heartbeat they rely on."""

from __future__ import annotations

import socket
import time

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client as HttpClient
from django.test import override_settings

from outage_portal.heartbeat import worker_heartbeat_write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts without any worker heartbeat."""
    cache.clear()


def closed_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def worker_alive():
    worker_heartbeat_write(hostname="worker@test")


@pytest.fixture
def broken_database():
    """A connection alias whose server refuses connections (a closed port), for the readiness check to use."""
    default = connections["default"]
    settings_dict = {
        **default.settings_dict,
        "HOST": "127.0.0.1",
        "PORT": closed_port(),
        "NAME": "nowhere",
        "OPTIONS": {"connect_timeout": 1},
    }
    connections["broken"] = default.__class__(settings_dict, alias="broken")
    yield "broken"
    connections["broken"].close()
    delattr(connections._connections, "broken")


def test_healthz_answers_whatever_the_host():
    """/healthz is 200 JSON even for a Host that is not in ALLOWED_HOSTS (probes call the container's address)."""
    response = HttpClient().get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.redis
def test_readyz_is_200_when_database_broker_and_a_worker_answer(worker_alive, settings):
    """Every check ok → 200, each with its own status."""
    from tests.conftest import redis_url

    settings.CELERY_BROKER_URL = redis_url()
    response = HttpClient().get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "database": "ok",
        "broker": "ok",
        "worker": "ok",
    }
    assert checks["worker"]["hostname"] == "worker@test"


def test_readyz_is_503_when_the_broker_is_down(worker_alive):
    """A broker on a closed port → 503, broker "fail" with the error, database and worker still "ok"."""
    with override_settings(CELERY_BROKER_URL=f"redis://:hunter2secret@127.0.0.1:{closed_port()}/0"):
        response = HttpClient().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "fail" and "refused" in body["checks"]["broker"]["error"].lower()
    assert "hunter2secret" not in response.content.decode()
    assert body["checks"]["database"]["status"] == "ok" and body["checks"]["worker"]["status"] == "ok"


@pytest.mark.postgres
def test_readyz_is_503_when_the_database_is_unreachable(worker_alive, broken_database, tmp_path):
    """A database that refuses connections → 503 with database "fail"."""
    (tmp_path / "out").mkdir()
    with override_settings(
        READYZ_DATABASE_ALIAS=broken_database,
        CELERY_BROKER_URL="filesystem://",
        CELERY_BROKER_TRANSPORT_OPTIONS={"data_folder_in": str(tmp_path / "out")},
    ):
        response = HttpClient().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "fail" and checks["database"]["error"].startswith("OperationalError")
    assert checks["broker"] == {"status": "ok", "transport": "filesystem", "ms": checks["broker"]["ms"]}


def test_readyz_is_503_without_a_live_worker(tmp_path, settings):
    """No heartbeat ever, then a stale one: the worker check fails both times."""
    (tmp_path / "out").mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "out")}
    response = HttpClient().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["error"] == "no worker has reported a heartbeat"
    worker_heartbeat_write(hostname="worker@old", at=time.time() - settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS - 5)
    response = HttpClient().get("/readyz")
    assert response.status_code == 503 and "older than" in response.json()["checks"]["worker"]["error"]
    worker_heartbeat_write(hostname="worker@new")
    assert HttpClient().get("/readyz").status_code == 200


def test_filesystem_broker_without_its_folder_fails(worker_alive, tmp_path, settings):
    """With the filesystem broker, a missing queue folder makes the broker check fail."""
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "missing")}
    response = HttpClient().get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["broker"]["transport"] == "filesystem"


def test_heartbeat_signal_writes_at_most_every_interval(settings):
    """Celery's heartbeat signal refreshes the cache entry, throttled to WORKER_HEARTBEAT_WRITE_SECONDS."""
    from celery.signals import heartbeat_sent, worker_ready

    from outage_portal.heartbeat import worker_heartbeat_read

    settings.WORKER_HEARTBEAT_WRITE_SECONDS = 3600

    class Consumer:
        hostname = "worker@signal"

    worker_ready.send(sender=Consumer())
    first = worker_heartbeat_read()
    assert first["hostname"] == "worker@signal"
    heartbeat_sent.send(sender=object())
    assert worker_heartbeat_read()["at"] == first["at"]
    settings.WORKER_HEARTBEAT_WRITE_SECONDS = 0
    heartbeat_sent.send(sender=object())
    assert worker_heartbeat_read()["at"] >= first["at"]

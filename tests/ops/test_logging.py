"""Logs: JSON lines with masked destinations, no secrets, and a request id that follows a send into the worker."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest
from django.test import Client as HttpClient

from outage_portal.logging import JsonFormatter, PortalLogFilter, current_context, log_context

PHONE, EMAIL = "+33612345678", "jeanne.dupont@customer.example.com"


@pytest.fixture
def json_log():
    """The root logger also writes to a buffer through the production filter and JSON formatter."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(PortalLogFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(previous_level)


def test_phone_numbers_and_emails_are_masked_in_messages_and_arguments(json_log):
    """Neither the full number nor the full address reaches the line; their masked forms do."""
    logging.getLogger("portal.test").info("sent to %s and %s", PHONE, {"email": EMAIL, "to": "06 12 34 56 78"})
    (line,) = json_log()
    assert PHONE not in line["message"] and "0612345678" not in line["message"].replace(" ", "")
    assert EMAIL not in line["message"]
    assert "+33******78" in line["message"] and "***@customer.example.com" in line["message"]
    assert line["level"] == "INFO" and line["logger"] == "portal.test"


def test_secrets_are_never_logged(json_log, settings):
    """Authorization headers, key=value secrets, URL passwords and configured secrets are redacted."""
    logging.getLogger("portal.test").warning(
        "request headers %s url %s key=%s",
        {"Authorization": "App 0123456789abcdef-secret"},
        "redis://:p4ssw0rd@redis:6379/0",
        settings.INFOBIP_API_KEY,
    )
    logging.getLogger("portal.test").info("webhook secret is %s", settings.INFOBIP_WEBHOOK_SECRETS[0])
    text = json.dumps(json_log())
    for secret in (
        "0123456789abcdef-secret",
        "p4ssw0rd",
        settings.INFOBIP_API_KEY,
        settings.INFOBIP_WEBHOOK_SECRETS[0],
    ):
        assert secret not in text
    assert "[redacted]" in text


def test_tracebacks_are_masked_too(json_log):
    """An exception message carrying an address is masked in the logged traceback."""
    try:
        raise ValueError(f"bad destination {EMAIL}")
    except ValueError:
        logging.getLogger("portal.test").exception("failed")
    (line,) = json_log()
    assert "ValueError" in line["exception"] and EMAIL not in line["exception"]


def test_plain_format_is_masked_as_well(settings):
    """The laptop's plain format goes through the same filter."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(PortalLogFilter())
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    logger = logging.getLogger("portal.plain")
    logger.addHandler(handler)
    try:
        with log_context(request_id="req-plain"):
            logger.error("to %s", PHONE)
    finally:
        logger.removeHandler(handler)
    assert "[req-plain]" in buffer.getvalue() and PHONE not in buffer.getvalue()


def test_context_ids_appear_in_each_line(json_log):
    """Inside log_context the campaign, send and message ids are fields of the line, and vanish after."""
    logger = logging.getLogger("portal.test")
    with log_context(request_id="req-1", campaign_id=42, send_id=7):
        with log_context(message_id=99):
            logger.info("inner")
        logger.info("outer")
    logger.info("after")
    inner, outer, after = json_log()
    assert (inner["request_id"], inner["campaign_id"], inner["send_id"], inner["message_id"]) == (
        "req-1",
        "42",
        "7",
        "99",
    )
    assert "message_id" not in outer and outer["campaign_id"] == "42"
    assert "request_id" not in after and current_context() == {}


@pytest.mark.django_db
def test_request_id_is_accepted_or_generated_and_echoed(json_log):
    """A well-formed X-Request-ID is kept and echoed; a bad one is replaced; lines of the request carry it."""
    response = HttpClient().get("/api/v1/notices/1", HTTP_X_REQUEST_ID="edge-7f3a")
    assert response["X-Request-ID"] == "edge-7f3a"
    assert any(line.get("request_id") == "edge-7f3a" for line in json_log())
    replaced = HttpClient().get("/healthz", HTTP_X_REQUEST_ID="bad id\n<script>")
    assert replaced["X-Request-ID"] != "bad id\n<script>" and len(replaced["X-Request-ID"]) == 32


def test_the_context_rides_in_task_headers_and_is_bound_in_the_worker():
    """before_task_publish copies the context into the headers; task_prerun binds it plus the task's id arguments."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    from outage_portal.celery import app

    @app.task(name="tests.ops.logging_probe", bind=True)
    def probe(self, send_id, message_id=None):
        return current_context()

    headers: dict = {}
    with log_context(request_id="req-web", campaign_id=5):
        before_task_publish.send(sender=probe.name, body=None, headers=headers)
    assert headers["portal_context"] == {"request_id": "req-web", "campaign_id": "5"}

    probe.push_request(portal_context=headers["portal_context"], id="task-1")
    try:
        task_prerun.send(sender=probe, task_id="task-1", task=probe, args=(11,), kwargs={"message_id": 12})
        bound = current_context()
        task_postrun.send(sender=probe, task_id="task-1", task=probe)
    finally:
        probe.pop_request()
    assert bound == {"request_id": "req-web", "campaign_id": "5", "send_id": "11", "message_id": "12"}
    assert current_context() == {}


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_request_id_reaches_a_real_worker_log_line(celery_worker_factory):
    """A task published inside a request's context logs, in the worker process, a JSON line with that request id."""
    from kombu import Connection

    from notifications.retention import retention_task
    from tests.fixtures.worker import redis_url

    worker = celery_worker_factory(beat=False, concurrency=1, LOG_FORMAT="json")
    with log_context(request_id="req-into-worker", campaign_id=314), Connection(redis_url()) as connection:
        retention_task.apply_async(connection=connection)
    deadline = time.monotonic() + 30
    found = None
    while time.monotonic() < deadline and found is None:
        for raw in worker.log_path.read_text(errors="replace").splitlines():
            if raw.startswith("{") and "retention:" in raw:
                found = json.loads(raw)
        time.sleep(0.3)
    assert found is not None, worker.log_tail()
    assert found["request_id"] == "req-into-worker" and found["campaign_id"] == "314"

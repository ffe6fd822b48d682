"""Retention: old message contents and raw report payloads are removed, the rows and counts stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import DeliveryReport, Message
from notifications.retention import retention_apply, retention_task
from tests.ops.factories import DeliveryReportFactory
from tests.tracking.factories import MessageFactory, SendFactory

pytestmark = pytest.mark.django_db


def test_old_final_messages_lose_their_contents_and_old_reports_their_payload(settings):
    """Older than RETENTION_DAYS and final → body, html, subject emptied; everything else and every count kept."""
    settings.RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    send = SendFactory()
    old_done = MessageFactory(
        send=send,
        state=Message.State.DELIVERED,
        created_at=old,
        subject="Outage",
        body="Outage at 12 Main St",
        html="<p>Outage</p>",
        provider_message_id="p-1",
    )
    old_pending = MessageFactory(send=send, state=Message.State.PENDING, created_at=old, body="still to send")
    recent = MessageFactory(send=send, state=Message.State.DELIVERED, body="recent")
    old_report = DeliveryReportFactory(message=old_done, received_at=old)
    recent_report = DeliveryReportFactory(message=recent)
    counts_before = (Message.objects.count(), DeliveryReport.objects.count())

    result = retention_task.apply().get()

    assert result == {"messages_redacted": 1, "reports_redacted": 1, "replies_redacted": 0}
    old_done.refresh_from_db()
    assert (old_done.body, old_done.html, old_done.subject) == ("", "", "")
    assert old_done.state == Message.State.DELIVERED and old_done.provider_message_id == "p-1"
    old_pending.refresh_from_db()
    recent.refresh_from_db()
    assert old_pending.body == "still to send" and recent.body == "recent"
    old_report.refresh_from_db()
    recent_report.refresh_from_db()
    assert old_report.payload == {} and old_report.status_name == "DELIVERED_TO_HANDSET"
    assert recent_report.payload != {}
    assert (Message.objects.count(), DeliveryReport.objects.count()) == counts_before


def test_running_twice_changes_nothing_more():
    """A second run finds nothing left to remove."""
    MessageFactory(state=Message.State.FAILED, created_at=timezone.now() - timedelta(days=400), body="x")
    assert retention_apply().messages_redacted == 1
    assert retention_apply().messages_redacted == 0


def test_the_task_is_scheduled_nightly_and_imported_by_workers(settings):
    """Beat runs it from CELERY_BEAT_SCHEDULE; workers load its module through CELERY_IMPORTS."""
    entry = settings.CELERY_BEAT_SCHEDULE["retention"]
    assert entry["task"] == retention_task.name
    assert "notifications.retention" in settings.CELERY_IMPORTS

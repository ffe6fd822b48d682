"""Retention: forget what was said and what the provider reported once it is old, keep that it happened.

Message rows stay (state, channel, timestamps, provider ids, error codes), so counts, progress and metrics do not
change; only the rendered subject, text and HTML are emptied. Replies keep their answer (the tally) and lose their
text. Delivery reports keep their parsed columns and lose
the raw payload. Rows are updated in batches so no long lock is held on a busy table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from notifications.models import DeliveryReport, Message, Reply

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000


@dataclass(frozen=True)
class RetentionResult:
    messages_redacted: int
    reports_redacted: int
    replies_redacted: int = 0


def _in_batches(queryset: QuerySet[Any], **changes: Any) -> int:
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH_SIZE])
        if not ids:
            return total
        total += queryset.model.objects.filter(pk__in=ids).update(**changes)


def retention_apply(*, days: int | None = None, now: datetime | None = None) -> RetentionResult:
    """Empty message contents and raw report payloads older than ``days`` (default ``settings.RETENTION_DAYS``).

    Only messages in a final state lose their contents: a message still pending or awaiting its report may be
    sent or reconciled again, and needs them.
    """
    days = settings.RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    messages = (
        Message.objects.final()
        .filter(created_at__lt=cutoff)
        .filter(~Q(body="") | ~Q(html="") | ~Q(subject=""))
        .order_by()
    )
    reports = DeliveryReport.objects.filter(received_at__lt=cutoff).exclude(payload={}).order_by()
    replies = Reply.objects.filter(created_at__lt=cutoff).exclude(text="").order_by()  # answer and keyword stay
    result = RetentionResult(
        messages_redacted=_in_batches(messages, body="", html="", subject=""),
        reports_redacted=_in_batches(reports, payload={}),
        replies_redacted=_in_batches(replies, text=""),
    )
    logger.info(
        "retention: %s message contents, %s report payloads and %s reply texts older than %s days removed",
        result.messages_redacted,
        result.reports_redacted,
        result.replies_redacted,
        days,
    )
    return result


@shared_task(name="notifications.retention.retention_task", ignore_result=True)
def retention_task() -> dict:
    """Nightly (CELERY_BEAT_SCHEDULE["retention"]); safe to run twice."""
    result = retention_apply()
    return {
        "messages_redacted": result.messages_redacted,
        "reports_redacted": result.reports_redacted,
        "replies_redacted": result.replies_redacted,
    }

"""Reports we may have missed: pull the provider's unfetched reports, then look up messages accepted too long.

Webhooks can be lost (our outage, a wrong URL); Infobip keeps reports and logs for 48 hours, so a periodic pull
catches up. Pulled reports go through the same ``reports_record`` as webhooks, so duplicates change nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings

from notifications.channels import configured_channels
from notifications.models import DeliveryReport, message_id_for
from notifications.providers import channel_provider, provider_named
from notifications.providers.base import BaseProvider
from notifications.services.reports import accepted_too_long, report_state, reports_record

logger = logging.getLogger(__name__)
LOOKUP_CHUNK = 100


def reports_pull(*, provider: BaseProvider | None = None, minutes: int | None = None) -> int:
    """Fetch reports by pull and by log lookup; returns how many messages changed state."""
    minutes = settings.DISPATCH_REPORT_PULL_AFTER_MINUTES if minutes is None else minutes
    changed = 0
    for channel in configured_channels():
        try:
            pulled = (provider or channel_provider(channel)).pull_reports(channel, limit=1000)
        except Exception as error:
            logger.warning("pulling %s reports failed: %s", channel, type(error).__name__)
            pulled = []
        if pulled:
            changed += reports_record(reports=pulled, source=DeliveryReport.Source.PULL, channel=channel).applied
    for (channel, name), pks in accepted_too_long(minutes=minutes).items():
        # Asked at the provider that carried them (a secondary while a breaker was open, docs/providers.md).
        base = provider or channel_provider(channel)
        asked = base if name in ("", base.name) else provider_named(name, default=base)
        for start in range(0, len(pks), LOOKUP_CHUNK):
            ids = [message_id_for(pk) for pk in pks[start : start + LOOKUP_CHUNK]]
            try:
                known = asked.lookup(channel, ids)
            except Exception as error:
                logger.warning("looking up %d %s message(s) failed: %s", len(ids), channel, type(error).__name__)
                continue
            reports = [report for report in known.values() if report_state(report) is not None]
            if reports:
                changed += reports_record(reports=reports, source=DeliveryReport.Source.LOGS, channel=channel).applied
    return changed

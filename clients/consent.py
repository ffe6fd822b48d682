"""Consent changes, always with their record: every change writes an append-only ConsentEvent."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clients.models import Channel, Client, ConsentEvent


@transaction.atomic
def consent_set(*, client: Client, channel: str, given: bool, source: str, detail: str = "",
                at: datetime | None = None) -> bool:
    """Give or withdraw consent on one channel; returns False (and records nothing) when nothing changes."""
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}")
    at = at or timezone.now()
    prefix = "sms" if channel == Channel.SMS else "email"
    changed = Client.objects.filter(pk=client.pk).exclude(**{f"{prefix}_consent": given}).update(
        **{
            f"{prefix}_consent": given,
            f"{prefix}_opted_out_at": None if given else at,
            f"{prefix}_opt_out_source": "" if given else source[:64],
        }
    )
    if not changed:
        return False
    ConsentEvent.objects.create(
        client=client,
        channel=channel,
        action=ConsentEvent.Action.GIVEN if given else ConsentEvent.Action.WITHDRAWN,
        source=source[:64],
        detail=detail[:255],
        at=at,
    )
    client.refresh_from_db(fields=[f"{prefix}_consent", f"{prefix}_opted_out_at", f"{prefix}_opt_out_source"])
    return True

"""Consent changes, always with their record: every change writes an append-only ConsentEvent."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clients.models import Channel, Client, ConsentEvent, NoticeKind


@transaction.atomic
def consent_set(
    *, client: Client, channel: str, given: bool, source: str, detail: str = "", at: datetime | None = None
) -> bool:
    """Give or withdraw consent on one channel; returns False (and records nothing) when nothing changes."""
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}")
    at = at or timezone.now()
    prefix = channel  # the client's {channel}_consent, _opted_out_at and _opt_out_source fields
    changed = (
        Client.objects.filter(pk=client.pk)
        .exclude(**{f"{prefix}_consent": given})
        .update(
            **{
                f"{prefix}_consent": given,
                f"{prefix}_opted_out_at": None if given else at,
                f"{prefix}_opt_out_source": "" if given else source[:64],
            }
        )
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


@transaction.atomic
def client_preferences_update(
    *,
    client: Client,
    channels: dict[str, bool],
    language: str,
    muted_kinds: list[str],
    source: str = "preferences",
    detail: str = "",
    preferred_channel: str | None = None,
) -> list[str]:
    """Apply the preference page: consent per channel (recorded), language and muted notice kinds.

    Returns the channels whose consent changed. Unknown notice kinds and languages are refused, so the stored
    values stay within what the audience selectors understand.
    """
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}")
    unknown = set(muted_kinds) - set(NoticeKind.values)
    if unknown:
        raise ValueError(f"Unknown notice kinds {sorted(unknown)!r}")
    changed = [
        channel
        for channel, given in channels.items()
        if consent_set(client=client, channel=channel, given=given, source=source, detail=detail)
    ]
    client.language = language
    client.muted_kinds = [kind for kind in NoticeKind.values if kind in muted_kinds]
    if preferred_channel is not None:  # None: the page did not offer it; "" clears it
        client.preferred_channel = preferred_channel if preferred_channel in Channel.values else ""
    client.save(update_fields=["language", "muted_kinds", "preferred_channel", "updated_at"])
    return changed


def client_leave_all(*, client: Client, source: str, detail: str = "") -> list[str]:
    """Withdraw consent on every channel; returns the channels that changed."""
    return [
        channel
        for channel in Channel.values
        if consent_set(client=client, channel=channel, given=False, source=source, detail=detail)
    ]

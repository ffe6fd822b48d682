"""The audit trail of notices: the one place ``CampaignEvent`` rows are written, and how an edit names its changes.

Every service that changes a notice records one event here: who (a person, or nobody for the system: an API token,
an alert, the scheduler), what (``Action``), and a short detail (the fields an edit changed, a decline's reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User

from campaigns.models import Campaign, CampaignEvent


class Action:
    """The actions the trail records (``CampaignEvent.action``)."""

    DRAFTED = "drafted"
    EDITED = "edited"
    APPROVAL_VOIDED = "approval_voided"
    TEMPLATE_SAVED = "template_saved"
    TEST_SENT = "test_sent"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVED = "approved"
    APPROVAL_DECLINED = "approval_declined"
    EMERGENCY_SEND = "emergency_send"
    SCHEDULED = "scheduled"
    SENT = "sent"
    STARTED = "started"
    REMINDER_SENT = "reminder_sent"
    REOPENED = "reopened"
    PAUSED = "paused"
    RESUMED = "resumed"
    CANCELLED = "cancelled"
    SEND_PAUSED = "send_paused"
    SEND_RESUMED = "send_resumed"
    SEND_CANCELLED = "send_cancelled"
    RETRIED = "retried"
    FOLLOW_UP_DRAFTED = "follow_up_drafted"
    INCIDENT_RESOLVED = "incident_resolved"
    DISCARDED = "discarded"
    DUPLICATED = "duplicated"
    EMPTY_ACCEPTED = "empty_accepted"
    SUPERSEDED = "superseded"
    MAINTENANCE_SCHEDULED = "maintenance_scheduled"
    WINDOW_CHANGED = "window_changed"


# Actions after which the person who did them may not approve the notice.
AUTHORING_ACTIONS = (Action.EDITED,)
DETAIL_MAX = 500


def record(campaign: Campaign, actor: User | None, action: str, detail: str = "") -> CampaignEvent:
    """Write one event; ``actor`` is None when the system acted (API token, alert, scheduler, command line)."""
    return CampaignEvent.objects.create(campaign=campaign, actor=actor, action=action, detail=detail[:DETAIL_MAX])


def changed(before: Mapping[str, Any], after: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    """The labels of the fields whose value differs between two snapshots, in ``labels``' order."""
    return [label for name, label in labels.items() if before.get(name) != after.get(name)]


def content_changes(before: Mapping[str, Any], after: Mapping[str, Any], channels: list[str]) -> list[str]:
    """Which texts of a notice's content changed on its channels: 'fr sms text', 'en email subject', 'de (removed)'.

    Texts of a channel the notice does not use never go out, so their coming and going is not a change.
    """
    before = {lang: {ch: parts for ch, parts in (v or {}).items() if ch in channels} for lang, v in before.items()}
    after = {lang: {ch: parts for ch, parts in (v or {}).items() if ch in channels} for lang, v in after.items()}
    names = []
    for language in sorted(set(before) | set(after)):
        if language not in after:
            names.append(f"{language} (removed)")
            continue
        if language not in before:
            names.append(f"{language} (added)")
            continue
        old, new = before[language] or {}, after[language] or {}
        for channel in sorted(set(old) | set(new)):
            parts_old, parts_new = old.get(channel) or {}, new.get(channel) or {}
            for part in sorted(set(parts_old) | set(parts_new)):
                if (parts_old.get(part) or "") != (parts_new.get(part) or ""):
                    names.append(f"{language} {channel} {part}")
    return names


def variable_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return [
        f"value {name}"
        for name in sorted(set(before) | set(after))
        if (before.get(name) or "") != (after.get(name) or "")
    ]

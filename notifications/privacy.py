"""What the business holds about a client, for a subject-access export, and erasure that keeps the counts.

It spans a client (``clients``) and the messages sent to it (``notifications``), so it lives here, where both are
in reach by plain imports. Each needs its own permission, checked here as well as in the admin:
``clients.export_client_data`` and ``clients.erase_client_data`` (the Admins group holds both). Reading clients
(Viewers) is not enough: an export carries every message and address of the client.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from clients.models import Client, SignupRequest
from notifications.models import DeliveryReport, Message, Reply

EXPORT_PERMISSION = "clients.export_client_data"
ERASE_PERMISSION = "clients.erase_client_data"
CLIENT_FIELDS = (
    "id",
    "external_ref",
    "name",
    "account",
    "email",
    "phone",
    "language",
    "uses_sms_service",
    "uses_email_service",
    "email_consent",
    "email_opted_out_at",
    "email_opt_out_source",
    "sms_consent",
    "sms_opted_out_at",
    "sms_opt_out_source",
    "viber_consent",
    "viber_opted_out_at",
    "viber_opt_out_source",
    "whatsapp_consent",
    "whatsapp_opted_out_at",
    "whatsapp_opt_out_source",
    "webpush_consent",
    "webpush_opted_out_at",
    "webpush_opt_out_source",
    "apppush_consent",
    "apppush_opted_out_at",
    "apppush_opt_out_source",
    "muted_kinds",
    "is_active",
    "region",
    "network",
    "plan",
    "tags",
    "attributes",
    "created_at",
    "updated_at",
)


def _require(user: AbstractBaseUser | AnonymousUser, permission: str) -> None:
    allowed = isinstance(user, PermissionsMixin) and user.is_active and user.has_perm(permission)
    if not allowed:
        raise PermissionDenied(f"{permission} is needed")


def _plain(value: object) -> object:
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else value


def client_export_data(*, client: Client, by: AbstractBaseUser | AnonymousUser) -> dict[str, Any]:
    """Everything held about one client: fields, buckets, consent history, sign-ups and the messages sent."""
    _require(by, EXPORT_PERMISSION)
    messages = Message.objects.filter(client=client).select_related("send").order_by("created_at", "id")
    return {
        "exported_at": timezone.now().isoformat(),
        "client": {name: _plain(getattr(client, name)) for name in CLIENT_FIELDS},
        "buckets": list(client.buckets.order_by("name").values_list("name", flat=True)),
        "consent_events": [
            {"channel": e.channel, "action": e.action, "source": e.source, "detail": e.detail, "at": e.at.isoformat()}
            for e in client.consent_events.order_by("at", "id")
        ],
        "signups": [
            {
                "account_ref": s.account_ref,
                "name": s.name,
                "email": s.email,
                "phone": s.phone,
                "state": s.state,
                "created_at": s.created_at.isoformat(),
                "email_confirmed_at": _plain(s.email_confirmed_at),
                "phone_confirmed_at": _plain(s.phone_confirmed_at),
            }
            for s in client.signups.order_by("created_at")
        ],
        # Push addresses (clients/push_models.py): the client's own data, exported whole; erasure deletes them.
        "browser_subscriptions": [
            {"endpoint": b.endpoint, "created_at": b.created_at.isoformat(), "gone_at": _plain(b.gone_at)}
            for b in client.push_subscriptions.order_by("created_at", "id")
        ],
        "app_devices": [
            {
                "token": d.token,
                "platform": d.platform,
                "created_at": d.created_at.isoformat(),
                "gone_at": _plain(d.gone_at),
            }
            for d in client.device_tokens.order_by("created_at", "id")
        ],
        "messages_summary": {
            f"{row['channel']}:{row['state']}": row["n"]
            for row in messages.order_by().values("channel", "state").annotate(n=Count("id"))
        },
        "messages": [
            {
                "id": m.message_id,
                "notice": m.send.label,
                "channel": m.channel,
                "destination": m.destination,
                "language": m.language,
                "state": m.state,
                "subject": m.subject,
                "text": m.body,
                "created_at": m.created_at.isoformat(),
                "done_at": _plain(m.done_at),
            }
            for m in messages
        ],
        "replies": [
            {"channel": r.channel, "from": r.sender, "text": r.text, "received_at": r.received_at.isoformat()}
            for r in Reply.objects.filter(client=client).order_by("received_at", "id")
        ],
    }


@transaction.atomic
def client_erase(*, client: Client, by: AbstractBaseUser | AnonymousUser) -> dict[str, int]:
    """Delete a client and every personal trace, keeping its messages as anonymous rows for delivery counts."""
    _require(by, ERASE_PERMISSION)
    messages = Message.objects.filter(client=client)
    reports = DeliveryReport.objects.filter(message__in=messages).update(payload={})
    anonymised = messages.update(client=None, destination="", subject="", body="", html="", error_text="")
    replies = Reply.objects.filter(client=client).update(client=None, sender="", text="")
    signups, _ = SignupRequest.objects.filter(client=client).delete()
    consent_events = client.consent_events.count()
    client.delete()
    return {
        "messages_anonymised": anonymised,
        "reports_scrubbed": reports,
        "replies_scrubbed": replies,
        "signups_deleted": signups,
        "consent_events_deleted": consent_events,
    }

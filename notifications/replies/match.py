"""Which message a reply answers: the last one sent to the sender's number on the reply's channel, recently.

"Sent" means the provider took it (accepted, delivered, or reported undeliverable later: people answer messages
their phone did show). The search goes through clients (and internal test recipients) holding the number, whose
indexes find it, never through a scan of every message's destination. Opt-out confirmations are not notices, so a
reply never lands on one.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from clients.models import Client, TestRecipient
from notifications.models import Message, pk_from_message_id

SENT_STATES = (Message.State.ACCEPTED, Message.State.DELIVERED, Message.State.UNDELIVERABLE, Message.State.EXPIRED)
CONFIRMATION_REFERENCE = "reply-confirmation"


def message_answered(*, channel: str, number: str, paired_id: str = "") -> Message | None:
    """The message a reply from ``number`` on ``channel`` answers, or None (nothing sent there in the window).

    Infobip's ``pairedMessageId`` (Messages API) names it outright when it is one of ours, on this channel, to this
    number; otherwise the latest message sent there wins.
    """
    since = timezone.now() - timedelta(days=settings.REPLY_MATCH_DAYS)
    sent = (
        Message.objects.filter(channel=channel, state__in=SENT_STATES, accepted_at__gte=since)
        .exclude(send__reference__startswith=CONFIRMATION_REFERENCE)
        .select_related("client")
        .order_by("-accepted_at", "-id")
    )
    paired_pk = pk_from_message_id(paired_id)
    if paired_pk is not None:
        paired = sent.filter(pk=paired_pk).select_related("test_recipient").first()
        if paired is not None:
            holder = paired.client or paired.test_recipient
            if holder is not None and holder.phone == number:
                return paired
    # Two lookups, each on an index (client_id, test_recipient_id), rather than one OR across two joins.
    candidates = [
        sent.filter(client_id__in=Client.objects.filter(phone=number).values("pk")).first(),
        sent.filter(test_recipient_id__in=TestRecipient.objects.filter(phone=number).values("pk")).first(),
    ]
    found = [message for message in candidates if message is not None]
    return max(found, key=lambda message: (message.accepted_at, message.pk)) if found else None

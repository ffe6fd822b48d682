"""The confirmation a customer gets after STOP or START, in their language, through the normal send path.

A confirmation is a one-message ``Send`` whose row is written here, pending, in the webhook's transaction: the
dispatch workers send, record and track it like any notice (exactly once: the row is the outbox, and a repeated
webhook finds its reply already stored and writes nothing). It skips the audience rules on purpose: the customer
just opted out, and this one message says so. Only a real change is confirmed (a second STOP changes nothing and
gets nothing), and at most ``REPLY_CONFIRMATIONS_PER_DAY`` per number, so nobody can make the portal spam a phone.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.translation import gettext

from clients.channels import reach_of
from clients.models import Client
from notifications.models import Message, Send
from notifications.replies.match import CONFIRMATION_REFERENCE
from notifications.services.doorbell import dispatch_kick

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 24 * 3600


def confirmation_text(action: str, language: str) -> str:
    with translation.override(language):
        if action == "stop":
            return gettext("You will get no more notices from us here. Reply START to get them again.")
        return gettext("You will get our notices here again. Reply STOP to stop them.")


def _allowed(number: str) -> bool:
    key = f"reply-confirmation:{number}"
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count <= settings.REPLY_CONFIRMATIONS_PER_DAY


def confirmation_send(*, client: Client, channel: str, action: str, inbound_id: str) -> Send | None:
    """Queue the confirmation of ``action`` to ``client`` on ``channel``; None when limited or not possible."""
    if not client.phone or not reach_of(channel).offered():
        return None
    if not _allowed(client.phone):
        logger.warning("%s confirmation to …%s not sent: daily limit reached", action, client.phone[-2:])
        return None
    language = client.language or "en"
    now = timezone.now()
    send = Send.objects.create(
        label=f"Opt-{'out' if action == 'stop' else 'in'} confirmation",
        channels=[channel],
        audience={"clients": [client.pk]},
        content={language: {channel: {"text": confirmation_text(action, language)}}},
        fallback_language=language,
        mandatory=True,  # not a notice: neither counted against the client's frequency cap nor muted
        reference=f"{CONFIRMATION_REFERENCE}-{inbound_id}"[:100],
        state=Send.State.SENDING,
        started_at=now,
        materialized_at=now,
    )
    Message.objects.create(send=send, client=client, channel=channel, destination=client.phone, language=language)
    dispatch_kick(send_id=send.pk, channels=[channel], parallel=1)
    return send

"""What a customer's keyword does to consent: STOP (in any configured language, ``clients.keywords``) withdraws
the channel it came on for every client holding the sender's number, START gives it back.

The provider webhook and the reply it belongs to live in ``notifications`` (``notifications/replies/``); this
module only knows numbers, clients and consent, so it imports nothing from above. Each change is recorded by
``consent_set`` with the inbound message id.
"""

from __future__ import annotations

import logging
import re

import phonenumbers

from clients.consent import consent_set
from clients.keywords import keyword_of
from clients.models import Client

logger = logging.getLogger(__name__)
KEYWORD_SOURCE = "sms_stop"  # the consent source of every keyword, whatever the channel (docs/customers.md)


class InboundPayloadError(ValueError):
    """The body is not an Infobip inbound-message document."""


def keyword_action(text: str) -> str:
    """ "stop", "start" or "" for a message text; case, spacing, punctuation and accents do not matter."""
    keyword = keyword_of(text)
    return keyword.action if keyword else ""


def sender_e164(raw: str) -> str | None:
    """Infobip sends "33612345678"; clients hold "+33612345678"."""
    digits = re.sub(r"[^\d+]", "", raw or "")[:20]
    if not digits:
        return None
    if digits.startswith("00"):
        digits = digits[2:]
    if not digits.startswith("+"):
        digits = "+" + digits
    try:
        parsed = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def keyword_apply(*, number: str, channel: str, action: str, inbound_id: str) -> list[Client]:
    """Apply STOP / START on ``channel`` to every client with ``number``; returns the clients actually changed."""
    changed = [
        client
        for client in Client.objects.filter(phone=number).order_by("id")
        if consent_set(
            client=client,
            channel=channel,
            given=action == "start",
            source=KEYWORD_SOURCE,
            detail=f"inbound {inbound_id[:200]}",
        )
    ]
    logger.info("Inbound %s keyword %s from …%s: %d client(s) changed", channel, action, number[-2:], len(changed))
    return changed

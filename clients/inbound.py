"""SMS keywords from customers: STOP (and its synonyms) opts the sender's number out of SMS, START back in.

Infobip forwards inbound messages as ``{"results": [{"messageId", "from", "to", "text", "cleanText", "keyword",
"receivedAt", ...}], "messageCount", "pendingMessageCount"}`` with ``from`` in international form without '+'.
Every client holding that number is changed, each change recorded by ``consent_set`` with the inbound message id.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import phonenumbers
from django.db import transaction

from clients.consent import consent_set
from clients.models import Channel, Client

logger = logging.getLogger(__name__)

STOP_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_KEYWORDS = frozenset({"START"})
_NOT_LETTERS = re.compile(r"[^A-Z]")


class InboundPayloadError(ValueError):
    """The body is not an Infobip inbound-message document."""


@dataclass
class InboundOutcome:
    received: int = 0
    opted_out: int = 0
    opted_in: int = 0
    ignored: int = 0


def keyword_action(text: str) -> str:
    """ "stop", "start" or "" for a message text; case, spacing and punctuation do not matter ("Stop.", "stop all")."""
    compact = _NOT_LETTERS.sub("", (text or "").upper())
    if compact in STOP_KEYWORDS:
        return "stop"
    if compact in START_KEYWORDS:
        return "start"
    return ""


def sender_e164(raw: str) -> str | None:
    """Infobip sends "33612345678"; clients hold "+33612345678"."""
    digits = re.sub(r"[^\d+]", "", raw or "")
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


def _results(payload: object) -> list[dict]:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise InboundPayloadError("expected an object with a 'results' list")
    results = payload["results"]
    if not all(isinstance(result, dict) for result in results):
        raise InboundPayloadError("every result must be an object")
    return results


@transaction.atomic
def inbound_sms_process(*, payload: object) -> InboundOutcome:
    """Apply the STOP / START keywords of an inbound batch, all or nothing; other texts are ignored."""
    outcome = InboundOutcome()
    for result in _results(payload):
        outcome.received += 1
        action = keyword_action(str(result.get("text") or result.get("cleanText") or ""))
        number = sender_e164(str(result.get("from") or ""))
        if not action or number is None:
            outcome.ignored += 1
            continue
        message_id = str(result.get("messageId") or "")[:200]
        changed = 0
        for client in Client.objects.filter(phone=number):
            changed += consent_set(
                client=client,
                channel=Channel.SMS,
                given=action == "start",
                source="sms_stop",
                detail=f"inbound {message_id}",
            )
        if action == "stop":
            outcome.opted_out += changed
        else:
            outcome.opted_in += changed
        logger.info("Inbound SMS keyword %s from …%s: %d client(s) changed", action, number[-2:], changed)
    return outcome

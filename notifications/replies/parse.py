"""Infobip's two inbound shapes, read into one ``Inbound`` per message; anything else is ``InboundPayloadError``.

- SMS (``MO_JSON_2`` forwarding, the ``/sms/1/inbox`` push): ``results[]`` of ``messageId``, ``from``, ``to``,
  ``text``, ``cleanText``, ``keyword``, ``receivedAt`` (docs/infobip.md §6).
- Messages API (WhatsApp, Viber): ``results[]`` of ``event`` ("MO"), ``channel``, ``sender``, ``destination``,
  ``content[]`` (``{"type": "TEXT", "text"}``, ``{"type": "BUTTON_REPLY", "text", "payload"}``, …), ``receivedAt``,
  ``messageId`` and, when Infobip knows it, ``pairedMessageId`` (the message it answers) (OpenAPI 3.210.0,
  ``MessagesApiIncomingMessage`` / ``MessagesApiMoEvent``; tests/fixtures/infobip_inbound_schema.json). Events that are
  not a received message (typing indicators) and content without text (images) are skipped, not refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from clients.inbound import InboundPayloadError
from notifications.reply_models import MAX_ANSWER, MAX_REPLY_TEXT

MESSAGES_API_CHANNELS = {"WHATSAPP": "whatsapp", "VIBER_BM": "viber", "VIBER": "viber", "SMS": "sms"}
TEXT_TYPES = ("TEXT", "BUTTON_REPLY", "LIST_REPLY")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True)
class Inbound:
    inbound_id: str
    channel: str
    sender: str  # as received ("33612345678"); normalised by the recorder
    text: str
    received_at: datetime
    paired_id: str = ""  # Messages API ``pairedMessageId``: the id of our message this one answers, when Infobip knows


def answer_of(text: str) -> str:
    """The text as a one-tap answer: "yes!" → "YES", " 1." → "1", "Oui" → "OUI"; "" when longer than an answer."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    answer = _NOT_ALNUM.sub("", plain.upper())
    return answer if len(answer) <= MAX_ANSWER else ""


def _results(payload: object) -> list[dict]:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise InboundPayloadError("expected an object with a 'results' list")
    results = payload["results"]
    if not all(isinstance(result, dict) for result in results):
        raise InboundPayloadError("every result must be an object")
    return results


def _text(value: object) -> str:
    return value[:MAX_REPLY_TEXT] if isinstance(value, str) else ""


def _when(value: object) -> datetime:
    # Infobip writes "2019-11-09T16:00:00.000+0000"; Python wants the offset with a colon.
    if isinstance(value, str) and len(value) < 40:
        fixed = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", value.strip())
        try:
            parsed = parse_datetime(fixed)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
    return timezone.now()


def _required(result: dict, *names: str) -> list[str]:
    values = [result.get(name) for name in names]
    if not all(isinstance(value, str) and value.strip() and len(value) <= 200 for value in values):
        raise InboundPayloadError(f"every message needs {', '.join(names)} (text, at most 200 characters)")
    return [str(value).strip() for value in values]


def sms_inbound(payload: object) -> list[Inbound]:
    """SMS ``MO_JSON_2``: the full ``text`` (the keyword is part of it), ``cleanText`` when there is no text."""
    found = []
    for result in _results(payload):
        inbound_id, sender = _required(result, "messageId", "from")
        text = _text(result.get("text")) or _text(result.get("cleanText"))
        found.append(Inbound(inbound_id, "sms", sender, text, _when(result.get("receivedAt"))))
    return found


def _content_text(content: object) -> str | None:
    if not isinstance(content, list):
        raise InboundPayloadError("'content' must be a list")
    for part in content:
        if isinstance(part, dict) and part.get("type") in TEXT_TYPES and isinstance(part.get("text"), str):
            return _text(part["text"])
    return None


def messages_api_inbound(payload: object) -> list[Inbound]:
    """Messages API ``MO`` events on WhatsApp and Viber (and SMS, if an account routes it here)."""
    found = []
    for result in _results(payload):
        if result.get("event", "MO") != "MO":
            continue
        inbound_id, sender, channel_name = _required(result, "messageId", "sender", "channel")
        channel = MESSAGES_API_CHANNELS.get(channel_name.upper())
        if channel is None:
            raise InboundPayloadError(f"unknown channel {channel_name[:20]!r}")
        text = _content_text(result.get("content"))
        if text is None:
            continue  # an image, a location…: nothing ops could read as an answer
        paired = result.get("pairedMessageId")
        paired_id = paired[:200] if isinstance(paired, str) else ""
        found.append(Inbound(inbound_id, channel, sender, text, _when(result.get("receivedAt")), paired_id))
    return found

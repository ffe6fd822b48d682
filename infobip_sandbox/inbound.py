"""A customer's reply, simulated: ``POST /_sandbox/inbound`` makes the sandbox call the portal's inbound webhook as
Infobip would (SMS ``MO_JSON_2``, or a Messages API ``MO`` event for WhatsApp and Viber), and answers with what the
portal said. Infobip has no such endpoint; it stands in for a phone.

The bodies follow Infobip's published webhook schemas (``SmsMoReportResponse``, ``MessagesApiIncomingMessage`` with
``MessagesApiMoEvent``; OpenAPI 3.210.0), and a Messages API reply names the message it answers in
``pairedMessageId``, as Infobip does. Body: ``{"from": "+33612345678", "text": "1", "channel": "sms"}`` (``channel`` defaults to sms). The webhook URL is
``url`` when given, else derived from the delivery-report URL of the last message the sandbox accepted for that
number on that channel (``…/webhooks/infobip/reports/<token>/`` → ``…/inbound/<token>/`` or
``…/messages-inbound/<token>/``), so a reply goes where the notice's reports went, with the same secret.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

import requests

from infobip_sandbox.answer import Answer, error
from infobip_sandbox.store import Store

CHANNELS = {"sms": "", "whatsapp": "WHATSAPP", "viber": "VIBER_BM"}
TIMEOUT = (2.0, 30.0)
_ids = itertools.count(1)


def _payload(channel: str, sender: str, recipient: str, text: str, message_id: str, paired: str = "") -> dict[str, Any]:
    received_at = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
    if channel == "sms":
        words = text.split()
        clean = " ".join(words[1:]) if len(words) > 1 else ""
        result = {
            "messageId": message_id,
            "from": sender,
            "to": recipient,
            "text": text,
            "cleanText": clean,
            "keyword": words[0].upper() if words else "",
            "receivedAt": received_at,
            "smsCount": 1,
        }
        return {"results": [result], "messageCount": 1, "pendingMessageCount": 0}
    event = {
        "channel": CHANNELS[channel],
        "sender": sender,
        "destination": recipient,
        "content": [{"type": "TEXT", "text": text, "cleanText": text}],
        "receivedAt": received_at,
        "messageId": message_id,
        "messageCount": 1,
        "event": "MO",
    }
    if paired:
        event["pairedMessageId"] = paired  # Infobip pairs an answer with the message it answers, when it can
    return {"results": [event]}


def _url(store: Store, channel: str, digits: str, given: object) -> str:
    if isinstance(given, str) and given.startswith(("http://", "https://")):
        return given
    record = store.last_to(channel, digits)
    if record is None or "/reports/" not in record.url:
        return ""
    return record.url.replace("/reports/", "/inbound/" if channel == "sms" else "/messages-inbound/", 1)


def customer_reply(store: Store, body: dict[str, Any]) -> Answer:
    """POST one reply to the portal; 400 for a bad request, 409 when no webhook is known for the number."""
    channel = str(body.get("channel") or "sms").lower()
    digits = re.sub(r"\D", "", str(body.get("from") or ""))
    text = body.get("text")
    if channel not in CHANNELS or not 6 <= len(digits) <= 15 or not isinstance(text, str) or len(text) > 1600:
        return error(
            400, "E400", "Bad request.", "Send from (a number), text (≤1600) and channel (sms, whatsapp, viber)."
        )
    url = _url(store, channel, digits, body.get("url"))
    if not url:
        return error(409, "E409", "No webhook known for this number.", "Send a notice to it first, or give url.")
    record = store.last_to(channel, digits)
    message_id = f"sandbox-mo-{int(time.time() * 1000)}-{next(_ids)}"
    payload = _payload(
        channel, digits, record.sender if record else "", text, message_id, record.message_id if record else ""
    )
    try:
        response = requests.post(url, json=payload, timeout=TIMEOUT)
    except requests.RequestException as problem:
        return error(502, "E502", f"The portal did not answer: {type(problem).__name__}.", url.split("/webhooks/")[0])
    try:
        answer: object = response.json()
    except ValueError:
        answer = response.text[:500]
    return Answer(200, {"messageId": message_id, "status": response.status_code, "answer": answer})

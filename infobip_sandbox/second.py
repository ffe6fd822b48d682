"""The second providers the portal fails over to, as the sandbox plays them: a Twilio-like Messages API and a
Postmark-like email API, with the same fault dice, store, statistics and delivery callbacks as the Infobip ones.

- Twilio: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded, Basic auth (the Account SID and
  the sandbox's key as auth token); answers 201 with a Message resource; each message's statuses are POSTed to
  its ``StatusCallback`` as a form signed with ``X-Twilio-Signature`` (HMAC-SHA1 of URL and sorted parameters).
  The portal's message id is read from the callback URL's ``m`` parameter, so the stats count it per message id.
- Postmark: ``POST /email`` (JSON, ``X-Postmark-Server-Token``) answers ``{"MessageID", "ErrorCode": 0, …}``;
  ``GET /messages/outbound?metadata_message_id=…`` searches what was sent; Delivery and Bounce webhooks go to
  ``postmark_webhook_url`` (set through ``/_sandbox/config``), with the message's ``Metadata``.

Faults (``fail_rate``, ``timeout_rate``, ``fail_from_message``, …) apply to these sends as to Infobip's, so one
sandbox process can play a failing primary while a second process plays the secondary that answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

from infobip_sandbox import protocol
from infobip_sandbox.answer import Answer
from infobip_sandbox.config import SandboxConfig
from infobip_sandbox.records import Record
from infobip_sandbox.store import Store

if TYPE_CHECKING:
    from infobip_sandbox.reporter import Reporter

TWILIO_SEND = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")
POSTMARK_SEND, POSTMARK_SEARCH = "/email", "/messages/outbound"
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
#: CreateMessageRequest's parameters (tests/fixtures/twilio_messages_api_schema.json); anything else is refused.
TWILIO_PARAMS = frozenset(
    "To StatusCallback ApplicationSid MaxPrice ProvideFeedback Attempt ValidityPeriod ForceDelivery ContentRetention "
    "AddressRetention SmartEncoded PersistentAction TrafficType ShortenUrls ScheduleType SendAt SendAsMms "
    "ContentVariables RiskCheck From FallbackFrom MessagingServiceSid Body MediaUrl ContentSid".split()
)
POSTMARK_KEYS = frozenset(
    "From To Cc Bcc Subject Tag HtmlBody TextBody ReplyTo Headers TrackOpens TrackLinks Metadata Attachments "
    "MessageStream".split()
)
TWILIO_STATUS = {
    "delivered": ("delivered", ""),
    "undeliverable": ("undelivered", "30003"),
    "rejected": ("failed", "30007"),
}


class Sandbox(Protocol):
    config: SandboxConfig
    store: Store
    reporter: Reporter

    def draw(self, config: SandboxConfig, *, send: bool) -> tuple[str, bool]: ...


def owns(path: str) -> bool:
    return path in (POSTMARK_SEND, POSTMARK_SEARCH) or bool(TWILIO_SEND.match(path))


def twilio_signature(url: str, params: list[tuple[str, str]], token: str) -> str:
    payload = url + "".join(name + value for name, value in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def _twilio_error(status: int, code: int, message: str) -> Answer:
    info = f"https://www.twilio.com/docs/errors/{code}"
    return Answer(status, {"code": code, "message": message, "more_info": info, "status": status})


def _postmark_error(status: int, code: int, message: str) -> Answer:
    return Answer(status, {"ErrorCode": code, "Message": message})


def handle(sandbox: Sandbox, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
    twilio = TWILIO_SEND.match(path)
    config = sandbox.config
    if twilio:
        if method != "POST":
            return _twilio_error(405, 20004, "Method not allowed")
        if not _twilio_authorized(headers.get("authorization", ""), twilio.group(1), config.api_key):
            return _twilio_error(401, 20003, "Authenticate")
    else:
        if method != ("POST" if path == POSTMARK_SEND else "GET"):
            return _postmark_error(405, 405, "Method not allowed")
        token = headers.get("x-postmark-server-token", "")
        if not hmac.compare_digest(token.encode(), config.api_key.encode()):
            return _postmark_error(401, 10, "No Account or Server API tokens were supplied in the HTTP headers.")
        if path == POSTMARK_SEARCH:
            return _postmark_search(sandbox, parse_qs(query))
    fault, slow = sandbox.draw(config, send=True) if config.second_faults else ("", False)
    if slow:
        time.sleep(config.slow_seconds)
    failing = _twilio_error(500, 20500, "Internal Server Error") if twilio else _postmark_error(500, 500, "Error")
    if fault == "fail":
        return _faulted(failing, fault)
    if fault == "throttle":
        answer = _twilio_error(429, 20429, "Too Many Requests") if twilio else _postmark_error(429, 429, "Rate limit")
        answer.headers["Retry-After"] = str(config.retry_after)
        return _faulted(answer, fault)
    answer, record = _twilio_send(config, twilio.group(1), body) if twilio else _postmark_send(config, body)
    if record is None:
        return answer
    if fault == "timeout" and not config.timeout_accepts:
        return _faulted(Answer(0, None, hang=config.hang_seconds), fault)
    # What was asked, as /_sandbox/received shows it (the form's last values, or the JSON body).
    entry = {k: v[-1] for k, v in parse_qs(body.decode()).items()} if twilio else json.loads(body)
    sandbox.store.accept("sms" if twilio else "email", [record], [entry])
    sandbox.reporter.schedule([record], time.time() + config.report_delay, sandbox.store.generation)
    if fault == "timeout":
        return _faulted(Answer(0, None, hang=config.hang_seconds), fault)
    if fault == "accept_then_fail":
        return _faulted(failing, fault)
    return answer


def _faulted(answer: Answer, fault: str) -> Answer:
    answer.fault = fault
    return answer


def _twilio_authorized(header: str, sid: str, token: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return scheme == "Basic" and user == sid and hmac.compare_digest(password.encode(), token.encode())


def _twilio_send(config: SandboxConfig, sid: str, raw: bytes) -> tuple[Answer, Record | None]:
    try:
        form = parse_qs(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        return _twilio_error(400, 20001, "The request body is not a form."), None
    unknown = sorted(set(form) - TWILIO_PARAMS)
    if unknown:
        return _twilio_error(400, 20001, f"Unknown parameter {unknown[0]}"), None
    one = {name: values[-1] for name, values in form.items()}
    to, body, sender = one.get("To", ""), one.get("Body", ""), one.get("From") or one.get("MessagingServiceSid", "")
    if not E164.match(to):
        return _twilio_error(400, 21211, "The 'To' number is not a valid phone number."), None
    if not sender:
        return _twilio_error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required."), None
    if not body.strip() or len(body) > 1600:
        return _twilio_error(400, 21602, "Message body is required and may hold at most 1600 characters."), None
    validity = one.get("ValidityPeriod")
    if validity is not None and not (validity.isdigit() and 1 <= int(validity) <= 36000):
        return _twilio_error(400, 21609, "ValidityPeriod must be an integer from 1 to 36000."), None
    callback = one.get("StatusCallback", "")
    if callback and urlsplit(callback).scheme not in ("http", "https"):
        return _twilio_error(400, 21609, "Invalid StatusCallback URL."), None
    message_sid = "SM" + uuid.uuid4().hex
    ours = (parse_qs(urlsplit(callback).query).get("m") or [message_sid])[0]
    record = _record("sms", "twilio", ours, message_sid, to, sender, body, callback, config)
    now = formatdate(usegmt=True)
    resource = {
        "account_sid": sid,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": one.get("From"),
        "messaging_service_sid": one.get("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": str(record.parts),
        "price": None,
        "price_unit": "USD",
        "sid": message_sid,
        "status": "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{sid}/Messages/{message_sid}/Media.json"},
        "to": to,
        "uri": f"/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json",
    }
    return Answer(201, resource), record


def _postmark_send(config: SandboxConfig, raw: bytes) -> tuple[Answer, Record | None]:
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return _postmark_error(422, 402, "Received invalid JSON input."), None
    if not isinstance(body, dict) or set(body) - POSTMARK_KEYS:
        return _postmark_error(422, 300, "Invalid email request: unknown fields."), None
    to, sender = body.get("To"), body.get("From")
    if not isinstance(to, str) or "@" not in to or not isinstance(sender, str) or "@" not in sender:
        return _postmark_error(422, 300, "Invalid email request: 'To' and 'From' are required."), None
    if not (body.get("TextBody") or body.get("HtmlBody")):
        return _postmark_error(422, 300, "Provide either email TextBody or HtmlBody or both."), None
    metadata = body.get("Metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        return _postmark_error(422, 300, "Metadata values must be text."), None
    postmark_id = str(uuid.uuid4())
    ours = metadata.get("message_id") or postmark_id
    text = str(body.get("TextBody") or body.get("HtmlBody"))
    record = _record("email", "postmark", ours, postmark_id, to, sender, text, config.postmark_webhook_url, config)
    answer = {"To": to, "SubmittedAt": protocol.infobip_time(time.time()), "MessageID": postmark_id}
    return Answer(200, {**answer, "ErrorCode": 0, "Message": "OK"}), record


def _record(
    channel: str, kind: str, ours: str, theirs: str, to: str, sender: str, text: str, url: str, config: SandboxConfig
) -> Record:
    now = time.time()
    destination = to.rpartition("<")[2].rstrip(">") if channel == "email" else to
    return Record(
        channel=channel,
        message_id=ours,
        bulk_id="",
        destination=destination,
        sender=sender,
        sent_at=now,
        due_at=now + config.report_delay,
        outcome=protocol.outcome(channel, destination),
        callback_data="",
        reference="",
        parts=protocol.sms_parts(text) if channel == "sms" else 1,
        url=url,
        text=text,
        kind=kind,
        provider_id=theirs,
    )


def _postmark_search(sandbox: Sandbox, params: dict[str, list[str]]) -> Answer:
    wanted = (params.get("metadata_message_id") or [""])[0]
    found = sandbox.store.logs("email", message_ids=[wanted], bulk_ids=set(), limit=1) if wanted else []
    messages = [
        {
            "MessageID": record.provider_id,
            "Status": "Sent",
            "Recipients": [record.destination],
            "Metadata": {"message_id": record.message_id},
        }
        for record in found
        if record.kind == "postmark"
    ]
    return Answer(200, {"TotalCount": len(messages), "Messages": messages})


def callback(record: Record, token: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a record's delivery callback, as Twilio or Postmark would POST it."""
    if record.kind == "twilio":
        status, error = TWILIO_STATUS.get(record.outcome, ("delivered", ""))
        params = [
            ("MessageSid", record.provider_id),
            ("MessageStatus", status),
            ("SmsStatus", status),
            ("To", record.destination),
            ("From", record.sender),
            ("ApiVersion", "2010-04-01"),
        ]
        if error:
            params.append(("ErrorCode", error))
        body = "&".join(f"{k}={_quote(v)}" for k, v in params).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(record.url, params, token),
        }
        return body, headers
    done = protocol.infobip_time(record.due_at)
    event: dict[str, Any] = {
        "MessageID": record.provider_id,
        "Metadata": {"message_id": record.message_id},
        "MessageStream": "outbound",
        "Tag": "",
    }
    if record.outcome == "delivered":
        event.update(RecordType="Delivery", Recipient=record.destination, DeliveredAt=done, Details="Test delivery")
    else:
        event.update(RecordType="Bounce", Type="HardBounce", TypeCode=1, Email=record.destination, BouncedAt=done)
    return json.dumps(event).encode(), {"Content-Type": "application/json"}


def _quote(value: str) -> str:
    return quote(value, safe="")

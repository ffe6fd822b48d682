"""The sandbox's API endpoints, independent of the HTTP plumbing: each takes the request and returns an ``Answer``.

The control endpoints (``/_sandbox/…``: stats, reset, config, the hold hook) are in ``control.py``.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from infobip_sandbox import control, messages_api, protocol, push, second
from infobip_sandbox.answer import Answer, error
from infobip_sandbox.config import FaultDice, SandboxConfig
from infobip_sandbox.hold import HoldGate
from infobip_sandbox.records import Record
from infobip_sandbox.reporter import Reporter
from infobip_sandbox.store import Store

# "messages": Infobip's Messages API, whose messages each name their channel (Viber, WhatsApp).
SEND_PATHS = {"/sms/3/messages": "sms", "/email/4/messages": "email", "/messages-api/1/messages": "messages"}
REPORT_PATHS = {"/sms/3/reports": "sms", "/email/4/reports": "email", "/messages-api/1/reports": "messages"}
LOG_PATHS = {"/sms/3/logs": "sms", "/email/4/logs": "email", "/viber/2/logs": "viber"}
VALIDATORS = {"sms": protocol.validate_sms, "email": protocol.validate_email, "messages": messages_api.validate}
MAX_LIMIT = 1000
CODES = messages_api.CODES


_error = error


SERVER_ERROR = ("E500", "Something went wrong. Please contact support.")


class Sandbox:
    """State and behaviour of one sandbox: config, fault dice, store and reporter."""

    def __init__(self, config: SandboxConfig) -> None:
        config.validate()
        self.initial = config
        self.config = config
        self.dice = FaultDice(config.seed)
        self.store = Store()
        self.reporter = Reporter(self.store, lambda: self.config, workers=config.report_workers)
        self.hold = HoldGate()
        self.push = push.PushSandbox()  # web push and FCM (docs/sandbox.md)
        self._bulk_seq = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        self.reporter.start()

    def stop(self) -> None:
        self.reporter.stop()

    # Routing ------------------------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        if path.startswith(push.PREFIXES):
            return self.push.handle(method, path, query, headers, body)
        if path.startswith("/_sandbox/"):
            return control.handle(self, method, path, query, body)
        self.store.count_request(path)
        answer = self._api(method, path, query, headers, body)
        self.store.count_response(answer.status, answer.fault)
        return answer

    def draw(self, config: SandboxConfig, *, send: bool) -> tuple[str, bool]:
        """``(fault, slow)`` for one request: the dice, then the "from message N on" thresholds (sends only)."""
        fault, slow = self.dice.draw(config) if send or config.faults_on_reads else ("", False)
        if send and (config.fail_from_message or config.timeout_from_message):
            total = self.store.accepted_total()
            if config.fail_from_message and total >= config.fail_from_message:
                fault = "fail"
            elif config.timeout_from_message and total >= config.timeout_from_message:
                fault = "timeout"
        return fault, slow

    def _api(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        if second.owns(path):  # the Twilio-like and Postmark-like second providers
            return second.handle(self, method, path, query, headers, body)
        channel = SEND_PATHS.get(path) or REPORT_PATHS.get(path) or LOG_PATHS.get(path)
        if channel is None:
            return _error(404, "E404", "Resource not found.", "Check the request URL.")
        if method != ("POST" if path in SEND_PATHS else "GET"):
            return _error(405, "E405", "Method not allowed.", "Check the HTTP method.")
        if not self._authorized(headers.get("authorization", "")):
            return _error(401, "E401", "Invalid login details.", "Check the API key and the Authorization header.")
        config = self.config
        fault, slow = self.draw(config, send=path in SEND_PATHS)
        if slow:
            time.sleep(config.slow_seconds)
        if fault == "fail":
            return self._fault(_error(500, *SERVER_ERROR), fault)
        if fault == "throttle":
            answer = _error(
                429,
                "E429",
                "Too many requests sent.",
                "Check request rate limit specified in the API endpoint documentation resource.",
                headers={"Retry-After": str(config.retry_after)},
            )
            return self._fault(answer, fault)
        if path in SEND_PATHS:
            return self._send(channel, body, fault, config)
        params = parse_qs(query)
        answer = self._reports(channel, params) if path in REPORT_PATHS else self._logs(channel, params)
        if fault == "timeout":
            return self._fault(Answer(0, None, hang=config.hang_seconds), fault)
        if fault == "accept_then_fail":
            return self._fault(_error(500, *SERVER_ERROR), fault)
        return answer

    @staticmethod
    def _fault(answer: Answer, fault: str) -> Answer:
        answer.fault = fault
        return answer

    def _authorized(self, header: str) -> bool:
        scheme, _, key = header.partition(" ")
        return scheme == "App" and hmac.compare_digest(key.strip().encode(), self.config.api_key.encode())

    # Sending ------------------------------------------------------------------------------------------------------

    def _send(self, channel: str, raw: bytes, fault: str, config: SandboxConfig) -> Answer:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return _error(
                400,
                "E400",
                "Request cannot be processed.",
                "Send a valid JSON body.",
                [{"property": "body", "violation": "malformed JSON"}],
            )
        try:
            messages = VALIDATORS[channel](body)
        except protocol.RequestInvalid as invalid:
            return _error(
                400,
                "E400",
                invalid.description,
                "Check the syntax, violations and adjust the request.",
                invalid.violations,
            )
        options = body.get("options") if isinstance(body.get("options"), dict) else {}
        bulk_id = str((options.get("schedule") or {}).get("bulkId") or self._new_bulk_id())
        records = self._records(channel, messages, bulk_id, config)
        if fault == "timeout" and not config.timeout_accepts:
            return self._fault(Answer(0, None, hang=config.hang_seconds), fault)
        grace = config.idempotency_grace if config.idempotency else None
        for name in dict.fromkeys(record.channel for record in records):
            mine = [record for record in records if record.channel == name]
            entries = messages if channel != "messages" else [m for m in messages if m["channel"] == CODES.get(name)]
            for record in self.store.accept(name, mine, entries, grace=grace):
                record.outcome = "duplicate"  # refused as a copy: so say its answer entry and its report
        due, generation = time.time() + config.report_delay, self.store.generation
        reported = [record for record in records if record.outcome != "silent"]  # silent: never any report
        held = self.hold.take(
            [record.message_id for record in records], lambda: self.reporter.schedule(reported, due, generation)
        )
        if held is None:
            self.reporter.schedule(reported, due, generation)
        if fault == "timeout":
            return self._fault(Answer(0, None, hang=config.hang_seconds), fault)
        if fault == "accept_then_fail":
            return self._fault(_error(500, *SERVER_ERROR), fault)
        with_count = channel == "sms" and bool(options.get("includeSmsCountInResponse"))
        entries = [self._accepted(record, with_count) for record in records]
        return Answer(200, {"bulkId": bulk_id, "messages": entries}, held=held)

    def _new_bulk_id(self) -> str:
        with self._lock:
            self._bulk_seq += 1
            return f"sandbox-bulk-{self._bulk_seq}-{uuid.uuid4().hex[:8]}"

    @staticmethod
    def _accepted(record: Record, with_count: bool) -> dict[str, Any]:
        """One message of a send answer: accepted, or (idempotency on) refused as a copy of an accepted one."""
        status = protocol.DUPLICATE if record.outcome == "duplicate" else protocol.PENDING_ACCEPTED
        entry: dict[str, Any] = {"messageId": record.message_id, "status": status, "destination": record.destination}
        if with_count:
            entry["details"] = {"messageCount": record.parts}
        return entry

    @staticmethod
    def _records(channel: str, messages: list[dict], bulk_id: str, config: SandboxConfig) -> list[Record]:
        now = time.time()
        due = now + config.report_delay
        records = []
        for message in messages:
            webhooks = message.get("webhooks") or {}
            url = (webhooks.get("delivery") or {}).get("url") or ""
            callback = webhooks.get("callbackData") or ""
            reference = (message.get("options") or {}).get("campaignReferenceId") or ""
            if channel == "messages":
                text, name = messages_api.text_of(message), messages_api.CHANNELS[message["channel"]]
            else:
                text, name = message["content"].get("text") or message["content"].get("html") or "", channel
            parts = protocol.sms_parts(text) if channel == "sms" else 1
            if channel != "email":
                targets = [(d["to"], d.get("messageId")) for d in message["destinations"]]
            else:
                targets = [
                    (to["destination"], to.get("messageId")) for group in message["destinations"] for to in group["to"]
                ]
            for destination, message_id in targets:
                records.append(
                    Record(
                        channel=name,
                        message_id=message_id or uuid.uuid4().hex,
                        bulk_id=bulk_id,
                        destination=destination,
                        sender=message["sender"],
                        sent_at=now,
                        due_at=due,
                        outcome=_outcome(config, name, destination, message_id),
                        callback_data=callback,
                        reference=reference,
                        parts=parts,
                        url=url,
                        text=text,
                    )
                )
        for record in records:
            if record.outcome == "silent":
                record.due_at = float("inf")  # PENDING in the logs for ever
        return records

    # Reports and logs ---------------------------------------------------------------------------------------------

    @staticmethod
    def _limit(params: dict[str, list[str]], default: int = 50) -> int:
        try:
            return max(1, min(int(params.get("limit", [default])[0]), MAX_LIMIT))
        except ValueError:
            return default

    @staticmethod
    def _multi(params: dict[str, list[str]], name: str) -> list[str]:
        return [item for value in params.get(name, []) for item in value.split(",") if item]

    def _reports(self, channel: str, params: dict[str, list[str]]) -> Answer:
        names = [channel]
        if channel == "messages":  # the Messages API filters by its channel code, else answers every channel
            wanted = self._multi(params, "channel")
            names = [messages_api.CHANNELS[code] for code in wanted if code in messages_api.CHANNELS] or list(CODES)
        records = [
            record
            for name in names
            for record in self.store.take_reports(
                name,
                limit=self._limit(params),
                message_ids=set(self._multi(params, "messageId")),
                bulk_ids=set(self._multi(params, "bulkId")),
            )
        ]
        return Answer(200, {"results": [record.pulled_report() for record in records]})

    def _logs(self, channel: str, params: dict[str, list[str]]) -> Answer:
        now, delay = time.time(), self.config.logs_delay
        records = self.store.logs(
            channel,
            message_ids=self._multi(params, "messageId"),
            bulk_ids=set(self._multi(params, "bulkId")),
            limit=self._limit(params),
            since=now - delay if delay else 0.0,
        )
        return Answer(200, {"results": [record.log(now) for record in records]})

    # State --------------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every message and report, release held answers and restore the start-up configuration."""
        self.hold.release_all()
        self.push.reset()
        self.reporter.clear()
        self.store.reset()
        self.config = self.initial
        self.dice = FaultDice(self.initial.seed)

    def configure(self, changes: dict[str, Any]) -> SandboxConfig:
        config = self.config.updated(changes)
        if "seed" in changes:
            self.dice = FaultDice(config.seed)
        self.config = config
        return config


def _outcome(config: SandboxConfig, channel: str, destination: str, message_id: str | None) -> str:
    """The documented rules, then the channel's injected shares (undeliverable, or never reported: "silent")."""
    outcome = protocol.outcome(channel, destination)
    if outcome != "delivered" or not message_id:
        return outcome
    if config.share_hit("silent_share", channel, message_id):
        return "silent"
    return "undeliverable" if config.share_hit("undeliverable_share", channel, message_id) else outcome

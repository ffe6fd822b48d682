"""What the sandbox keeps per accepted message, and the report and log entries built from it on demand."""

from __future__ import annotations

import time

from infobip_sandbox.messages_api import CODES
from infobip_sandbox.messages_api import report as messages_api_report
from infobip_sandbox.protocol import NO_ERROR, OUTCOMES, PENDING_ACCEPTED, PRICE, infobip_time


class Record:
    """One accepted message to one destination; report and log dicts are built from it only when asked for."""

    __slots__ = (
        "bulk_id",
        "callback_data",
        "channel",
        "destination",
        "due_at",
        "kind",
        "message_id",
        "outcome",
        "parts",
        "provider_id",
        "reference",
        "sender",
        "sent_at",
        "text",
        "url",
    )

    def __init__(
        self,
        *,
        channel: str,
        message_id: str,
        bulk_id: str,
        destination: str,
        sender: str,
        sent_at: float,
        due_at: float,
        outcome: str,
        callback_data: str,
        reference: str,
        parts: int,
        url: str,
        text: str,
        kind: str = "infobip",
        provider_id: str = "",
    ) -> None:
        self.channel = channel
        self.message_id = message_id
        self.bulk_id = bulk_id
        self.destination = destination
        self.sender = sender
        self.sent_at = sent_at
        self.due_at = due_at
        self.outcome = outcome
        self.callback_data = callback_data
        self.reference = reference
        self.parts = parts
        self.url = url
        self.text = text
        #: Which API took it: "infobip", or the second providers' "twilio" and "postmark" (``second.py``).
        self.kind = kind
        self.provider_id = provider_id or message_id

    def _common(self) -> dict:
        status, error = OUTCOMES[self.outcome]
        entry = {
            "bulkId": self.bulk_id,
            "messageId": self.message_id,
            "sentAt": infobip_time(self.sent_at),
            "doneAt": infobip_time(self.due_at),
            "price": PRICE,
            "status": status,
            "error": error,
        }
        if self.reference:
            entry["campaignReferenceId"] = self.reference
        return entry

    def report(self) -> dict:
        """The delivery report: SMS v3 shape, or the email webhook shape (which counts in ``smsCount``, sic)."""
        entry = self._common()
        if self.channel in CODES:
            return messages_api_report(entry, self.channel, self.sender, self.destination, self.parts)
        entry["to"] = self.destination
        if self.channel == "sms":
            entry["sender"] = self.sender
            entry["messageCount"] = self.parts
        else:
            entry["smsCount"] = self.parts
            entry["attemptCount"] = 1
        if self.callback_data:
            entry["callbackData"] = self.callback_data
        return entry

    def pulled_report(self) -> dict:
        """A report as ``GET /sms/3/reports`` or ``GET /email/4/reports`` returns it."""
        entry = self._common()
        if self.channel in CODES:
            return messages_api_report(entry, self.channel, self.sender, self.destination, self.parts)
        entry.update(to=self.destination, sender=self.sender, messageCount=self.parts)
        if self.callback_data:
            entry["callbackData"] = self.callback_data
        return entry

    def log(self, now: float | None = None) -> dict:
        """A message log entry: still PENDING until its report is due, then its final status."""
        done = (now or time.time()) >= self.due_at
        entry = (
            self._common()
            if done
            else {
                "bulkId": self.bulk_id,
                "messageId": self.message_id,
                "sentAt": infobip_time(self.sent_at),
                "price": PRICE,
                "status": PENDING_ACCEPTED,
                "error": NO_ERROR,
            }
        )
        entry.update(sender=self.sender, destination=self.destination, messageCount=self.parts)
        if self.channel == "sms":
            entry["content"] = {"text": self.text}
        else:
            entry["text"] = self.text
        return entry

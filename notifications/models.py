"""Sends, their messages and every report about them.

A ``Send`` is the frozen job that a campaign, the ``notify`` command or a test starts: content per language and
channel, and the audience definition, fixed when it starts. A ``Message`` is one (send, recipient, channel) row:
the outbox entry, the resume point and the delivery record at once. The database, not the broker, is the source
of truth.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Channel, Client, TestRecipient
from notifications.reply_models import Reply as Reply  # re-exported: the app's models are found here


class Send(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        PAUSED = "paused", _("paused")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    ACTIVE_STATES = (State.QUEUED, State.SENDING)

    label = models.CharField(max_length=200)
    is_test = models.BooleanField(default=False, help_text=_("Test sends reach internal recipients only."))
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED, db_index=True)
    channels = models.JSONField(default=list, help_text=_('["sms", "email"]'))
    # Audience definition in the language of clients.audience; for tests: {"test_recipients": [ids]}.
    audience = models.JSONField(default=dict)
    # {"en": {"sms": {"text": ...}, "email": {"subject": ..., "text": ..., "html": ...}}, "fr": {...}}
    content = models.JSONField(default=dict)
    fallback_language = models.CharField(max_length=8, default="en")
    variables = models.JSONField(default=dict, blank=True, help_text=_("Values shared by every recipient."))
    notice_kind = models.CharField(max_length=16, blank=True, help_text=_("Honours clients' muted kinds."))
    mandatory = models.BooleanField(default=False, help_text=_("Mandatory notices ignore muted kinds."))
    sms_stop_line = models.BooleanField(default=False, help_text=_('Append "Reply STOP to opt out" to SMS.'))
    reference = models.CharField(max_length=100, blank=True, help_text=_("Sent as campaignReferenceId."))
    scheduled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # After this nothing of the send goes out: rows not yet accepted become ``expired`` (services/validity.py).
    valid_until = models.DateTimeField(null=True, blank=True, help_text=_("No message is sent after this."))
    # At most this many messages per minute on each channel, across workers (services/ratelimit.py).
    pace_per_minute = models.PositiveIntegerField(null=True, blank=True, help_text=_("Empty: as fast as allowed."))
    # An ordered chain of channels ("whatsapp", "sms"): each client gets the first one they can be reached on, the
    # next only when that one fails or is not delivered within the wait (services/failover.py). [] = no chain.
    failover = models.JSONField(default=list, blank=True, db_default=[])
    failover_wait_seconds = models.PositiveIntegerField(
        default=300, db_default=300, help_text=_("Not delivered within this long: the next channel of the chain.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    # When a materialize was last asked for: the sweeper rings again only for one asked for long ago and not running.
    materialize_requested_at = models.DateTimeField(null=True, blank=True)
    materialized_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{'[test] ' if self.is_test else ''}{self.label}"


class MessageQuerySet(models.QuerySet):
    def final(self) -> MessageQuerySet:
        return self.filter(state__in=Message.FINAL_STATES)


class Message(models.Model):
    """One message to one recipient on one channel, within one send."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        ACCEPTED = "accepted", _("accepted")
        DELIVERED = "delivered", _("delivered")
        UNDELIVERABLE = "undeliverable", _("undeliverable")
        EXPIRED = "expired", _("expired")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")
        CANCELLED = "cancelled", _("cancelled")
        SUPERSEDED = "superseded", _("superseded by a later notice")

    class SkipReason(models.TextChoices):
        INACTIVE = "inactive", _("inactive")
        NO_EMAIL = "no_email", _("no email address")
        NO_PHONE = "no_phone", _("no mobile number")
        NO_BROWSER = "no_browser", _("no browser subscribed")
        NO_DEVICE = "no_device", _("no app device registered")
        BOUNCED = "bounced", _("email address bounced")
        UNREACHABLE = "unreachable", _("number unreachable")
        OPTED_OUT = "opted_out", _("opted out of this channel")
        MUTED_KIND = "muted_kind", _("does not want this kind of notice")
        FREQUENCY_CAP = "frequency_cap", _("had the most notices allowed in the period")

    # The one vocabulary of message states; every module asks these, none keeps a list of its own.
    # Final: nothing will ever change the row again.
    FINAL_STATES = (
        State.DELIVERED,
        State.UNDELIVERABLE,
        State.EXPIRED,
        State.REJECTED,
        State.FAILED,
        State.SKIPPED,
        State.CANCELLED,
        State.SUPERSEDED,
    )
    # A notice whose message is in one of these counts against the client's frequency cap (clients.frequency keeps
    # the same list as strings, since clients cannot import this module; a test checks they agree).
    CAP_COUNTED_STATES = (State.PENDING, State.SENDING, State.ACCEPTED, State.DELIVERED)
    # Still moving: waiting for a worker, out with a worker, or accepted and waiting for its report.
    IN_FLIGHT_STATES = (State.PENDING, State.SENDING, State.ACCEPTED)
    # Final states a provider's report can set (reports never fail, skip or cancel a message).
    REPORTED_FINAL_STATES = (State.DELIVERED, State.UNDELIVERABLE, State.EXPIRED, State.REJECTED)
    # Sent but not delivered: what the failures page lists and a person may retry.
    FAILURE_STATES = (State.UNDELIVERABLE, State.REJECTED, State.EXPIRED, State.FAILED)
    # Retried by default: engine errors and expiry. Rejected and undeliverable numbers only on an explicit choice,
    # since the same request to the same number usually fails the same way.
    RETRY_DEFAULT_STATES = (State.FAILED, State.EXPIRED)
    RETRY_OPTIONAL_STATES = (State.UNDELIVERABLE, State.REJECTED)

    # No index of its own: the (send, state, channel) index and the unique constraints lead with send_id.
    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="messages", db_index=False)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    test_recipient = models.ForeignKey(
        TestRecipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages", db_index=False
    )  # partial index below
    channel = models.CharField(max_length=8, choices=Channel.choices)
    destination = models.CharField(max_length=254, blank=True, help_text=_("The address as sent."))
    language = models.CharField(max_length=8, default="en")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    skip_reason = models.CharField(max_length=16, choices=SkipReason.choices, blank=True)

    subject = models.CharField(max_length=1000, blank=True)
    body = models.TextField(blank=True, help_text=_("SMS text, or the email's plain text, as sent."))
    html = models.TextField(blank=True)
    parts = models.PositiveSmallIntegerField(default=0, help_text=_("SMS parts billed."))

    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    #: The provider the last request carrying it went to (infobip, twilio, postmark): its lookups ask that one.
    provider = models.CharField(max_length=16, blank=True, default="", db_default="")  # raw INSERTs omit it
    bulk_id = models.CharField(max_length=100, blank=True)
    status_name = models.CharField(
        max_length=64, blank=True, help_text=_("Provider status, e.g. DELIVERED_TO_HANDSET.")
    )
    error_code = models.CharField(max_length=64, blank=True)
    error_text = models.CharField(max_length=500, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, help_text=_("Last time a request carried it."))
    accepted_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The row this one replaces in a failover chain (services/failover.py); unique, so a row is replaced at most once.
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by", db_index=False
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=["send", "client", "channel"],
                condition=Q(client__isnull=False),
                name="unique_send_client_channel",
            ),
            models.UniqueConstraint(
                fields=["send", "test_recipient", "channel"],
                condition=Q(test_recipient__isnull=False),
                name="unique_send_tester_channel",
            ),
            # Partial: the rows outside a chain (nearly all) never enter the index on their four updates.
            models.UniqueConstraint(
                fields=["replaces"], condition=Q(replaces__isnull=False), name="unique_message_replaces"
            ),
        ]
        # Every index costs an insert on each of a message's three or four non-HOT updates (claim, result, report)
        # and at materialize; the partial ones hold only the rows their queries look for.
        indexes = [
            models.Index(fields=["send", "state", "channel"], name="message_send_state_idx"),
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="message_claim_idx"),
            models.Index(fields=["lease_until"], condition=Q(state="sending"), name="message_lease_idx"),
            models.Index(fields=["accepted_at"], condition=Q(state="accepted"), name="message_awaiting_report_idx"),
            models.Index(
                fields=["test_recipient"], condition=Q(test_recipient__isnull=False), name="message_test_recipient_idx"
            ),
            models.Index(
                fields=["provider_message_id"], condition=~Q(provider_message_id=""), name="message_provider_id_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.channel} {self.state}"

    @property
    def message_id(self) -> str:
        """Our id for this message at the provider: every destination carries it, every report returns it."""
        return message_id_for(self.pk)

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES


def message_id_for(pk: int) -> str:
    return f"{settings.INFOBIP_MESSAGE_ID_PREFIX}-{pk}"


def pk_from_message_id(message_id: str) -> int | None:
    prefix = f"{settings.INFOBIP_MESSAGE_ID_PREFIX}-"
    if not isinstance(message_id, str) or not message_id.startswith(prefix):
        return None
    tail = message_id[len(prefix) :]
    # ASCII digits only: str.isdigit() is also true for "²" or "١", which int() refuses or reads as another number.
    return int(tail) if tail.isascii() and tail.isdigit() and len(tail) < 19 else None


class DeliveryReport(models.Model):
    """A raw delivery report as received (webhook or pull), append-only, kept for the record."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("webhook")
        PULL = "pull", _("pulled")
        LOGS = "logs", _("logs lookup")

    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    provider_message_id = models.CharField(max_length=200, db_index=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    status_group = models.CharField(max_length=32, blank=True)
    status_name = models.CharField(max_length=64, blank=True)
    error_name = models.CharField(max_length=64, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEBHOOK)
    is_orphan = models.BooleanField(default=False, help_text=_("No message of ours has this id."))
    dedupe_key = models.CharField(max_length=300, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-received_at", "-id")

    def __str__(self) -> str:
        return f"{self.provider_message_id} {self.status_name}"


class ProviderCall(models.Model):
    """One HTTP request to the provider: how many messages it carried and how it ended (for metrics and audits)."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        RETRYABLE = "retryable", _("retryable error")
        THROTTLED = "throttled", _("throttled")
        PERMANENT = "permanent", _("permanent error")
        AMBIGUOUS = "ambiguous", _("unknown outcome")

    send = models.ForeignKey(Send, null=True, on_delete=models.SET_NULL, related_name="provider_calls")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    message_count = models.PositiveIntegerField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.channel} ×{self.message_count} {self.outcome}"

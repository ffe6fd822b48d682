"""Who hears about an outage: clients, their buckets, saved segments, consent history and internal testers."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.choices import BuiltinAudience, Channel, NoticeKind
from clients.push_models import DeviceToken, PushSubscription

__all__ = ["BuiltinAudience", "Channel", "NoticeKind", "DeviceToken", "PushSubscription"]


class ClientQuerySet(models.QuerySet):
    def active(self) -> ClientQuerySet:
        return self.filter(is_active=True)


class Client(models.Model):
    """A customer contact who may need to hear about an outage."""

    external_ref = models.CharField(
        _("External reference"), max_length=64, unique=True, help_text=_("The client's id in the billing system.")
    )
    name = models.CharField(_("Name"), max_length=200)
    account = models.CharField(_("Account / company"), max_length=200, blank=True)
    email = models.EmailField(_("Email"), blank=True, db_index=True)
    phone = models.CharField(
        _("Mobile number"), max_length=20, blank=True, db_index=True, help_text=_("E.164, for example +33612345678.")
    )
    language = models.CharField(_("Language"), max_length=8, default="en")
    time_zone = models.CharField(
        _("Time zone"),
        max_length=64,
        blank=True,
        db_default="",
        help_text=_("IANA name, e.g. Europe/Paris; empty: CLIENT_DEFAULT_TIME_ZONE. Dates in messages use it."),
    )
    uses_sms_service = models.BooleanField(_("Uses our SMS service"), default=False)
    uses_email_service = models.BooleanField(_("Uses our email service"), default=False)
    # Set from delivery reports (a hard bounce, a number the network says cannot be reached); excluded from notices
    # until the address changes or an admin clears the mark (clients.deliverability).
    email_bounced_at = models.DateTimeField(_("Email bounced at"), null=True, blank=True, db_default=None)
    email_bounce_reason = models.CharField(_("Bounce reason"), max_length=200, blank=True, db_default="")
    phone_unreachable_at = models.DateTimeField(_("Number unreachable since"), null=True, blank=True, db_default=None)
    phone_unreachable_reason = models.CharField(_("Unreachable reason"), max_length=200, blank=True, db_default="")

    email_consent = models.BooleanField(_("Email notices allowed"), default=True)
    email_opted_out_at = models.DateTimeField(_("Email opt-out time"), null=True, blank=True)
    email_opt_out_source = models.CharField(_("Email opt-out source"), max_length=64, blank=True)
    sms_consent = models.BooleanField(_("SMS notices allowed"), default=True)
    sms_opted_out_at = models.DateTimeField(_("SMS opt-out time"), null=True, blank=True)
    sms_opt_out_source = models.CharField(_("SMS opt-out source"), max_length=64, blank=True)
    viber_consent = models.BooleanField(_("Viber notices allowed"), default=False, db_default=False)
    viber_opted_out_at = models.DateTimeField(_("Viber opt-out time"), null=True, blank=True, db_default=None)
    viber_opt_out_source = models.CharField(_("Viber opt-out source"), max_length=64, blank=True, db_default="")
    whatsapp_consent = models.BooleanField(_("WhatsApp notices allowed"), default=False, db_default=False)
    whatsapp_opted_out_at = models.DateTimeField(_("WhatsApp opt-out time"), null=True, blank=True, db_default=None)
    whatsapp_opt_out_source = models.CharField(_("WhatsApp opt-out source"), max_length=64, blank=True, db_default="")
    preferred_channel = models.CharField(_("Preferred channel"), max_length=8, blank=True, db_default="")
    # Push (docs/channels.md): opt-in, given when the client subscribes a browser or the app registers a device.
    webpush_consent = models.BooleanField(_("Browser notifications allowed"), default=False, db_default=False)
    webpush_opted_out_at = models.DateTimeField(_("Browser opt-out time"), null=True, blank=True, db_default=None)
    webpush_opt_out_source = models.CharField(_("Browser opt-out source"), max_length=64, blank=True, db_default="")
    apppush_consent = models.BooleanField(_("App notifications allowed"), default=False, db_default=False)
    apppush_opted_out_at = models.DateTimeField(_("App opt-out time"), null=True, blank=True, db_default=None)
    apppush_opt_out_source = models.CharField(_("App opt-out source"), max_length=64, blank=True, db_default="")
    # Notice kinds the client chose not to receive (preference page); mandatory notices ignore this.
    muted_kinds = models.JSONField(_("Muted notice kinds"), default=list, blank=True)

    is_active = models.BooleanField(_("Active"), default=True)
    region = models.CharField(_("Service area / region"), max_length=100, blank=True, db_index=True)
    network = models.CharField(_("Network provider"), max_length=100, blank=True)
    plan = models.CharField(_("Plan"), max_length=100, blank=True, db_index=True)
    tags = models.JSONField(_("Tags"), default=list, blank=True)
    attributes = models.JSONField(
        _("Attributes"),
        default=dict,
        blank=True,
        help_text=_("Free fields to filter on, e.g. last_visit, monthly_spend."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        # The privacy actions (notifications/privacy.py): reading clients is not enough for either.
        permissions = [
            ("export_client_data", "Can export everything held about a client"),
            ("erase_client_data", "Can erase a client and its personal data"),
        ]
        indexes = [
            models.Index(fields=["is_active", "uses_sms_service"], name="client_active_sms_idx"),
            models.Index(fields=["is_active", "uses_email_service"], name="client_active_email_idx"),
            models.Index(fields=["language"], name="client_language_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_ref})"

    def has_consent(self, channel: str) -> bool:
        return bool(getattr(self, f"{channel}_consent"))


class Bucket(models.Model):
    """A named group with static membership: a region, key accounts, a pilot group."""

    name = models.CharField(_("Name"), max_length=100, unique=True)
    slug = models.SlugField(_("Slug"), max_length=100, unique=True)
    description = models.TextField(_("Description"), blank=True)
    clients = models.ManyToManyField(Client, through="BucketMembership", related_name="buckets", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("name",)
        verbose_name = _("bucket")
        verbose_name_plural = _("buckets")

    def __str__(self) -> str:
        return self.name


class BucketMembership(models.Model):
    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="memberships")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "client"], name="unique_bucket_client")]
        indexes = [models.Index(fields=["client", "bucket"], name="membership_client_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} in {self.bucket_id}"


class Segment(models.Model):
    """A saved audience: built-in audiences and buckets, narrowed by conditions on client fields.

    ``definition`` is the audience language of ``clients.audience`` (see its docstring), for example
    ``{"builtin": ["sms_clients"], "buckets": [3], "match": "all",
    "conditions": [{"field": "attributes.monthly_spend", "op": "gt", "value": 100}]}``.
    """

    name = models.CharField(_("Name"), max_length=100, unique=True)
    description = models.TextField(_("Description"), blank=True)
    definition = models.JSONField(_("Definition"), default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class ConsentEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ValueError("Consent events are append-only.")


class ConsentEvent(models.Model):
    """Append-only history of consent given or withdrawn, per client and channel."""

    class Action(models.TextChoices):
        GIVEN = "given", _("given")
        WITHDRAWN = "withdrawn", _("withdrawn")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    action = models.CharField(max_length=12, choices=Action.choices)
    source = models.CharField(
        max_length=64, help_text=_("admin, import, unsubscribe_link, preferences, sms_stop, signup…")
    )
    detail = models.CharField(max_length=255, blank=True, help_text=_("Page, message id or import file."))
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")

    def __str__(self) -> str:
        return f"{self.client_id} {self.channel} {self.action} via {self.source}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Consent events are append-only.")
        super().save(*args, **kwargs)


class SignupRequest(models.Model):
    """A self sign-up waiting for its double opt-in (and, for an unknown account, an admin's approval).

    Nothing here is consent: the client and its ConsentEvents are written only once a contact is confirmed. The
    link token and the SMS code are stored as keyed hashes; the plain values exist only in the message sent.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        AWAITING_APPROVAL = "awaiting_approval", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(_("State"), max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    account_ref = models.CharField(_("Account reference"), max_length=200)
    name = models.CharField(_("Name"), max_length=200)
    email = models.EmailField(_("Email"), blank=True)
    phone = models.CharField(_("Mobile number"), max_length=20, blank=True)
    language = models.CharField(_("Language"), max_length=8, default="en")
    uses_sms_service = models.BooleanField(_("Uses our SMS service"), default=False)
    uses_email_service = models.BooleanField(_("Uses our email service"), default=False)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    email_confirmed_at = models.DateTimeField(_("Email confirmed at"), null=True, blank=True)
    phone_confirmed_at = models.DateTimeField(_("Mobile confirmed at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("Expires at"))
    created_at = models.DateTimeField(_("Created at"), default=timezone.now, editable=False)
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Decided by"),
    )
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="signups", verbose_name=_("Client")
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("sign-up request")
        verbose_name_plural = _("sign-up requests")

    def __str__(self) -> str:
        return f"{self.name} / {self.account_ref} ({self.get_state_display()})"

    @property
    def confirmed_channels(self) -> list[str]:
        channels = []
        if self.email_confirmed_at and self.email:
            channels.append(Channel.EMAIL.value)
        if self.phone_confirmed_at and self.phone:
            channels.append(Channel.SMS.value)
        return channels


class TestRecipient(models.Model):
    """An internal address that test sends may reach; test sends go only to these."""

    __test__ = False  # not a pytest test class
    name = models.CharField(_("Name"), max_length=100)
    email = models.EmailField(_("Email"), blank=True)
    phone = models.CharField(_("Mobile number"), max_length=20, blank=True)
    language = models.CharField(_("Language"), max_length=8, default="en")
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("internal test recipient")
        verbose_name_plural = _("internal test recipients")

    def __str__(self) -> str:
        return self.name


def language_choices() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


from clients.vocabulary import ServiceName  # noqa: E402,F401  (a model of this app, in a module of its own)

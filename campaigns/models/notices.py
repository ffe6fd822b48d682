"""Incidents, saved message templates, and campaigns (the notices ops build in the outage form)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import Send


class IncidentKind(models.TextChoices):
    OUTAGE = "outage", _("Outage")
    DEGRADED = "degraded", _("Degraded service")
    MAINTENANCE = "maintenance", _("Planned maintenance")
    UPDATE = "update", _("Update")
    RESOLVED = "resolved", _("Resolved")


# The client preference (clients.NoticeKind) that each campaign kind falls under.
NOTICE_KIND_FOR: dict[str, str] = {
    IncidentKind.OUTAGE: "outage",
    IncidentKind.DEGRADED: "outage",
    IncidentKind.MAINTENANCE: "maintenance",
    IncidentKind.UPDATE: "update",
    IncidentKind.RESOLVED: "update",
}


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    INFO = "info", _("Information")


class Incident(models.Model):
    """What broke. Every notice about it (first, updates, resolved) belongs to one incident: its thread.

    An incident made with a draft is a draft too: it opens when its first notice goes out (incidents.py), so an
    abandoned draft never shows as an open incident.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("not sent yet")
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices, default=IncidentKind.OUTAGE)
    services = models.JSONField(_("affected services"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    expected_resolution_at = models.DateTimeField(_("expected resolution"), null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MAJOR)
    internal_note = models.TextField(_("internal note"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The public page (campaigns/models/public.py, docs/public.md): published when its first notice goes out.
    is_public = models.BooleanField(
        _("public page"), default=True, help_text=_("Show this incident on the public status page.")
    )
    public_id = models.CharField(max_length=16, unique=True, null=True, blank=True, editable=False)
    regions = models.JSONField(_("affected regions"), default=list, blank=True)
    public_state = models.CharField(_("public state"), max_length=16, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return self.title


class MessageTemplate(models.Model):
    """A saved message with one version per language; editing a notice never changes it unless asked."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices, default=IncidentKind.OUTAGE)
    description = models.CharField(_("description"), max_length=255, blank=True)
    sms_stop_line = models.BooleanField(_('add "Reply STOP to opt out" to SMS'), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("message template")

    def __str__(self) -> str:
        return self.name


class TemplateVersion(models.Model):
    """One language of a template: the SMS text and the email subject, plain text and HTML.

    ``is_default`` makes it the text a new notice of the template's kind starts from in that language (one per kind
    and language: campaigns/services/templates.py keeps it so).
    """

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=8)
    sms_text = models.TextField(_("SMS text"), blank=True)
    email_subject = models.CharField(_("email subject"), max_length=300, blank=True)
    email_text = models.TextField(_("email plain text"), blank=True)
    email_html = models.TextField(_("email HTML"), blank=True)
    public_text = models.TextField(_("public page text"), blank=True)
    is_default = models.BooleanField(
        _("default for its kind in this language"),
        default=False,
        help_text=_("New notices of the template's kind start from this text in this language."),
    )

    class Meta:
        ordering = ("template", "language")
        constraints = [models.UniqueConstraint(fields=["template", "language"], name="unique_template_language")]

    def __str__(self) -> str:
        return f"{self.template} [{self.language}]"

    def as_content(self) -> dict:
        return {
            "sms": {"text": self.sms_text},
            "email": {"subject": self.email_subject, "text": self.email_text, "html": self.email_html},
        }


class Campaign(models.Model):
    """A notice: however it starts (outage form, command line, API, alert), it is recorded here and goes out through
    campaigns/services/door.py, which freezes it into notifications.Send rows: its main send, then any reminders.
    """

    class Source(models.TextChoices):
        WEB = "web", _("web")
        COMMAND_LINE = "cli", _("command line")
        API = "api", _("API")
        ALERT = "alert", _("alert")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        AWAITING_APPROVAL = "awaiting_approval", _("awaiting approval")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        PAUSED = "paused", _("paused")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")
        FAILED = "failed", _("failed")
        DISCARDED = "discarded", _("discarded")

    class SendMode(models.TextChoices):
        NOW = "now", _("Send now")
        AT = "at", _("At a date and time")
        REPEAT = "repeat", _("Repeat every N hours until a time")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="campaigns")
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices, default=IncidentKind.OUTAGE)
    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    wizard_step = models.CharField(max_length=20, default="incident")
    mandatory = models.BooleanField(
        _("mandatory notice"), default=False, help_text=_("Reaches clients even if they muted this kind of notice.")
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.WEB, db_index=True)
    source_detail = models.CharField(
        _("source detail"), max_length=200, blank=True, help_text=_("Which token, alert route or system account.")
    )

    # Audience definition (clients.audience language); for follow-ups: {"clients": [ids]} frozen from the parent.
    audience = models.JSONField(default=dict, blank=True)
    channels = models.JSONField(default=list, blank=True)
    # Failover chain (channels in order, each a fallback for the one before) and its wait; empty wait: the kind's
    # FAILOVER_WAIT_MINUTES (docs/channels.md, "Failover").
    failover = models.JSONField(default=list, blank=True, db_default=[])
    failover_wait_minutes = models.PositiveSmallIntegerField(_("failover after (minutes)"), null=True, blank=True)
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    content = models.JSONField(default=dict, blank=True, help_text=_("Per language and channel, as in Send."))
    fallback_language = models.CharField(max_length=8, default="en")
    variables = models.JSONField(default=dict, blank=True)
    sms_stop_line = models.BooleanField(default=False)
    # What this notice adds to the incident's public page: a text per language and the state it sets.
    public_text = models.JSONField(default=dict, blank=True)
    public_state = models.CharField(max_length=16, blank=True)

    send_mode = models.CharField(max_length=8, choices=SendMode.choices, default=SendMode.NOW)
    send_at = models.DateTimeField(null=True, blank=True)
    repeat_every_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    repeat_until = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Hours after a send starts during which its messages may go out (empty: the kind's NOTICE_VALIDITY_HOURS).
    validity_hours = models.PositiveSmallIntegerField(_("valid for (hours)"), null=True, blank=True)
    # At most this many messages per minute per channel, so the support line is not flooded (empty: no pace).
    pace_per_minute = models.PositiveIntegerField(_("messages per minute"), null=True, blank=True)
    # Planned maintenance (campaigns/services/maintenance.py): the reminders chosen for the window, in minutes before
    # its start; and, on the notices the schedule made, which one this is (reminder, started, completed).
    reminder_offsets = models.JSONField(_("reminders (minutes before the start)"), default=list, blank=True)
    maintenance_step = models.CharField(max_length=10, blank=True, default="")
    # A one-tap question and its answers ([{"key": "1", "label": "Still without service"}]); the notice page tallies
    # the replies whose answer is a key (campaigns/selectors/replies.py). The text itself asks it.
    reply_question = models.CharField(_("question"), max_length=160, blank=True, default="")
    reply_options = models.JSONField(_("answers"), default=list, blank=True)

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")
    audience_size = models.PositiveIntegerField(
        default=0,
        help_text=_("People (distinct clients) counted at confirmation, and again when the main send starts."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # How many recipients the approval (or emergency send) covers; a later start above it asks again.
    approved_recipients = models.PositiveIntegerField(null=True, blank=True)
    emergency_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emergency_reason = models.TextField(_("emergency reason"), blank=True)
    emergency_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        permissions = [
            ("send_campaign", "Can send or schedule a notice"),
            ("approve_campaign", "Can approve a large notice"),
            ("test_send_campaign", "Can test-send a notice to internal recipients"),
            ("edit_others_drafts", "Can edit other people's draft notices"),
            ("emergency_send_campaign", "Can send a large notice without approval, in an emergency"),
        ]

    def __str__(self) -> str:
        return self.title


class CampaignSend(models.Model):
    """Links a campaign to the notifications.Send rows it started: the real send, its tests, its reminders."""

    class Role(models.TextChoices):
        MAIN = "main", _("main send")
        TEST = "test", _("test send")
        REMINDER = "reminder", _("reminder")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="campaign_sends")
    send = models.OneToOneField(Send, on_delete=models.CASCADE, related_name="campaign_link")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.role} {self.send_id}"


class CampaignEvent(models.Model):
    """Audit trail: who drafted, edited (which fields), tested, approved or declined (why), sent, paused, resumed or
    cancelled a notice, and when. Written only by campaigns/services/audit.py."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32)
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.action}"

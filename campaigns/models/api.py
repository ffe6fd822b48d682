"""The monitoring API's models: tokens with their own permissions, and how alerts map to audiences.

They depend on the notices' models (campaigns/models/notices.py), never the other way round.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.notices import Campaign, Incident, IncidentKind, MessageTemplate
from clients.models import Bucket, Segment


class ApiToken(models.Model):
    """A machine's key to the API. Only a hash is stored; the token is shown once, when it is created."""

    name = models.CharField(_("name"), max_length=100, help_text=_("Who uses it, e.g. “Alertmanager prod”."))
    prefix = models.CharField(max_length=12, editable=False, help_text=_("First characters, to recognise it."))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    can_create_draft = models.BooleanField(_("can create drafts"), default=False)
    can_read_status = models.BooleanField(_("can read notice status"), default=False)
    can_send_without_review = models.BooleanField(
        _("can send without review"),
        default=False,
        help_text=_("Drafts it creates may be sent at once, without a person. Leave off unless agreed."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AlertRoute(models.Model):
    """Which alerts (by label) open a draft for which audience, on which channels, with which template.

    Matchers are ``{"label": "value"}``; every one must match the alert group's labels. With ``match_regex`` the
    values are regular expressions that must match the whole label value. Routes are tried by ``priority``.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower is tried first."))
    matchers = models.JSONField(
        _("label matchers"), default=dict, help_text=_('e.g. {"service": "fibre", "region": "North"}')
    )
    match_regex = models.BooleanField(_("values are regular expressions"), default=False)
    buckets = models.ManyToManyField(Bucket, blank=True, related_name="+", verbose_name=_("buckets"))
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("segment")
    )
    channels = models.JSONField(_("channels"), default=list, help_text=_('["sms", "email"]'))
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("template")
    )
    resolved_template = models.ForeignKey(
        MessageTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("template when resolved"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices, default=IncidentKind.OUTAGE)
    send_without_review = models.BooleanField(
        _("send without review"),
        default=False,
        help_text=_("Only honoured for a token allowed to send without review."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("priority", "id")
        verbose_name = _("alert route")

    def __str__(self) -> str:
        return self.name

    def matches(self, labels: dict) -> bool:
        for label, expected in (self.matchers or {}).items():
            actual = labels.get(label)
            if actual is None:
                return False
            if self.match_regex:
                try:
                    if re.fullmatch(str(expected), str(actual)) is None:
                        return False
                except re.error:
                    return False
            elif str(expected) != str(actual):
                return False
        return True


class AlertLink(models.Model):
    """An Alertmanager alert group and the incident and draft it opened, so repeats and resolutions find them."""

    group_key = models.CharField(max_length=500, db_index=True)
    route = models.ForeignKey(AlertRoute, null=True, on_delete=models.SET_NULL, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    resolved_campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fired_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-fired_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["group_key"], condition=models.Q(resolved_at__isnull=True), name="unique_open_alert_group"
            ),
        ]

    def __str__(self) -> str:
        return self.group_key

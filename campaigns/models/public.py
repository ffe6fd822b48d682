"""What the public sees of an incident: its updates, and the short links messages carry to its page.

An incident's public page (public_site) shows its title, state, services, regions, times and these updates; never
its internal note, its audience or its messages. A ``ShortLink`` is one notice's link for one channel and language:
its random code is the few characters after ``/i/`` in an SMS, and its click count is per notice and channel.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.notices import Campaign, Incident


class PublicState(models.TextChoices):
    """The states a status page reader knows (Statuspage's), and a maintenance window's."""

    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


INCIDENT_STATES = (PublicState.INVESTIGATING, PublicState.IDENTIFIED, PublicState.MONITORING, PublicState.RESOLVED)
MAINTENANCE_STATES = (PublicState.SCHEDULED, PublicState.IN_PROGRESS, PublicState.COMPLETED)
FINAL_PUBLIC_STATES = (PublicState.RESOLVED, PublicState.COMPLETED)


class PublicUpdate(models.Model):
    """One published update of an incident's page: the state it set and its text in each language."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="public_updates")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="public_updates"
    )
    state = models.CharField(max_length=16, choices=PublicState.choices)
    texts = models.JSONField(default=dict, help_text=_("The update's text per language."))
    published_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("published_at", "id")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.state} {self.published_at:%Y-%m-%d %H:%M}"


class ShortLink(models.Model):
    """``{{ incident_link }}`` of one notice on one channel in one language: a random code, never an id."""

    code = models.CharField(max_length=16, unique=True)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="short_links")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="short_links")
    channel = models.CharField(max_length=8)
    language = models.CharField(max_length=8)
    is_test = models.BooleanField(default=False)
    clicks = models.PositiveBigIntegerField(default=0, help_text=_("Opened so far (flushed from the cache)."))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "language", "is_test"], name="unique_short_link_per_notice"
            )
        ]

    def __str__(self) -> str:
        return self.code

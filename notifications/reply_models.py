"""What customers send back: a ``Reply`` is one inbound text (SMS, WhatsApp, Viber), kept with the message it answers.

It lives beside ``Message`` (imported by ``notifications.models``) because a reply belongs to the notice whose
message the sender last received on that channel (``notifications/replies/match.py``). A reply from a number no
recent message went to is kept too, with no message, so ops can see it in the admin and count it (docs/tracking.md).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Channel, Client

MAX_REPLY_TEXT = 1600  # ten SMS parts; WhatsApp allows more, a longer answer is cut here
MAX_ANSWER = 20


class Reply(models.Model):
    class Keyword(models.TextChoices):
        NONE = "", _("none")
        STOP = "stop", _("opt-out")
        START = "start", _("opt-in")

    # The provider's id of the inbound message with its channel: a webhook delivered twice is stored once.
    dedupe_key = models.CharField(max_length=300, unique=True)
    inbound_id = models.CharField(max_length=200)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    sender = models.CharField(max_length=20, help_text=_("E.164; shown masked without the privacy permission."))
    text = models.CharField(max_length=MAX_REPLY_TEXT, blank=True)
    # The text as a one-tap answer: letters and digits, upper case, accents dropped ("yes!" → "YES", " 1." → "1").
    answer = models.CharField(max_length=MAX_ANSWER, blank=True)
    keyword = models.CharField(max_length=8, choices=Keyword.choices, blank=True)
    message = models.ForeignKey(
        "notifications.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    received_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-received_at", "-id")
        verbose_name_plural = _("replies")

    def __str__(self) -> str:
        return f"{self.channel} reply {self.inbound_id}"

"""The vocabularies of the client registry: channels, notice kinds, built-in audiences (re-exported by models)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    VIBER = "viber", _("Viber")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WEBPUSH = "webpush", _("Browser notifications")
    APPPUSH = "apppush", _("App notifications")


class NoticeKind(models.TextChoices):
    """The kinds of notice a client may choose to receive (the preference page)."""

    OUTAGE = "outage", _("Outages and degraded service")
    MAINTENANCE = "maintenance", _("Planned maintenance")
    UPDATE = "update", _("Updates and resolutions")


class BuiltinAudience(models.TextChoices):
    """The three audiences every outage starts from, derived from the services each client uses."""

    SMS_CLIENTS = "sms_clients", _("SMS clients")
    EMAIL_CLIENTS = "email_clients", _("Email clients")
    ALL_CLIENTS = "all_clients", _("All clients")

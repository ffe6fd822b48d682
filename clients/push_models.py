"""Where push reaches a client: browser subscriptions (web push) and app device tokens (FCM), several per client.

Why rows and not a field: a client may use several browsers and devices; each is reached on its own and dies on
its own (the push service answers 404/410, FCM ``UNREGISTERED``), which marks it ``gone_at`` and keeps the rest.
A row with ``gone_at`` set is never sent to again; registering the same endpoint or token again revives it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ENDPOINT_MAX = 1024  # push services' endpoints are a few hundred characters; anything longer is refused
TOKEN_MAX = 512  # FCM registration tokens are about 160 characters


class PushSubscription(models.Model):
    """One browser's Push API subscription (RFC 8030 endpoint, RFC 8291 keys), as ``PushManager.subscribe`` gave it."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.CharField(_("Endpoint"), max_length=ENDPOINT_MAX, unique=True)
    p256dh = models.CharField(_("Public key (p256dh)"), max_length=128)
    auth = models.CharField(_("Auth secret"), max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    gone_at = models.DateTimeField(_("Gone at"), null=True, blank=True, help_text=_("The push service said 404/410."))

    class Meta:
        verbose_name = _("browser subscription")
        verbose_name_plural = _("browser subscriptions")
        indexes = [models.Index(fields=["client", "gone_at"], name="pushsub_client_live_idx")]

    def __str__(self) -> str:
        return f"browser subscription {self.pk}"


class DeviceToken(models.Model):
    """One installation of the company's app, by its FCM registration token (registered through the API)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="device_tokens")
    token = models.CharField(_("FCM token"), max_length=TOKEN_MAX, unique=True)
    platform = models.CharField(_("Platform"), max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    gone_at = models.DateTimeField(_("Gone at"), null=True, blank=True, help_text=_("FCM said UNREGISTERED/404."))

    class Meta:
        verbose_name = _("app device")
        verbose_name_plural = _("app devices")
        indexes = [models.Index(fields=["client", "gone_at"], name="devtoken_client_live_idx")]

    def __str__(self) -> str:
        return f"app device {self.pk}"

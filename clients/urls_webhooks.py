"""Inbound SMS from Infobip, mounted at webhooks/infobip/inbound/ (before the notifications webhooks)."""

from django.urls import path

from clients import webhooks

urlpatterns = [
    path("", webhooks.inbound_sms, name="inbound_sms"),
    path("<str:token>/", webhooks.inbound_sms, name="inbound_sms_token"),
]

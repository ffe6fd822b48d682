"""Webhooks Infobip and the second providers (Twilio, Postmark) call; included at ``webhooks/`` by the project's urls.

These paths are configured in Infobip accounts (inbound SMS, Messages API inbound) or sent with every message
(reports): they do not change.
"""

from django.urls import path

from notifications.webhooks import inbound, postmark, reports, twilio

app_name = "notifications"
urlpatterns = [
    path("infobip/reports/<str:token>/", reports.infobip_reports, name="infobip_reports"),
    path("infobip/reports/", reports.infobip_reports, name="infobip_reports_plain"),
    path("infobip/inbound/", inbound.inbound_sms, name="inbound_sms"),
    path("infobip/inbound/<str:token>/", inbound.inbound_sms, name="inbound_sms_token"),
    path("infobip/messages-inbound/", inbound.inbound_messages, name="inbound_messages"),
    path("infobip/messages-inbound/<str:token>/", inbound.inbound_messages, name="inbound_messages_token"),
    path("twilio/status/", twilio.twilio_status, name="twilio_status"),
    path("postmark/events/", postmark.postmark_events, name="postmark_events"),
]

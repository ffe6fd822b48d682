"""Webhooks Infobip calls; included at ``webhooks/`` by the project's urls."""

from django.urls import path

from notifications import webhooks

app_name = "notifications"
urlpatterns = [
    path("infobip/reports/<str:token>/", webhooks.infobip_reports, name="infobip_reports"),
    path("infobip/reports/", webhooks.infobip_reports, name="infobip_reports_plain"),
]

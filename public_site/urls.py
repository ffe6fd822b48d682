"""Visitor-facing pages: sign-up (under /c/, beside the customer pages), the status page and incident pages
(/status/), their feeds, and short links (/i/<code>). The portal's root shows visitors the status page too
(outage_portal/views.py)."""

from django.urls import path

from public_site import views
from public_site.status import views as status

app_name = "public"
urlpatterns = [
    path("c/signup/", views.signup_start, name="signup"),
    path("c/signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("c/signup/<uuid:public_id>/", views.signup_sent, name="signup_sent"),
    path("status/", status.status_page, name="status"),
    path("status/feed.<str:kind>", status.status_feed, name="status_feed"),
    path("status/incidents/<slug:public_id>/", status.incident_page, name="incident"),
    path("status/incidents/<slug:public_id>/feed.<str:kind>", status.incident_feed, name="incident_feed"),
    path("status-preview/<int:pk>/", status.incident_preview, name="incident_preview"),
    path("i/<str:code>", status.short_link, name="short_link"),
]

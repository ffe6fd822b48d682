"""Visitor-facing pages, under /c/ beside the customer pages: sign-up and its confirmations."""

from django.urls import path

from public_site import views

app_name = "public"
urlpatterns = [
    path("signup/", views.signup_start, name="signup"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("signup/<uuid:public_id>/", views.signup_sent, name="signup_sent"),
]

"""Customer-facing pages: no login; every link is signed (clients.links)."""

from django.urls import path

from clients import views

app_name = "clients"
urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("signup/", views.signup_start, name="signup"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("signup/<uuid:public_id>/", views.signup_sent, name="signup_sent"),
]

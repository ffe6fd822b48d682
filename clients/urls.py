"""Customer pages of the registry: no login; every link is signed (clients.links). Sign-up is in ``public_site``."""

from django.urls import path

from clients import views, views_push

app_name = "clients"
urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("preferences/<str:token>/browser/", views_push.push_subscribe, name="push_subscribe"),
    path("push-sw.js", views_push.service_worker, name="push_worker"),
]

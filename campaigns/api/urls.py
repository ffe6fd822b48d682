from django.urls import path

from campaigns.api import devices, views

app_name = "api"
urlpatterns = [
    path("openapi.json", views.openapi_schema, name="openapi"),
    path("v1/notices", views.notice_create, name="notices"),
    path("v1/notices/<str:pk>", views.notice_detail, name="notice"),  # any id answers JSON, even a bad one
    path("v1/alertmanager", views.alertmanager_webhook, name="alertmanager"),
    path("v1/clients/<str:ref>/devices", devices.device_register, name="devices"),
    path("v1/clients/<str:ref>/devices/remove", devices.device_remove, name="devices-remove"),
]

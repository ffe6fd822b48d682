from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from outage_portal import health, metrics, views
from outage_portal.auth_views import ThrottledAdminLoginView, ThrottledLoginView

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico on pages without an icon link (the JSON API, a raw 404): never a 404 line.
    path("favicon.ico", views.favicon),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/login/", ThrottledAdminLoginView.as_view()),
    path("admin/", admin.site.urls),
    path("campaigns/", include("campaigns.urls")),
    path("webhooks/", include("notifications.urls")),
    path("c/", include("clients.urls")),
    path("", include("public_site.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("api/", include("campaigns.api.urls")),
]

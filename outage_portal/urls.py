from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from outage_portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("campaigns/", include("campaigns.urls")),
    path("webhooks/infobip/inbound/", include("clients.urls_webhooks")),
    path("webhooks/", include("notifications.urls")),
    path("c/", include("clients.urls")),
]

"""The portal's home page: staff get a dashboard whose data comes from campaigns.selectors; visitors without a
staff session get the public status page (public_site), which is also at /status/."""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from campaigns.selectors.dashboard import dashboard_data
from public_site.status.views import status_page


def home(request: HttpRequest) -> HttpResponse:
    """Open incidents, notices going out, notices scheduled and how well the last ones were delivered."""
    if not request.user.is_authenticated:
        return status_page(request)
    context = dashboard_data() if request.user.has_perm("campaigns.view_campaign") else {}
    return render(request, "home.html", context)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without an icon link (the JSON API, a raw 404): never a 404 line."""
    return HttpResponsePermanentRedirect(static("favicon/favicon.svg"))

"""The portal's home page: a dashboard whose data comes from campaigns.selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from campaigns.selectors.dashboard import dashboard_data


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Open incidents, notices going out, notices scheduled and how well the last ones were delivered."""
    context = dashboard_data() if request.user.has_perm("campaigns.view_campaign") else {}
    return render(request, "home.html", context)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without an icon link (the JSON API, a raw 404): never a 404 line."""
    return HttpResponsePermanentRedirect(static("favicon/favicon.svg"))

"""The portal's home page: a dashboard whose data comes from campaigns.selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from campaigns.selectors.dashboard import dashboard_data


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Open incidents, notices going out, notices scheduled and how well the last ones were delivered."""
    context = dashboard_data() if request.user.has_perm("campaigns.view_campaign") else {}
    return render(request, "home.html", context)

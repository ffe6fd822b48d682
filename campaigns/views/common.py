"""What every staff page of campaigns shares: the login and permission guard, the 403 page with its reason, and
where a notice opens (its draft in the outage form, or its page)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services import rules

VIEW_PERM = "campaigns.view_campaign"

View = Callable[..., HttpResponseBase]


def staff_view(*perms: str) -> Callable[[View], View]:
    """Anonymous users go to the login page; signed-in users without the permissions get 403."""

    def decorator(view: View) -> View:
        guarded = login_required(permission_required((VIEW_PERM, *perms), raise_exception=True)(view))
        return wraps(view)(guarded)

    return decorator


def forbidden(request: HttpRequest, reason: str, campaign: Campaign | None = None) -> HttpResponse:
    """A 403 page that says why, with the way back to the notice."""
    return render(request, "campaigns/forbidden.html", {"reason": reason, "campaign": campaign}, status=403)


def refusing(view: View) -> View:
    """Turn a service's ``rules.NotAllowed`` into the 403 page with its reason."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except rules.NotAllowed as error:
            return forbidden(request, str(error))

    return wrapped


def wizard_url(campaign: Campaign) -> str:
    return reverse("campaigns:wizard", args=[campaign.pk, campaign.wizard_step])


def notice_url(campaign: Campaign, live_state: str) -> str:
    """Where a notice opens from a list: a draft in the outage form, anything else on its page."""
    return (
        wizard_url(campaign) if live_state == Campaign.State.DRAFT else reverse("campaigns:detail", args=[campaign.pk])
    )

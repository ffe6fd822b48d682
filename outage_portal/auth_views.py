"""The staff login pages (the portal's and /admin/login/) with the login throttle (outage_portal/throttle.py)."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from outage_portal.throttle import (
    client_address,
    login_failure_record,
    login_lock_remaining,
    login_success_record,
)

logger = logging.getLogger(__name__)


def _locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed attempts. Sign-in is locked for %(n)d minute; try again later.",
        "Too many failed attempts. Sign-in is locked for %(n)d minutes; try again later.",
        minutes,
    ) % {"n": minutes}


class ThrottledLoginView(auth_views.LoginView):
    """Refuses a username from an address after repeated failures, with a clear message on the form."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        address = client_address(request)
        remaining = login_lock_remaining(username=username, address=address)
        if remaining:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _locked_message(remaining))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(remaining)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        login_success_record(username=form.cleaned_data.get("username", ""), address=client_address(self.request))
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = self.request.POST.get("username", "")
        lock = login_failure_record(username=username, address=client_address(self.request))
        if lock:
            logger.warning("login locked for %s s after repeated failures", lock)
            form.add_error(None, _locked_message(lock))
        return super().form_invalid(form)


class ThrottledAdminLoginView(ThrottledLoginView):
    """The admin's own login page under the same throttle, so /admin/login/ is no way around it."""

    template_name = "admin/login.html"
    authentication_form = AdminAuthenticationForm
    redirect_authenticated_user = False

    def get_default_redirect_url(self) -> str:
        return reverse("admin:index")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            admin.site.each_context(self.request),
            title=_("Log in"),
            subtitle=None,
            app_path=self.request.get_full_path(),
            username=self.request.user.get_username(),
        )
        return context

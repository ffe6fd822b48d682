"""The sign-up pages: the form, the page that waits for the link or takes the SMS code, and the emailed link.

One call deep: the records and their rules are in ``clients.signup``, the delivery in ``public_site.signup``. Every
visitor gets the same pages whatever the account reference (no enumeration).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods

from clients import signup
from clients.models import SignupRequest
from clients.pages import page_language, render_page, request_language, visitor_address
from clients.public_forms import mask_email, mask_phone
from public_site.forms import CodeForm, SignupForm
from public_site.signup import signup_request

_TEMPLATES = "public/"


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *, language: str, status: int = 200
) -> HttpResponse:
    return render_page(request, _TEMPLATES + template, context, language=language, status=status)


@require_http_methods(["GET", "POST"])
def signup_start(request: HttpRequest) -> HttpResponse:
    language = page_language(request, request_language(request))
    with translation.override(language):
        form = SignupForm(request.POST or None, initial={"language": language})
        if request.method == "POST" and form.is_valid():
            try:
                started = signup_request(**form.cleaned_data, ip=visitor_address(request))
            except signup.SignupThrottled:
                return _page(request, "signup.html", {"form": form, "throttled": True}, language=language, status=429)
            return HttpResponseRedirect(
                reverse("public:signup_sent", args=[started.public_id]) + f"?lang={started.language}"
            )
    return _page(request, "signup.html", {"form": form}, language=language)


@require_http_methods(["GET", "POST"])
def signup_sent(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Where the visitor waits for the link or types the SMS code."""
    pending = get_object_or_404(SignupRequest, public_id=public_id)
    language = page_language(request, pending.language)
    context: dict[str, Any] = {
        "signup": pending,
        "email": mask_email(pending.email),
        "phone": mask_phone(pending.phone),
    }
    if signup.signup_is_expired(pending) or pending.state == SignupRequest.State.REJECTED:
        return _page(request, "signup_expired.html", context, language=language, status=410)
    with translation.override(language):
        form = CodeForm(request.POST or None) if pending.phone and not pending.phone_confirmed_at else None
        if request.method == "POST" and form is not None and form.is_valid():
            check = signup.signup_check_code(signup=pending, code=form.cleaned_data["code"])
            if check.ok:
                return _page(request, "signup_done.html", context, language=language)
            if check.reason == "expired":
                return _page(request, "signup_expired.html", context, language=language, status=410)
            context["code_problem"] = check
    status = 400 if context.get("code_problem") else 200
    return _page(request, "signup_sent.html", {**context, "form": form}, language=language, status=status)


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: GET shows one button (link scanners confirm nothing), POST confirms."""
    pending = signup.signup_for_token(token)
    language = page_language(request, pending.language if pending else request_language(request))
    if pending is None:
        return render_page(request, "clients/public/link_invalid.html", {}, language=language, status=400)
    if signup.signup_is_expired(pending) or pending.state == SignupRequest.State.REJECTED:
        return _page(request, "signup_expired.html", {"signup": pending}, language=language, status=410)
    if request.method == "POST" or pending.email_confirmed_at:
        signup.signup_confirm_email(signup=pending)
        return _page(request, "signup_done.html", {"signup": pending}, language=language)
    context = {"signup": pending, "email": mask_email(pending.email)}
    return _page(request, "signup_confirm.html", context, language=language)

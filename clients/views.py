"""Customer-facing pages: unsubscribe, preferences and sign-up. No login; every link is signed (clients.links).

Each page speaks the client's language (or the visitor's, for sign-up) unless ``?lang=`` picks another one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clients import links, signup
from clients.consent import client_leave_all, client_preferences_update, consent_set
from clients.models import Channel, Client, SignupRequest
from clients.public_forms import CodeForm, PreferencesForm, SignupForm, mask_email, mask_phone

_MESSAGE_REF = re.compile(r"^[\w.:-]{1,64}$")


def _language(request: HttpRequest, default: str) -> str:
    languages = dict(settings.LANGUAGES)
    chosen = request.GET.get("lang", "")
    if chosen in languages:
        return chosen
    return default if default in languages else settings.LANGUAGE_CODE


def _render(request: HttpRequest, template: str, context: dict, *, language: str, status: int = 200) -> HttpResponse:
    with translation.override(language):
        response = render(request, f"clients/public/{template}", context, status=status)
    response["Content-Language"] = language
    return response


def _link_problem(request: HttpRequest, token: str, reader: Callable[..., object]) -> HttpResponse:
    """A forged link gets a plain 400; an authentic expired one is explained in its owner's language."""
    try:
        value = reader(token, check_age=False)
    except signing.BadSignature:
        return _render(request, "link_invalid.html", {}, language=_language(request, request.LANGUAGE_CODE), status=400)
    client_id = value[0] if isinstance(value, tuple) else value
    client = Client.objects.filter(pk=client_id).only("language").first()
    language = _language(request, client.language if client else request.LANGUAGE_CODE)
    return _render(
        request, "link_expired.html", {"max_age_days": links.max_age() // 86400}, language=language, status=410
    )


def _client_or_none(client_id: int) -> Client | None:
    return Client.objects.filter(pk=client_id).first()


def _masked_address(client: Client, channel: str) -> str:
    return mask_email(client.email) if channel == Channel.EMAIL else mask_phone(client.phone)


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie and no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners change nothing); POST unsubscribes, and saying it twice changes nothing."""
    try:
        client_id, channel = links.read_unsubscribe_token(token)
    except signing.BadSignature:  # includes SignatureExpired
        return _link_problem(request, token, links.read_unsubscribe_token)
    client = _client_or_none(client_id)
    if client is None or channel not in Channel.values:
        return _render(request, "link_invalid.html", {}, language=_language(request, request.LANGUAGE_CODE), status=400)
    language = _language(request, client.language)
    context = {
        "client": client,
        "channel": channel,
        "address": _masked_address(client, channel),
        "preferences_url": links.preferences_url(client.pk),
    }
    if request.method == "POST":
        message_ref = request.GET.get("m", "")
        changed = consent_set(
            client=client,
            channel=channel,
            given=False,
            source="unsubscribe_link",
            detail=message_ref if _MESSAGE_REF.match(message_ref) else "",
        )
        return _render(request, "unsubscribe_done.html", {**context, "already": not changed}, language=language)
    if not client.has_consent(channel):
        return _render(request, "unsubscribe_done.html", {**context, "already": True}, language=language)
    return _render(request, "unsubscribe_confirm.html", context, language=language)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        client_id = links.read_preferences_token(token)
    except signing.BadSignature:
        return _link_problem(request, token, links.read_preferences_token)
    client = _client_or_none(client_id)
    if client is None:
        return _render(request, "link_invalid.html", {}, language=_language(request, request.LANGUAGE_CODE), status=400)
    language = _language(request, client.language)
    with translation.override(language):
        if request.method == "POST" and "leave_all" in request.POST:
            client_leave_all(client=client, source="preferences", detail="leave all")
            return HttpResponseRedirect(f"{request.path}?saved=left")
        form = PreferencesForm(request.POST or None, client=client)
        if request.method == "POST" and form.is_valid():
            client_preferences_update(
                client=client,
                channels=form.channel_choices(),
                language=form.cleaned_data["language"],
                muted_kinds=form.muted_kinds(),
                source="preferences",
                detail="preference page",
            )
            return HttpResponseRedirect(f"{request.path}?saved=1")
    return _render(
        request,
        "preferences.html",
        {"form": form, "client": client, "saved": request.GET.get("saved")},
        language=language,
    )


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@require_http_methods(["GET", "POST"])
def signup_start(request: HttpRequest) -> HttpResponse:
    language = _language(request, request.LANGUAGE_CODE)
    with translation.override(language):
        form = SignupForm(request.POST or None, initial={"language": language})
        if request.method == "POST" and form.is_valid():
            try:
                started = signup.signup_start(**form.cleaned_data, ip=_client_ip(request))
            except signup.SignupThrottled:
                return _render(request, "signup.html", {"form": form, "throttled": True}, language=language, status=429)
            return HttpResponseRedirect(
                reverse("clients:signup_sent", args=[started.public_id]) + f"?lang={started.language}"
            )
    return _render(request, "signup.html", {"form": form}, language=language)


@require_http_methods(["GET", "POST"])
def signup_sent(request: HttpRequest, public_id: str) -> HttpResponse:
    """Where the visitor waits for the link or types the SMS code."""
    pending = get_object_or_404(SignupRequest, public_id=public_id)
    language = _language(request, pending.language)
    context = {"signup": pending, "email": mask_email(pending.email), "phone": mask_phone(pending.phone)}
    if signup.signup_is_expired(pending) or pending.state == SignupRequest.State.REJECTED:
        return _render(request, "signup_expired.html", context, language=language, status=410)
    with translation.override(language):
        form = CodeForm(request.POST or None) if pending.phone and not pending.phone_confirmed_at else None
        if request.method == "POST" and form is not None and form.is_valid():
            check = signup.signup_check_code(signup=pending, code=form.cleaned_data["code"])
            if check.ok:
                return _render(request, "signup_done.html", context, language=language)
            if check.reason == "expired":
                return _render(request, "signup_expired.html", context, language=language, status=410)
            context["code_problem"] = check
    return _render(
        request,
        "signup_sent.html",
        {**context, "form": form},
        language=language,
        status=400 if context.get("code_problem") else 200,
    )


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: GET shows one button (link scanners confirm nothing), POST confirms."""
    pending = signup.signup_for_token(token)
    language = _language(request, pending.language if pending else request.LANGUAGE_CODE)
    if pending is None:
        return _render(request, "link_invalid.html", {}, language=language, status=400)
    if signup.signup_is_expired(pending) or pending.state == SignupRequest.State.REJECTED:
        return _render(request, "signup_expired.html", {"signup": pending}, language=language, status=410)
    if request.method == "POST" or pending.email_confirmed_at:
        signup.signup_confirm_email(signup=pending)
        return _render(request, "signup_done.html", {"signup": pending}, language=language)
    return _render(
        request, "signup_confirm.html", {"signup": pending, "email": mask_email(pending.email)}, language=language
    )

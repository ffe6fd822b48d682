"""Customer-facing pages of the registry: unsubscribe and preferences. No login; every link is signed
(clients.links). The visitor-facing sign-up pages live in the ``public_site`` app.

Each page speaks the client's language unless ``?lang=`` picks another one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clients import links
from clients.consent import client_leave_all, client_preferences_update, consent_set
from clients.models import Channel, Client
from clients.pages import page_language, render_page, request_language
from clients.public_forms import PreferencesForm, browser_push, mask_email, mask_phone

_MESSAGE_REF = re.compile(r"^[\w.:-]{1,64}$", re.ASCII)
_TEMPLATES = "clients/public/"


def _invalid(request: HttpRequest) -> HttpResponse:
    language = page_language(request, request_language(request))
    return render_page(request, _TEMPLATES + "link_invalid.html", {}, language=language, status=400)


def _link_problem(request: HttpRequest, token: str, reader: Callable[..., object]) -> HttpResponse:
    """A forged link gets a plain 400; an authentic expired one is explained in its owner's language."""
    try:
        value = reader(token, check_age=False)
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return _invalid(request)
    client_id = value[0] if isinstance(value, tuple) else value
    client = _client_or_none(client_id)
    language = page_language(request, client.language if client else request_language(request))
    context = {"max_age_days": links.max_age() // 86400}
    return render_page(request, _TEMPLATES + "link_expired.html", context, language=language, status=410)


def _client_or_none(client_id: object) -> Client | None:
    if not isinstance(client_id, int) or not 0 < client_id < 2**63:
        return None
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
    except (ValueError, TypeError, KeyError):  # signed by us but not a link we make
        return _invalid(request)
    client = _client_or_none(client_id)
    if client is None or channel not in Channel.values:
        return _invalid(request)
    language = page_language(request, client.language)
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
        done = {**context, "already": not changed}
        return render_page(request, _TEMPLATES + "unsubscribe_done.html", done, language=language)
    if not client.has_consent(channel):
        return render_page(
            request, _TEMPLATES + "unsubscribe_done.html", {**context, "already": True}, language=language
        )
    return render_page(request, _TEMPLATES + "unsubscribe_confirm.html", context, language=language)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        client_id = links.read_preferences_token(token)
    except signing.BadSignature:
        return _link_problem(request, token, links.read_preferences_token)
    except (ValueError, TypeError, KeyError):
        return _invalid(request)
    client = _client_or_none(client_id)
    if client is None:
        return _invalid(request)
    language = page_language(request, client.language)
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
                preferred_channel=form.cleaned_data.get("preferred_channel"),
            )
            return HttpResponseRedirect(f"{request.path}?saved=1")
    context = {"form": form, "client": client, "saved": request.GET.get("saved"), "push": browser_push(token)}
    return render_page(request, _TEMPLATES + "preferences.html", context, language=language)

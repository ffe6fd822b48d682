"""The public status page, incident pages, their feeds, short links and the staff preview.

Views are one call deep and render without the request (no session, no CSRF token, no user), so every visitor gets
the same bytes for the same language and time zone; ``PublicPageCacheMiddleware`` serves them from the cache.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import get_language_info
from django.views.decorators.http import require_safe

from campaigns.models import Campaign, Incident, PublicUpdate
from campaigns.selectors.public import public_incident
from campaigns.services.publishing import clean_texts, notice_public_state
from public_site.status import feeds, pages
from public_site.status.links import short_link_response
from public_site.status.variant import Variant, variant_of

TEMPLATES = "public/status/"
# Offered in the time-zone chooser; any IANA name works as ?tz=.
TIME_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Athens",
    "Africa/Casablanca",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def _language_links(variant: Variant) -> list[tuple[str, str, str]]:
    """Each portal language, named in itself, with a link that keeps the time zone."""
    return [
        (code, str(get_language_info(code)["name_local"]).capitalize(), pages.query(Variant(code, variant.time_zone)))
        for code, _name in settings.LANGUAGES
    ]


def _page(template: str, context: dict[str, Any], variant: Variant, *, status: int = 200) -> HttpResponse:
    zone = ZoneInfo(variant.time_zone)
    zones = sorted({*TIME_ZONES, settings.TIME_ZONE, variant.time_zone})
    with translation.override(variant.language), timezone.override(zone):
        body = render_to_string(
            TEMPLATES + template,
            {
                **context,
                "variant": variant,
                "query": pages.query(variant),
                "zone_name": variant.time_zone,
                "zones": zones,
                "language_links": _language_links(variant),
                "signup_url": "/c/signup/?lang=" + variant.language,
            },
        )
    response = HttpResponse(body, status=status)
    response["Content-Language"] = variant.language
    return response


def _cacheable(response: HttpResponse) -> HttpResponse:
    response.public_cacheable = True  # type: ignore[attr-defined]
    return response


@require_safe
def status_page(request: HttpRequest) -> HttpResponse:
    variant = variant_of(request)
    return _cacheable(_page("status.html", pages.status_context(variant), variant))


def _incident_or_404(public_id: str, variant: Variant) -> pages.IncidentView:
    incident = public_incident(public_id)
    if incident is None:
        raise Http404("No public incident here.")
    with translation.override(variant.language):
        return pages.incident_view(incident, variant, now=timezone.now())


@require_safe
def incident_page(request: HttpRequest, public_id: str) -> HttpResponse:
    variant = variant_of(request)
    view = _incident_or_404(public_id, variant)
    return _cacheable(_page("incident.html", {"incident": view}, variant))


FEED_KINDS = ("atom", "json")


def _feed(body: bytes, kind: str) -> HttpResponse:
    content_type = "application/atom+xml; charset=utf-8" if kind == "atom" else "application/feed+json; charset=utf-8"
    return _cacheable(HttpResponse(body, content_type=content_type))


@require_safe
def status_feed(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in FEED_KINDS:
        raise Http404("Feeds are .atom and .json.")
    variant = variant_of(request)
    views = pages.status_context(variant)["views"]
    body = feeds.status_atom(views, variant) if kind == "atom" else feeds.status_json(views, variant)
    return _feed(body, kind)


@require_safe
def incident_feed(request: HttpRequest, public_id: str, kind: str) -> HttpResponse:
    if kind not in FEED_KINDS:
        raise Http404("Feeds are .atom and .json.")
    variant = variant_of(request)
    view = _incident_or_404(public_id, variant)
    return _feed(feeds.incident_atom(view, variant) if kind == "atom" else feeds.incident_json(view, variant), kind)


@require_safe
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    return short_link_response(code)


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
@require_safe
def incident_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff see an incident's public page as it is, or as it will be once ``?notice=<id>`` goes out."""
    incident = get_object_or_404(Incident, pk=pk)
    variant = variant_of(request)
    extra: list[PublicUpdate] = []
    notice_id = request.GET.get("notice", "")
    if notice_id.isdigit():
        notice = get_object_or_404(Campaign, pk=int(notice_id), incident=incident)
        extra = [
            PublicUpdate(
                incident=incident,
                state=notice_public_state(notice),
                texts=clean_texts(notice.public_text),
                published_at=timezone.now(),
            )
        ]
    with translation.override(variant.language):
        view = pages.incident_view(incident, variant, now=timezone.now(), extra=extra)
    context = {"incident": view, "preview": True, "hidden": not incident.is_public}
    response = _page("incident.html", context, variant)
    response["Cache-Control"] = "private, no-store"
    return response

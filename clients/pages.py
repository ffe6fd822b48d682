"""What every customer-facing page shares: the language it speaks and how it is rendered.

Used by the pages in ``clients`` (unsubscribe, preferences) and by the public sign-up pages (``public_site``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation


def page_language(request: HttpRequest, default: str) -> str:
    """``?lang=`` when it names a portal language, else ``default`` when it is one, else the portal's own."""
    languages = dict(settings.LANGUAGES)
    chosen = request.GET.get("lang", "")
    if chosen in languages:
        return chosen
    return default if default in languages else settings.LANGUAGE_CODE


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, language: str, status: int = 200
) -> HttpResponse:
    """Render a customer page in ``language`` and say so in ``Content-Language``."""
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    return response


def request_language(request: HttpRequest) -> str:
    """The language Django's LocaleMiddleware chose for this request (Accept-Language), or the portal's own."""
    return str(getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE))


def visitor_address(request: HttpRequest) -> str:
    """The caller's IP address: REMOTE_ADDR, or the entry TRUSTED_PROXY_COUNT hops back in X-Forwarded-For.

    Behind reverse proxies REMOTE_ADDR is the last proxy's; each trusted proxy appends the address it received
    from, so the real caller is that many entries from the end. Entries before it are whatever the caller wrote.
    """
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies][:64]
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")[:64]

"""The preference page's browser notifications: the signed endpoint a browser's subscription is POSTed to, and the
service worker that shows the notices.

Why a view for the worker: a service worker controls the path it is served from and below, so it is served at
``/c/push-sw.js`` (scope ``/c/``, which holds the preference page) rather than from ``/static/``; no
``Service-Worker-Allowed`` header is needed for that scope.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from clients import links
from clients.channels import reach_of
from clients.models import Channel, Client
from clients.push import PushValueError, subscription_register

MAX_BODY = 4096  # a subscription's JSON is a few hundred bytes


def _worker_source() -> bytes:
    return (Path(settings.BASE_DIR) / "static" / "push" / "sw.js").read_bytes()


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # a changed worker is picked up at the next visit
    return response


@require_POST
def push_subscribe(request: HttpRequest, token: str) -> JsonResponse:
    """Store this browser's subscription for the client of the signed link; JSON answers, never a 500."""
    try:
        client_id = links.read_preferences_token(token)
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return JsonResponse({"error": "This link is not valid (or has expired)."}, status=400)
    client = Client.objects.filter(pk=client_id).first() if 0 < client_id < 2**63 else None
    if client is None or not reach_of(Channel.WEBPUSH).offered():
        return JsonResponse({"error": "Browser notifications are not available."}, status=404)
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": "The subscription is too large."}, status=413)
    try:
        data = json.loads(request.body)
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, dict):
            raise PushValueError("keys missing")
        subscription_register(
            client=client,
            endpoint=str(data.get("endpoint") or ""),
            p256dh=str(keys.get("p256dh") or ""),
            auth=str(keys.get("auth") or ""),
        )
    except (ValueError, RecursionError) as exc:  # PushValueError is a ValueError; so is bad JSON
        return JsonResponse({"error": f"The subscription was refused: {exc}"[:200]}, status=400)
    return JsonResponse({"subscribed": True}, status=201)

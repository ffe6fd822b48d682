"""Infobip's inbound webhooks: SMS (``MO_JSON_2``) and the Messages API (WhatsApp, Viber), authenticated like the
delivery reports, then one service (``notifications.replies.record.inbound_process``).

Junk answers 400 (a retry would not help) and changes nothing; a well-formed message that fails inside answers 503,
so Infobip delivers it again instead of a STOP or an answer being lost (the service applies a batch in one
transaction, so the retry starts clean, and stores each text once, so a repeat changes nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clients.inbound import InboundPayloadError
from notifications.replies.parse import Inbound, messages_api_inbound, sms_inbound
from notifications.replies.record import inbound_process
from notifications.webhooks.auth import webhook_authenticated
from notifications.webhooks.body import BadBody, body_length, json_body

logger = logging.getLogger(__name__)
MAX_RESULTS = 100


def _document(body: bytes) -> object:
    payload = json_body(body)
    results = payload.get("results") if isinstance(payload, dict) else None
    if isinstance(results, list) and len(results) > MAX_RESULTS:
        raise BadBody(f"'results' holds more than {MAX_RESULTS} messages.")
    return payload


def _inbound(request: HttpRequest, token: str | None, read: Callable[[object], list[Inbound]]) -> JsonResponse:
    """403 unauthenticated, 400 for anything that is not an inbound document, 200 once handled, 503 on failure."""
    try:
        body_length(request)
    except BadBody as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    if not webhook_authenticated(request, url_token=token):
        return JsonResponse({"error": "not authenticated"}, status=403)
    try:
        outcome = inbound_process(payload=_document(request.body), read=read)
    except (BadBody, InboundPayloadError) as error:
        return JsonResponse({"error": f"not an inbound message document: {error}"[:200]}, status=400)
    except Exception:
        logger.exception("Inbound messages could not be processed; answering 503 so that Infobip retries them")
        return JsonResponse({"error": "not processed, please retry"}, status=503)
    return JsonResponse(outcome.as_dict())


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest, token: str | None = None) -> JsonResponse:
    return _inbound(request, token, sms_inbound)


@csrf_exempt
@require_POST
def inbound_messages(request: HttpRequest, token: str | None = None) -> JsonResponse:
    return _inbound(request, token, messages_api_inbound)

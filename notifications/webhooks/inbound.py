"""Infobip's inbound-SMS webhook: authenticated like the delivery reports, then the STOP / START service."""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clients.inbound import InboundPayloadError, inbound_sms_process
from notifications.webhooks.auth import webhook_authenticated

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest, token: str | None = None) -> HttpResponse:
    """400 for anything that is not an inbound document, 200 once handled; a failure is logged, never a 5xx."""
    if not webhook_authenticated(request, url_token=token):
        return JsonResponse({"error": "not authenticated"}, status=403)
    try:
        payload = json.loads(request.body)
        outcome = inbound_sms_process(payload=payload)
    except (ValueError, InboundPayloadError) as error:
        return JsonResponse({"error": f"not an inbound message document: {error}"[:200]}, status=400)
    except Exception:
        logger.exception("Inbound SMS could not be processed")
        return JsonResponse({"error": "not processed"}, status=200)
    return JsonResponse(
        {
            "received": outcome.received,
            "opted_out": outcome.opted_out,
            "opted_in": outcome.opted_in,
            "ignored": outcome.ignored,
        }
    )

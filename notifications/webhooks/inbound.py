"""Infobip's inbound-SMS webhook: authenticated like the delivery reports, then the clients' STOP / START service.

A provider webhook, so it lives here with the others; what a keyword does to consent is the clients app's
business (``clients.inbound.inbound_sms_process``). Junk answers 400 (a retry would not help) and changes
nothing; a well-formed message that fails inside answers 503, so Infobip delivers it again instead of a STOP
being lost (the service applies a batch in one transaction, so the retry starts clean).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clients.inbound import InboundPayloadError, inbound_sms_process
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


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest, token: str | None = None) -> JsonResponse:
    """400 for anything that is not an inbound document, 200 once handled, 503 when handling it failed."""
    try:
        body_length(request)
    except BadBody as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    if not webhook_authenticated(request, url_token=token):
        return JsonResponse({"error": "not authenticated"}, status=403)
    try:
        payload = _document(request.body)
        outcome = inbound_sms_process(payload=payload)
    except (BadBody, InboundPayloadError) as error:
        return JsonResponse({"error": f"not an inbound message document: {error}"[:200]}, status=400)
    except Exception:
        logger.exception("Inbound SMS could not be processed; answering 503 so that Infobip retries it")
        return JsonResponse({"error": "not processed, please retry"}, status=503)
    return JsonResponse(
        {
            "received": outcome.received,
            "opted_out": outcome.opted_out,
            "opted_in": outcome.opted_in,
            "ignored": outcome.ignored,
        }
    )

"""The delivery-report webhook Infobip calls, for SMS and email alike.

Authentication (a secret token in the URL, Basic auth or an HMAC of the body, ``notifications/webhooks/auth.py``)
happens before the body is parsed. A well-formed batch is stored raw and applied in a few queries; duplicates and
unknown message ids answer 200 (Infobip would otherwise retry for hours); anything malformed answers 400 and
changes nothing. Bad input never causes a 5xx.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.models import DeliveryReport
from notifications.providers.base import StatusReport
from notifications.providers.infobip.reports import ReportError, report_from_result
from notifications.services.reports import reports_record
from notifications.webhooks.auth import webhook_authenticated

MAX_BODY_BYTES = 1024 * 1024
MAX_RESULTS = 100


class BadPayload(ValueError):
    """A report body we will not apply; the message says why (returned to the caller)."""


def parse_reports(body: bytes) -> list[StatusReport]:
    """Infobip's ``{"results": [...]}`` (SMS v3/v2 and email shapes) as reports; raises ``BadPayload``."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadPayload("The body is not JSON.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise BadPayload("Expected an object with a 'results' list.")
    results = payload["results"]
    if not results or len(results) > MAX_RESULTS:
        raise BadPayload(f"'results' must hold 1 to {MAX_RESULTS} reports.")
    reports = []
    for index, item in enumerate(results):
        try:
            reports.append(report_from_result(item, strict=True))
        except ReportError as problem:
            raise BadPayload(f"results[{index}]: {problem}") from None
    return reports


def _bad(reason: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt
@require_POST
def infobip_reports(request: HttpRequest, token: str | None = None) -> JsonResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _bad("Bad Content-Length.")
    if length > MAX_BODY_BYTES:
        return _bad(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    if not webhook_authenticated(request, url_token=token):
        return _bad("Not authenticated.", status=401)
    if length <= 0:
        return _bad("The body is empty.")
    try:
        reports = parse_reports(request.body)
    except BadPayload as problem:
        return _bad(str(problem))
    outcome = reports_record(reports=reports, source=DeliveryReport.Source.WEBHOOK)
    return JsonResponse({"received": outcome.received, "applied": outcome.applied, "orphans": outcome.orphans})

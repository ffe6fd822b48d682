"""The delivery-report webhook Infobip calls, for SMS and email alike.

Authentication (a secret token in the URL, Basic auth or an HMAC of the body, ``auth.py``) happens before the body
is parsed, and the body is read with bounded time and memory (``body.py``). Each entry is read by the one Infobip
report parser, strictly: one malformed report refuses the whole batch with a 400 and changes nothing. A
well-formed batch is stored raw and applied in a few queries; duplicates and unknown message ids answer 200
(Infobip would otherwise retry for hours). Nothing a caller can send causes a 5xx.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.models import DeliveryReport
from notifications.providers.base import StatusReport
from notifications.providers.infobip.reports import ReportError, report_from_result
from notifications.services.reports import reports_record
from notifications.webhooks.auth import webhook_authenticated
from notifications.webhooks.body import BadBody, body_length, json_body

MAX_RESULTS = 100


def parse_reports(body: bytes) -> list[StatusReport]:
    """Infobip's ``{"results": [...]}`` (SMS v3/v2 and email shapes) as reports; raises ``BadBody``."""
    payload = json_body(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise BadBody("Expected an object with a 'results' list.")
    results = payload["results"]
    if not results or len(results) > MAX_RESULTS:
        raise BadBody(f"'results' must hold 1 to {MAX_RESULTS} reports.")
    reports = []
    for index, item in enumerate(results):
        try:
            reports.append(report_from_result(item, strict=True))
        except ReportError as problem:
            raise BadBody(f"results[{index}]: {problem}") from None
    return reports


def _bad(reason: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt
@require_POST
def infobip_reports(request: HttpRequest, token: str | None = None) -> JsonResponse:
    try:
        length = body_length(request)
    except BadBody as problem:
        return _bad(str(problem))
    if not webhook_authenticated(request, url_token=token):
        return _bad("Not authenticated.", status=401)
    if length <= 0:
        return _bad("The body is empty.")
    try:
        reports = parse_reports(request.body)
    except BadBody as problem:
        return _bad(str(problem))
    outcome = reports_record(reports=reports, source=DeliveryReport.Source.WEBHOOK)
    return JsonResponse({"received": outcome.received, "applied": outcome.applied, "orphans": outcome.orphans})

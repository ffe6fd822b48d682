"""Twilio's status callbacks for the SMS it carried as second provider, checked by ``X-Twilio-Signature``.

Twilio signs each callback with the account's auth token: the base64 HMAC-SHA1 of the full URL it called (ours,
with ``?m=<our message id>`` as we gave it) followed by every POST parameter, sorted by name, as name and value
with no separators. A call without a valid signature is refused with a 403 before anything is read or stored, so
nobody can move a message by posting to this URL. The URL is rebuilt from ``PORTAL_BASE_URL`` (the address Twilio
was given), not from the request's Host header. A valid callback becomes a report in the engine's vocabulary
(``services/reports.foreign_report``) and is applied by the one report recorder; an unknown status or message
answers 200 (Twilio would otherwise retry).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.models import DeliveryReport
from notifications.services.reports import foreign_report, reports_record
from notifications.webhooks.body import BadBody, body_length

MAX_BODY_BYTES = 16 * 1024
KEPT = ("MessageSid", "MessageStatus", "SmsStatus", "ErrorCode", "AccountSid", "ApiVersion")


def twilio_signature(url: str, params: Iterable[tuple[str, str]], token: str) -> str:
    """Twilio's signature of a callback: base64(HMAC-SHA1(token, url + name1 + value1 + name2 + value2 …))."""
    payload = url + "".join(name + value for name, value in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def _signed(request: HttpRequest) -> bool:
    token = str(settings.TWILIO_AUTH_TOKEN or "")
    given = request.headers.get("X-Twilio-Signature", "")
    if not token or not given or len(given) > 100:
        return False
    url = str(settings.PORTAL_BASE_URL) + request.get_full_path()
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    return hmac.compare_digest(given.encode(), twilio_signature(url, params, token).encode())


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    try:
        length = body_length(request)
    except BadBody as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    if length > MAX_BODY_BYTES:
        return JsonResponse({"error": "The body is too large."}, status=400)
    if request.content_type != "application/x-www-form-urlencoded":
        return JsonResponse({"error": "Expected a form."}, status=400)
    if not _signed(request):
        return JsonResponse({"error": "Bad or missing X-Twilio-Signature."}, status=403)
    message_id = request.GET.get("m", "")[:200]
    status = request.POST.get("MessageStatus", "")[:32]
    error = request.POST.get("ErrorCode", "")[:16]
    raw = {name: request.POST.get(name, "")[:64] for name in KEPT if name in request.POST}
    report = foreign_report(provider="twilio", message_id=message_id, status=status, error=error, raw=raw)
    if report is None:
        return JsonResponse({"received": 0, "ignored": "unknown status or message"})
    outcome = reports_record(reports=[report], source=DeliveryReport.Source.WEBHOOK, channel="sms")
    return JsonResponse({"received": outcome.received, "applied": outcome.applied, "orphans": outcome.orphans})

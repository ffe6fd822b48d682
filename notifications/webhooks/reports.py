"""The delivery-report webhook Infobip calls, for SMS and email alike.

Authentication (a secret token in the URL, Basic auth or an HMAC of the body, ``notifications/webhooks/auth.py``)
happens before the body is parsed. A well-formed batch is stored raw and applied in a few queries; duplicates and
unknown message ids answer 200 (Infobip would otherwise retry for hours); anything malformed answers 400 and
changes nothing. Bad input never causes a 5xx.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.models import DeliveryReport
from notifications.providers.base import StatusReport
from notifications.services.reports import GROUP_STATES, reports_record
from notifications.webhooks.auth import webhook_authenticated

MAX_BODY_BYTES = 1024 * 1024
MAX_RESULTS = 100
GROUP_IDS = {0: "ACCEPTED", 1: "PENDING", 2: "UNDELIVERABLE", 3: "DELIVERED", 4: "EXPIRED", 5: "REJECTED"}


class BadPayload(ValueError):
    """A report body we will not apply; the message says why (returned to the caller)."""


def _text(item: dict, key: str, limit: int) -> str:
    value = item.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise BadPayload(f"'{key}' must be text of at most {limit} characters.")
    return value


def _when(value) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadPayload("'doneAt' must be a timestamp.")
    for parse in (datetime.fromisoformat, lambda text: datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")):
        try:
            moment = parse(value)
        except ValueError:
            continue
        if moment.tzinfo is not None:
            return moment
    raise BadPayload("'doneAt' is not a timestamp with an offset.")


def _report(index: int, item) -> StatusReport:
    if not isinstance(item, dict):
        raise BadPayload(f"results[{index}] must be an object.")
    message_id = item.get("messageId")
    if not isinstance(message_id, str) or not 0 < len(message_id) <= 200:
        raise BadPayload(f"results[{index}].messageId is missing or not text.")
    status = item.get("status")
    if not isinstance(status, dict):
        raise BadPayload(f"results[{index}].status is missing.")
    group = status.get("groupName")
    if group is None and isinstance(status.get("groupId"), int) and not isinstance(status.get("groupId"), bool):
        group = GROUP_IDS.get(status["groupId"])
    if not isinstance(group, str) or group.upper() not in GROUP_STATES:
        raise BadPayload(f"results[{index}].status has no known group.")
    error = item.get("error") if isinstance(item.get("error"), dict) else {}
    parts = item.get("messageCount", item.get("smsCount", 0))
    try:
        return StatusReport(
            message_id=message_id,
            status_group=group.upper(),
            status_name=_text(status, "name", 64),
            error_name=_text(error, "name", 64),
            error_text=_text(error, "description", 500),
            done_at=_when(item.get("doneAt")),
            parts=parts if isinstance(parts, int) and parts > 0 else 0,
            raw=item,
        )
    except BadPayload as problem:
        raise BadPayload(f"results[{index}]: {problem}") from None


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
    return [_report(index, item) for index, item in enumerate(results)]


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

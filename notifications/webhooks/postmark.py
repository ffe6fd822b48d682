"""Postmark's Delivery and Bounce webhooks for the email it carried as second provider.

Postmark sends webhooks per server, not per message, to a URL with Basic-auth credentials in it
(``https://postmark:<secret>@portal.example.com/webhooks/postmark/``); the password is checked against the same
secrets as Infobip's webhooks (``auth.py``) before the body is read, and the body with the same bounds
(``body.py``). The message is ours by its ``Metadata.message_id``; the record type becomes a report in the engine's
vocabulary (``services/reports.foreign_report``) applied by the one report recorder. Other record types (opens,
clicks) and unknown messages answer 200, so Postmark does not retry them.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.models import DeliveryReport
from notifications.services.reports import foreign_report, reports_record
from notifications.webhooks.auth import webhook_authenticated
from notifications.webhooks.body import BadBody, body_length, json_body

KEPT = ("RecordType", "MessageID", "Type", "TypeCode", "MessageStream", "DeliveredAt", "BouncedAt")


@csrf_exempt
@require_POST
def postmark_events(request: HttpRequest) -> JsonResponse:
    try:
        body_length(request)
    except BadBody as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    if not webhook_authenticated(request):
        return JsonResponse({"error": "Not authenticated."}, status=401)
    try:
        event = json_body(request.body)
    except BadBody as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    if not isinstance(event, dict):
        return JsonResponse({"error": "Expected an object."}, status=400)
    metadata = event.get("Metadata")
    message_id = metadata.get("message_id") if isinstance(metadata, dict) else None
    record_type = event.get("RecordType")
    if not isinstance(message_id, str) or not isinstance(record_type, str):
        return JsonResponse({"received": 0, "ignored": "not one of our messages"})
    error = f"{event.get('Type', '')}"[:64] if record_type == "Bounce" else ""
    raw = {key: str(event[key])[:100] for key in KEPT if key in event}
    report = foreign_report(provider="postmark", message_id=message_id[:200], status=record_type, error=error, raw=raw)
    if report is None:
        return JsonResponse({"received": 0, "ignored": "record type not tracked"})
    outcome = reports_record(reports=[report], source=DeliveryReport.Source.WEBHOOK, channel="email")
    return JsonResponse({"received": outcome.received, "applied": outcome.applied, "orphans": outcome.orphans})

"""The monitoring API's endpoints: parse, call one service, answer JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from campaigns.api.alertmanager import alert_group_read, alertmanager_receive
from campaigns.api.auth import api_error, api_view, json_body, request_token
from campaigns.api.notices import (
    SendNotAllowed,
    api_notice_create,
    notice_request_read,
    notice_status,
    notice_summary,
)
from campaigns.api.validation import MAX_ID
from campaigns.models import Campaign

SCHEMA_PATH = Path(__file__).with_name("openapi.json")


@api_view(method="POST", permission="can_create_draft")
def notice_create(request: HttpRequest) -> JsonResponse:
    notice = notice_request_read(json_body(request))
    try:
        result = api_notice_create(token=request_token(request), request=notice)
    except SendNotAllowed as exc:
        return api_error(403, str(exc))
    body = {**notice_summary(result.campaign), "sent": result.sent}
    if result.send_error:
        body["send_error"] = result.send_error
    response = JsonResponse(body, status=201)
    response["Location"] = body["urls"]["self"] or ""
    return response


@api_view(method="GET", permission="can_read_status")
def notice_detail(request: HttpRequest, pk: str) -> JsonResponse:
    valid = pk.isascii() and pk.isdigit() and 0 < int(pk) <= MAX_ID
    campaign = Campaign.objects.select_related("incident").filter(pk=int(pk)).first() if valid else None
    if campaign is None:
        return api_error(404, f"No notice with id {pk}.")
    return JsonResponse(notice_status(campaign))


@api_view(method="POST", permission="can_create_draft")
def alertmanager_webhook(request: HttpRequest) -> JsonResponse:
    outcome = alertmanager_receive(token=request_token(request), group=alert_group_read(json_body(request)))
    body: dict[str, Any] = {"action": outcome.action}
    if outcome.reason:
        body["reason"] = outcome.reason
    if outcome.campaign is not None:
        body["notice"] = notice_summary(outcome.campaign)
        body["sent"] = outcome.sent
    if outcome.send_error:
        body["send_error"] = outcome.send_error
    return JsonResponse(body, status=201 if outcome.action in ("drafted", "resolved_drafted") else 200)


def openapi_schema(request: HttpRequest) -> HttpResponse:
    """The API's OpenAPI 3.1 description (public: it holds no data)."""
    return HttpResponse(SCHEMA_PATH.read_bytes(), content_type="application/json")

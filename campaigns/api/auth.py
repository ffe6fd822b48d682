"""Bearer-token authentication and per-token permissions for the API's views."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from campaigns.api.tokens import api_token_authenticate
from campaigns.api.validation import ApiValidationError
from campaigns.models import ApiToken

PERMISSIONS = ("can_create_draft", "can_read_status", "can_register_devices")


def api_error(status: int, message: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="outage-portal-api"'
    return response


def validation_error(exc: ApiValidationError) -> JsonResponse:
    return JsonResponse({"error": "The request is not valid.", "errors": exc.errors}, status=400)


def _bearer(request: HttpRequest) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def json_body(request: HttpRequest) -> Any:
    """The request's JSON document; raises ApiValidationError when it is not one."""
    try:
        return json.loads(request.body or b"")
    except (ValueError, RecursionError) as exc:
        raise ApiValidationError([{"path": "", "message": "The body must be a JSON document."}]) from exc


def request_token(request: HttpRequest) -> ApiToken:
    """The token ``api_view`` authenticated for this request."""
    token = getattr(request, "api_token", None)
    if not isinstance(token, ApiToken):
        raise RuntimeError("request_token() outside an api_view")
    return token


ApiView = Callable[..., HttpResponse]


def api_view(*, method: str, permission: str) -> Callable[[ApiView], ApiView]:
    """Method check (405), token (401), permission (403), then the view; bad input is a 400, never a 500."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(view: ApiView) -> ApiView:
        @csrf_exempt
        @never_cache
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != method:
                response = api_error(405, f"Use {method}.")
                response["Allow"] = method
                return response
            token = api_token_authenticate(_bearer(request))
            if token is None:
                return api_error(401, "A valid API token is required: Authorization: Bearer <token>.")
            if not getattr(token, permission):
                return api_error(403, f"This token lacks the permission {permission}.")
            request.api_token = token  # type: ignore[attr-defined]
            try:
                return view(request, *args, **kwargs)
            except ApiValidationError as exc:
                return validation_error(exc)
            except RequestDataTooBig:
                return api_error(413, "The request body is too large.")

        return wrapper

    return decorate

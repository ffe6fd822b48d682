"""App devices registered by the company's app backend: ``POST /api/v1/clients/<ref>/devices`` (and ``/remove``).

Why in the API and not in clients: the API's tokens and permissions live here; the registration itself (checks,
consent, the row) is ``clients.push``, called one level down, so the imports keep running campaigns → clients.
The token is never echoed whole: the answer names its last characters only.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from campaigns.api.auth import api_error, api_view, json_body
from campaigns.api.validation import ApiValidationError, Reader
from clients.models import Client
from clients.push import PushValueError, device_token_register, device_token_unregister
from clients.push_models import TOKEN_MAX

PLATFORMS = ("android", "ios", "web")


def _client(ref: str) -> Client | None:
    return Client.objects.filter(external_ref=ref[:64]).first() if ref.isprintable() else None


def _read(request: HttpRequest, *, platform: bool) -> tuple[str, str]:
    reader = Reader()
    data = reader.root(json_body(request))
    unknown = set(data) - {"token", "platform"}
    for name in sorted(unknown):
        reader.error(name, "Unknown field.")
    token = data.get("token")
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX:
        reader.error("token", f"An FCM registration token (1 to {TOKEN_MAX} characters).")
    kind = data.get("platform", "")
    if platform and kind not in ("", *PLATFORMS):
        reader.error("platform", f"One of {', '.join(PLATFORMS)}.")
    reader.raise_if_errors()
    return str(token), str(kind)


def _summary(client: Client, token: str) -> dict[str, str]:
    return {"client": client.external_ref, "token_ends_with": token[-6:]}


@api_view(method="POST", permission="can_register_devices")
def device_register(request: HttpRequest, ref: str) -> JsonResponse:
    client = _client(ref)
    if client is None:
        return api_error(404, "No client with that reference.")
    token, platform = _read(request, platform=True)
    try:
        device_token_register(client=client, token=token, platform=platform)
    except PushValueError as exc:
        raise ApiValidationError([{"path": "token", "message": str(exc)}]) from exc
    client.refresh_from_db(fields=["apppush_consent"])
    return JsonResponse({**_summary(client, token), "notifications": client.apppush_consent}, status=201)


@api_view(method="POST", permission="can_register_devices")
def device_remove(request: HttpRequest, ref: str) -> JsonResponse:
    client = _client(ref)
    if client is None:
        return api_error(404, "No client with that reference.")
    token, _platform = _read(request, platform=False)
    return JsonResponse({**_summary(client, token), "removed": device_token_unregister(client=client, token=token)})

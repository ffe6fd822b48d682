"""The sandbox's push services: a web push service (RFC 8030) and Firebase Cloud Messaging's HTTP v1 API.

Why here: the portal's push providers talk HTTP to services we do not run; in tests and ``make run`` the sandbox
plays them so the whole path (encryption, VAPID, OAuth2, 404/410) runs for real.

* ``POST /push/<id>``: a push endpoint. It accepts an aes128gcm body with a ``vapid`` Authorization, records the
  request (headers and the encrypted body, base64) and answers 201 with a ``Location``; 410 Gone for the ids in
  ``gone`` or a ``gone_rate`` share of ids (chosen by a hash, so the same id always answers the same).
* ``POST /fcm/token``: Google's OAuth2 token endpoint for a service account (RFC 7523 JWT bearer grant).
* ``POST /v1/projects/<project>/messages:send``: FCM's send; 401 without an issued token, 404 ``UNREGISTERED``
  for tokens in ``unregistered`` or an ``unregistered_rate`` share, 503 ``UNAVAILABLE`` for a ``fail_rate`` share.
* ``GET /_sandbox/push/received``, ``POST /_sandbox/push/reset``, ``POST /_sandbox/push/config``.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import uuid
import zlib
from typing import Any
from urllib.parse import parse_qs

from infobip_sandbox.answer import Answer

PREFIXES = ("/push/", "/fcm/", "/v1/projects/", "/_sandbox/push/")
KEPT = 5000
KNOBS = {"gone": list, "gone_rate": float, "unregistered": list, "unregistered_rate": float, "fail_rate": float}


def _share(value: str, rate: float) -> bool:
    return rate > 0 and zlib.crc32(value.encode()) % 10_000 < rate * 10_000


def _google_error(status: int, name: str, message: str, code: str = "") -> Answer:
    details = [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}] if code else []
    return Answer(status, {"error": {"code": status, "message": message, "status": name, "details": details}})


class PushSandbox:
    """Thread-safe records of what reached the push services, and their knobs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(0)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.webpush: list[dict[str, Any]] = []
            self.fcm: list[dict[str, Any]] = []
            self.tokens: set[str] = set()
            self.token_requests = 0
            self.knobs: dict[str, Any] = {"gone": [], "gone_rate": 0.0, "unregistered": [], "unregistered_rate": 0.0}
            self.knobs["fail_rate"] = 0.0

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        if path.startswith("/_sandbox/push/"):
            return self._control(method, path, body)
        if method != "POST":
            return Answer(405, {"error": "method not allowed"})
        if path.startswith("/push/"):
            return self._webpush(path.removeprefix("/push/"), headers, body)
        if path == "/fcm/token":
            return self._token(body)
        if path.startswith("/v1/projects/") and path.endswith("/messages:send"):
            return self._fcm_send(path, headers, body)
        return Answer(404, {"error": "not found"})

    # Web push -----------------------------------------------------------------------------------------------------

    def _webpush(self, push_id: str, headers: dict[str, str], body: bytes) -> Answer:
        authorization = headers.get("authorization", "")
        if not authorization.startswith("vapid t=") or ",k=" not in authorization:
            return Answer(401, {"error": "VAPID authorization required (RFC 8292)"})
        if headers.get("content-encoding", "") != "aes128gcm" or not body:
            return Answer(400, {"error": "an aes128gcm body is required (RFC 8291)"})
        if len(body) > 4096:
            return Answer(413, {"error": "payload too large"})
        gone = push_id in self.knobs["gone"] or _share(push_id, float(self.knobs["gone_rate"]))
        record = {
            "push_id": push_id,
            "status": 410 if gone else 201,
            "authorization": authorization,
            "topic": headers.get("topic", ""),
            "ttl": headers.get("ttl", ""),
            "urgency": headers.get("urgency", ""),
            "body": base64.b64encode(body).decode(),
        }
        with self._lock:
            self.webpush.append(record)
            del self.webpush[:-KEPT]
        if gone:
            return Answer(410, {"error": "push subscription has unsubscribed or expired"})
        return Answer(201, None, {"Location": f"/push/message/{uuid.uuid4().hex}", "TTL": str(record["ttl"] or "0")})

    # FCM ----------------------------------------------------------------------------------------------------------

    def _token(self, body: bytes) -> Answer:
        form = parse_qs(body.decode("utf-8", "replace"))
        grant = form.get("grant_type", [""])[0]
        assertion = form.get("assertion", [""])[0]
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" or assertion.count(".") != 2:
            return Answer(400, {"error": "invalid_grant", "error_description": "a JWT bearer assertion is required"})
        token = f"sandbox-fcm-{uuid.uuid4().hex}"
        with self._lock:
            self.tokens.add(token)
            self.token_requests += 1
        return Answer(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _fcm_send(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.tokens:
            return _google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        try:
            request = json.loads(body or b"null")
            device = request["message"]["token"]
            if not isinstance(device, str) or not device:
                raise TypeError
        except (ValueError, TypeError, KeyError):
            return _google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", "INVALID_ARGUMENT")
        with self._lock:
            fail = self._random.random() < float(self.knobs["fail_rate"])
        if fail:
            return _google_error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE")
        unregistered = device in self.knobs["unregistered"] or _share(device, float(self.knobs["unregistered_rate"]))
        project = path.removeprefix("/v1/projects/").removesuffix("/messages:send")
        name = f"projects/{project}/messages/{uuid.uuid4().int % 10**16}"
        with self._lock:
            self.fcm.append({"status": 404 if unregistered else 200, "name": name, "body": request})
            del self.fcm[:-KEPT]
        if unregistered:
            return _google_error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        return Answer(200, {"name": name})

    # Control ------------------------------------------------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Answer:
        if (method, path) == ("GET", "/_sandbox/push/received"):
            with self._lock:
                return Answer(
                    200, {"webpush": list(self.webpush), "fcm": list(self.fcm), "token_requests": self.token_requests}
                )
        if (method, path) == ("POST", "/_sandbox/push/reset"):
            self.reset()
            return Answer(200, {"reset": True})
        if (method, path) == ("POST", "/_sandbox/push/config"):
            try:
                changes = json.loads(body or b"{}")
                if not isinstance(changes, dict) or not set(changes) <= set(KNOBS):
                    raise ValueError
                for key, value in changes.items():
                    self.knobs[key] = [str(item) for item in value] if KNOBS[key] is list else float(value)
            except (ValueError, TypeError):
                return Answer(400, {"error": f"send a JSON object with some of {sorted(KNOBS)}"})
            return Answer(200, {"config": self.knobs})
        return Answer(404, {"error": "GET received; POST reset or config"})

"""Structured, masked logs that follow a send from the web request into the worker.

Every handler carries ``PortalLogFilter``: it masks phone numbers and emails (``notifications.masking``), redacts
credentials, and stamps each record with the request id and the campaign, send and message ids of the work in
hand. Those ids live in a context variable: ``RequestIdMiddleware`` binds the request id (``X-Request-ID``, or a
new one), Celery's ``before_task_publish`` copies the context into the task's headers, and ``task_prerun`` binds it
again in the worker, together with the ids found in the task's own arguments.
"""

from __future__ import annotations

import contextvars
import inspect
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from notifications.masking import mask_text
from outage_portal.redaction import REDACTED, redact_url_secrets

CONTEXT_KEYS = ("request_id", "campaign_id", "send_id", "message_id")
HEADER = "portal_context"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("portal_log_context", default=None)

# Credentials that may appear in a line: HTTP auth schemes, "key=value" pairs and URL passwords.
_AUTH_SCHEME = re.compile(r"\b(App|Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)
_KEY_VALUE = re.compile(
    r"""(["']?\b[\w-]*(?:authorization|api[_-]?key|secret|token|password|passwd)\b["']?\s*[:=]\s*)"""
    r"""("[^"]*"|'[^']*'|[^\s,;&}]+)""",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(\w+://[^/\s:@]*:)[^@\s/]+@")


def _current() -> dict:
    return _context.get() or {}


def current_context() -> dict:
    """The ids bound to the work in hand (request id, campaign, send, message), without empty ones."""
    return dict(_current())


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Bind ids (``campaign_id=…``, ``send_id=…``) to every log line written inside the block."""
    merged = {**_current(), **{key: str(value) for key, value in ids.items() if value not in (None, "")}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


@lru_cache(maxsize=1)
def _secret_values() -> tuple[str, ...]:
    """The configured secrets themselves, so a line that quotes one verbatim is redacted too."""
    values = [
        settings.SECRET_KEY,
        settings.INFOBIP_API_KEY,
        getattr(settings, "METRICS_TOKEN", ""),
        *getattr(settings, "INFOBIP_WEBHOOK_SECRETS", []),
    ]
    return tuple(sorted({value for value in values if value and len(value) >= 6}, key=len, reverse=True))


def redact(text: str) -> str:
    """Mask destinations and remove credentials (and the secrets in customer-link and webhook paths) from a text."""
    if not text:
        return text
    for secret in _secret_values():
        text = text.replace(secret, REDACTED)
    text = _AUTH_SCHEME.sub(lambda match: f"{match.group(1)} {REDACTED}", text)
    text = _KEY_VALUE.sub(lambda match: f"{match.group(1)}{REDACTED}", text)
    text = _URL_PASSWORD.sub(lambda match: f"{match.group(1)}{REDACTED}@", text)
    return mask_text(redact_url_secrets(text))


class PortalLogFilter(logging.Filter):
    """Masks each record in place and adds the context ids; attached to every handler in ``LOGGING``."""

    _exceptions = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "_portal_masked", False):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = str(record.msg)
            record.msg = redact(message)
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = self._exceptions.formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
            record._portal_masked = True
        context = _current()
        for key in CONTEXT_KEYS:
            if not getattr(record, key, None):
                setattr(record, key, context.get(key, "-" if key == "request_id" else ""))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_KEYS:
            value = getattr(record, key, "")
            if value and value != "-":
                entry[key] = value
        task = getattr(record, "task_name", "")
        if task:
            entry["task"] = task
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def _accepted_request_id(value: str | None) -> str:
    return value if value and _REQUEST_ID.match(value) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Binds ``X-Request-ID`` (kept when well-formed, else generated) to the logs and echoes it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _accepted_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs 4xx/5xx responses after the middleware returns, and those lines
        # need the id too. request_finished clears it.
        _context.set({"request_id": request_id})
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        """A campaign page's id joins the context, so the send it starts is traced to it."""
        ids = {key: view_kwargs[key] for key in ("campaign_id", "send_id", "message_id") if key in view_kwargs}
        match = request.resolver_match
        if "pk" in view_kwargs and match is not None and match.namespace == "campaigns":
            ids.setdefault("campaign_id", view_kwargs["pk"])
        if ids:
            _context.set({**_current(), **{key: str(value) for key, value in ids.items()}})
        return None


@receiver(request_finished, dispatch_uid="portal_log_context_request_finished")
def _clear_request_context(**kwargs: Any) -> None:
    _context.set(None)


# Celery: carry the context from the publisher into the worker.
# ------------------------------------------------------------------------------

_task_tokens: dict[str, contextvars.Token[dict[str, str] | None]] = {}


@before_task_publish.connect(dispatch_uid="portal_log_context_publish")
def _publish_context(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    context = _current()
    if headers is not None and context:
        headers[HEADER] = dict(context)


def _task_argument_ids(task: Any, args: Any, kwargs: Any) -> dict[str, str]:
    """campaign_id / send_id / message_id among the task's arguments, by name."""
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except (TypeError, ValueError):
        return {}
    return {
        key: str(value) for key, value in bound.arguments.items() if key in CONTEXT_KEYS and value not in (None, "")
    }


@task_prerun.connect(dispatch_uid="portal_log_context_prerun")
def _bind_task_context(
    task_id: str | None = None, task: Any = None, args: Any = None, kwargs: Any = None, **extra: Any
) -> None:
    if task is None:
        return
    carried = getattr(task.request, HEADER, None) or {}
    context = {key: str(value) for key, value in carried.items() if key in CONTEXT_KEYS and value}
    context.update(_task_argument_ids(task, args, kwargs))
    context.setdefault("request_id", task_id or uuid.uuid4().hex)
    if task_id:
        _task_tokens[task_id] = _context.set(context)


@task_postrun.connect(dispatch_uid="portal_log_context_postrun")
def _unbind_task_context(task_id: str | None = None, **extra: Any) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            _context.reset(token)
        except ValueError:
            _context.set({})

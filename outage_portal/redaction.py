"""Secrets that travel in URLs, removed from any text before it is logged.

Customers' signed links carry a token in the path (``/c/unsubscribe/<token>/``, ``/c/preferences/<token>/``,
``/c/signup/confirm/<token>/``) and Infobip calls its webhooks with the shared secret in the path
(``/webhooks/infobip/reports/<secret>/``, ``/webhooks/infobip/inbound/<secret>/``,
``/webhooks/infobip/messages-inbound/<secret>/``). A request line, a Referer
header or a "Not Found: /path" warning would put them in the logs. This module imports nothing from Django, so
gunicorn's logger (``outage_portal/gunicorn_logging.py``) can use it before the application is loaded.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# The path segment after each of these prefixes is a secret (percent-encoded slashes included).
SECRET_PATH_PREFIXES = (
    "/c/unsubscribe/",
    "/c/preferences/",
    "/c/signup/confirm/",
    "/webhooks/infobip/reports/",
    "/webhooks/infobip/inbound/",
    "/webhooks/infobip/messages-inbound/",
)
_SECRET_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES) + r")[^/?#\s\"'<>]+", re.IGNORECASE
)


def redact_url_secrets(text: str) -> str:
    """``text`` with the secret segment of every customer-link or webhook path replaced by ``[redacted]``."""
    return _SECRET_PATH.sub(lambda match: match.group(1) + REDACTED, text)


class UrlSecretFilter(logging.Filter):
    """Formats each record once and removes URL secrets from it (for loggers configured outside Django's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            message = str(record.msg)
        record.msg = redact_url_secrets(message)
        record.args = None
        return True

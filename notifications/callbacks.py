"""Where the provider calls us back: the webhook secrets configured, and the report URL sent with every message.

Why here, below both users: the dispatch engine puts the report URL (with the current secret in it) into every
request, and the webhooks check incoming calls against the same secrets (``webhooks/auth.py``). Secrets come from
``INFOBIP_WEBHOOK_SECRETS``, a list so they can be rotated: the first goes into new URLs, the others keep working
until removed.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def webhook_secrets() -> list[str]:
    """Every secret a webhook call may prove, the current one first."""
    return [secret for secret in settings.INFOBIP_WEBHOOK_SECRETS if secret]


def current_url_token() -> str:
    """The secret put into new report URLs (the first of the list; older ones keep working until removed)."""
    secrets = webhook_secrets()
    return secrets[0] if secrets else ""


def report_url() -> str:
    """Where the provider posts delivery reports: the webhook, with the current secret in the URL."""
    token = current_url_token()
    path = (
        reverse("notifications:infobip_reports", args=[token])
        if token
        else reverse("notifications:infobip_reports_plain")
    )
    return str(settings.PORTAL_BASE_URL) + path

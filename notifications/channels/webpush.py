"""Browser notifications (web push, RFC 8030/8291, VAPID RFC 8292) to the browsers a client enabled.

Offered once ``VAPID_PRIVATE_KEY`` is set. The provider (``notifications/providers/webpush.py``) encrypts the
notification for each of the client's live subscriptions and POSTs it to the subscription's push service.
"""

from __future__ import annotations

from notifications.channels.push import PushChannel


class WebPush(PushChannel):
    name = "webpush"
    labels = {"title": "browser notification title", "text": "browser notification text"}
    provider_path = "notifications.providers.webpush.WebPushProvider"

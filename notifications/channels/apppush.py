"""App notifications to the company's own app through Firebase Cloud Messaging's HTTP v1 API.

Offered once ``FCM_PROJECT_ID`` is set. The app registers each device's FCM token through the public API
(``/api/v1/clients/<ref>/devices``); the provider (``notifications/providers/fcm.py``) sends to each live token.
"""

from __future__ import annotations

from notifications.channels.push import PushChannel


class AppPush(PushChannel):
    name = "apppush"
    max_lengths = {"title": 120, "text": 1_000}
    labels = {"title": "app notification title", "text": "app notification text"}
    provider_path = "notifications.providers.fcm.FcmProvider"

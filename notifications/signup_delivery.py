"""Sends a sign-up's confirmation (email link or SMS code) through the provider in use.

``clients.signup`` calls this through ``settings.SIGNUP_SENDER`` so the clients app never imports notifications.
A confirmation goes to a person who is not a client yet, so it is not a ``Send``: one message, one request, with
its own message id (outside the ``<prefix>-<pk>`` range, so a report about it is kept as an orphan, not misread).
"""

from __future__ import annotations

import uuid

from django.conf import settings

from notifications.providers import get_provider
from notifications.providers.base import OutboundMessage, ProviderError, SendOptions


def deliver(*, channel: str, destination: str, subject: str, text: str, html: str = "", reference: str = "") -> None:
    """Send one confirmation; raises ``ProviderError`` when the provider does not accept it."""
    message = OutboundMessage(
        message_id=f"{settings.INFOBIP_MESSAGE_ID_PREFIX}-signup-{uuid.uuid4().hex}",
        channel=channel,
        destination=destination,
        text=text,
        subject=subject,
        html=html,
    )
    [result] = get_provider().send(channel, [message], SendOptions(reference=reference[:100]))
    if not result.accepted:
        raise ProviderError(
            f"confirmation not accepted: {result.error_code} {result.error_text}".strip(), code=result.error_code
        )

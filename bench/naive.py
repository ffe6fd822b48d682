"""The naive sender most tutorials show, measured against the engine: one Celery task and one HTTP request per
recipient.

The task loads the client and the send, renders the SMS, POSTs ``/sms/3/messages`` with a single destination
through ``requests.post`` (a new connection each time, as the tutorials write it) and saves the outcome as a
``Message`` row, so its progress is counted the same way as the engine's. Workers load it with ``-I bench.naive``.
"""

from __future__ import annotations

import requests
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from clients.models import Client
from clients.selectors import audience_queryset, exclusion_reason
from notifications.content import render_message
from notifications.models import Message, Send


@shared_task(ignore_result=True)
def naive_send_task(send_id: int, client_id: int) -> None:
    send = Send.objects.get(pk=send_id)
    client = Client.objects.get(pk=client_id)
    rendered = render_message(
        content=send.content,
        language=client.language,
        fallback_language=send.fallback_language,
        channel="sms",
        recipient=client,
        variables=send.variables,
    )
    body = {
        "messages": [
            {
                "sender": settings.INFOBIP_SMS_SENDER,
                "destinations": [{"to": client.phone}],
                "content": {"text": rendered.text},
            }
        ]
    }
    response = requests.post(
        f"{settings.INFOBIP_BASE_URL}/sms/3/messages",
        json=body,
        timeout=30,
        headers={"Authorization": f"App {settings.INFOBIP_API_KEY}"},
    )
    response.raise_for_status()
    result = response.json()["messages"][0]
    now = timezone.now()
    Message.objects.create(
        send=send,
        client=client,
        channel="sms",
        destination=client.phone,
        language=rendered.language,
        state=Message.State.ACCEPTED,
        body=rendered.text,
        parts=rendered.parts,
        attempts=1,
        provider_message_id=result["messageId"],
        status_name=result["status"]["name"],
        sent_at=now,
        accepted_at=now,
    )


def naive_send(*, send: Send) -> int:
    """Queue one task per eligible SMS recipient of ``send``'s audience, the tutorial way; returns the count."""
    eligible = (
        audience_queryset(send.audience)
        .annotate(reason=exclusion_reason("sms"))
        .filter(reason="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    count = 0
    for client_id in eligible.iterator(chunk_size=2000):
        naive_send_task.delay(send.pk, client_id)
        count += 1
    return count

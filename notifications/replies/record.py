"""One inbound batch, stored and acted on in one transaction: each text once (by channel and Infobip's id), matched
to the message it answers, and a STOP / START keyword applied and confirmed.

A reply from a number that got nothing recently is stored unmatched (no message): ops see it in the admin and the
webhook's answer counts it, and nothing is lost if it was an answer to a notice older than ``REPLY_MATCH_DAYS``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from clients.inbound import keyword_apply, sender_e164
from clients.keywords import keyword_of
from clients.models import Client
from notifications.models import Reply
from notifications.replies.confirm import confirmation_send
from notifications.replies.match import message_answered
from notifications.replies.parse import Inbound, answer_of

logger = logging.getLogger(__name__)


@dataclass
class InboundOutcome:
    received: int = 0
    matched: int = 0
    unmatched: int = 0
    duplicates: int = 0
    ignored: int = 0
    opted_out: int = 0
    opted_in: int = 0
    confirmations: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _record(inbound: Inbound, outcome: InboundOutcome) -> None:
    number = sender_e164(inbound.sender)
    if number is None:
        outcome.ignored += 1
        return
    dedupe_key = f"{inbound.channel}:{inbound.inbound_id}"
    if Reply.objects.filter(dedupe_key=dedupe_key).exists():
        outcome.duplicates += 1
        return
    keyword = keyword_of(inbound.text)
    message = message_answered(channel=inbound.channel, number=number, paired_id=inbound.paired_id)
    client = message.client if message is not None else Client.objects.filter(phone=number).order_by("id").first()
    Reply.objects.create(
        dedupe_key=dedupe_key,
        inbound_id=inbound.inbound_id,
        channel=inbound.channel,
        sender=number,
        text=inbound.text,
        answer=answer_of(inbound.text),
        keyword=keyword.action if keyword else "",
        message=message,
        client=client,
        received_at=inbound.received_at,
    )
    if message is None:
        outcome.unmatched += 1
    else:
        outcome.matched += 1
    if keyword is None:
        return
    changed = keyword_apply(
        number=number, channel=inbound.channel, action=keyword.action, inbound_id=inbound.inbound_id
    )
    if keyword.action == "stop":
        outcome.opted_out += len(changed)
    else:
        outcome.opted_in += len(changed)
    if changed and confirmation_send(
        client=changed[0], channel=inbound.channel, action=keyword.action, inbound_id=inbound.inbound_id
    ):
        outcome.confirmations += 1


@transaction.atomic
def inbound_process(*, payload: object, read: Callable[[object], list[Inbound]]) -> InboundOutcome:
    """Store every text of the batch, all or nothing; ``read`` is the shape's parser (``parse.py``)."""
    inbounds = read(payload)  # InboundPayloadError before anything is written
    outcome = InboundOutcome()
    for inbound in inbounds:
        outcome.received += 1
        _record(inbound, outcome)
    logger.info("Inbound batch: %s", outcome.as_dict())
    return outcome

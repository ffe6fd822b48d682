"""Validity: a notice is worth sending only until its ``Send.valid_until``; after that nothing of it goes out.

Why: an outage SMS that lands after the "resolved" one misleads, and a carrier can hold a message for hours. So
three things end together at ``valid_until``: the claim takes no more rows of the send (``claim.py``), a batch
claimed before but not yet sent is not sent (``deliver.py``: the fence's query reads ``valid_until`` afresh before
each request, and the provider's monotonic deadline ``SendOptions.not_after`` stops at it), and the rows still waiting become ``expired`` here (called by the
dispatch loop when nothing is claimable and by the sweeper), a final state, so the send completes. The provider is
told the time left (``SendOptions.validity_minutes``, Infobip SMS ``validityPeriod``, at most 48 h), so it does not
deliver late either. Rows already ``sending`` with an unknown outcome are looked up first (``reconcile.py``); if
the provider never got them they come back ``pending`` and expire then.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.utils import timezone

from notifications.models import Message
from notifications.services.record import Decision

S = Message.State
#: Infobip refuses an SMS validity above 48 hours ("longer than 48h is not supported").
PROVIDER_MAX_MINUTES = 48 * 60
EXPIRED_CODE = "validity_ended"
EXPIRED_TEXT = "not sent: the notice's validity ended first"


def expired_decision() -> Decision:
    """A claimed row whose validity ended before its request: final, never sent."""
    return Decision(S.EXPIRED, error_code=EXPIRED_CODE, error_text=EXPIRED_TEXT)


def is_past(valid_until: datetime | None, now: datetime | None = None) -> bool:
    return valid_until is not None and (now or timezone.now()) >= valid_until


def seconds_left(valid_until: datetime | None, now: datetime | None = None) -> float | None:
    """Seconds until ``valid_until`` (None: no end)."""
    if valid_until is None:
        return None
    return (valid_until - (now or timezone.now())).total_seconds()


def provider_minutes(valid_until: datetime | None, now: datetime | None = None) -> int:
    """The validity to give the provider, in whole minutes, rounded up, within 1 .. 48 h (0: none)."""
    left = seconds_left(valid_until, now)
    if left is None:
        return 0
    return max(1, min(PROVIDER_MAX_MINUTES, math.ceil(left / 60)))


def messages_expire(*, send_id: int | None = None, now: datetime | None = None) -> int:
    """``pending`` rows of sends past their validity become ``expired`` (all sends, or one); returns how many."""
    now = now or timezone.now()
    rows = Message.objects.filter(state=S.PENDING, send__valid_until__lte=now)
    if send_id is not None:
        rows = rows.filter(send_id=send_id)
    return rows.update(
        state=S.EXPIRED,
        error_code=EXPIRED_CODE,
        error_text=EXPIRED_TEXT,
        next_attempt_at=None,
        done_at=now,
        updated_at=now,
    )

"""The frequency cap: a client who already had ``NOTICE_FREQUENCY_CAP_COUNT`` non-mandatory notices in the last
``NOTICE_FREQUENCY_CAP_SECONDS`` is excluded from the next one (reason ``frequency_cap``).

Why: a flapping alert must not message the same people again and again. It is one more exclusion condition
(``clients.selectors.exclusion_conditions``), so the live counts, the preview, the empty-placeholder check and
materialize all see it, from this one definition. A notice counts once per client however many channels it used;
only messages that are or will be sent count (not skipped, cancelled, superseded or failed ones), and mandatory
notices neither count nor are capped. The query reads the notifications tables through the ``Client.messages``
relation, without importing that app (imports run campaigns → notifications → clients).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from clients.models import Client

#: ``notifications.models.Message.CAP_COUNTED_STATES`` as strings (a test checks they agree).
CAP_COUNTED_STATES = ("pending", "sending", "accepted", "delivered")


def frequency_capped(*, before: datetime | None = None, now: datetime | None = None) -> Q | None:
    """The condition "this client reached the cap", or None when no cap is set.

    ``before``: count only notices created before it (a send being materialized does not count itself).
    """
    limit, seconds = settings.NOTICE_FREQUENCY_CAP_COUNT, settings.NOTICE_FREQUENCY_CAP_SECONDS
    if not limit or not seconds:
        return None
    since = (now or timezone.now()) - timedelta(seconds=seconds)
    recent = Q(
        messages__created_at__gte=since,
        messages__state__in=CAP_COUNTED_STATES,
        messages__send__mandatory=False,
    )
    if before is not None:
        recent &= Q(messages__send__created_at__lt=before)
    # Correlated per client, through the index on the message's client: one short probe per client counted.
    notices = (
        Client.objects.filter(recent, pk=OuterRef("pk"))
        .values("pk")
        .annotate(n=Count("messages__send_id", distinct=True))
        .filter(n__gte=limit)
    )
    return Q(Exists(notices))

"""Addresses that cannot be reached: email addresses that bounced for good, numbers the network reports as
permanently unreachable.

The engine marks them from delivery reports (``notifications.services.reports``); a marked address is excluded
from later notices with its own reason (``clients.selectors.exclusion_conditions``: ``bounced``, ``unreachable``)
until it changes (the admin, an import, a confirmed sign-up) or an admin clears the mark. A report about an
address the client no longer has marks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from clients.models import Channel, Client

REASON_LIMIT = 200
# channel: (address field, when it was marked, why)
MARKS: dict[str, tuple[str, str, str]] = {
    Channel.EMAIL: ("email", "email_bounced_at", "email_bounce_reason"),
    Channel.SMS: ("phone", "phone_unreachable_at", "phone_unreachable_reason"),
}


def addresses_mark_unreachable(rows: Iterable[tuple[int, str, str, str]]) -> int:
    """Mark each ``(client_id, channel, address, reason)`` whose client still has that address and no mark yet.

    One read and one UPDATE per channel and reason, whatever the number of rows. Returns the clients marked.
    """
    wanted: dict[str, dict[int, tuple[str, str]]] = {}
    for client_id, channel, address, reason in rows:
        if channel in MARKS and address:
            wanted.setdefault(channel, {})[client_id] = (address, (reason or "")[:REASON_LIMIT])
    now, marked = timezone.now(), 0
    for channel, by_client in wanted.items():
        field, at_field, reason_field = MARKS[channel]
        current = Client.objects.filter(pk__in=by_client, **{f"{at_field}__isnull": True}).values_list("pk", field)
        reasons: dict[str, list[int]] = {}
        for pk, address in current:
            if address == by_client[pk][0]:
                reasons.setdefault(by_client[pk][1], []).append(pk)
        for reason, ids in reasons.items():
            marked += Client.objects.filter(pk__in=ids, **{f"{at_field}__isnull": True}).update(
                **{at_field: now, reason_field: reason}
            )
    return marked


def address_marks_clear(queryset: QuerySet[Client], channels: Iterable[str] = tuple(MARKS)) -> int:
    """Clear the marks of these clients (an admin says the address works again). Returns the clients changed."""
    changed = 0
    for channel in channels:
        _field, at_field, reason_field = MARKS[channel]
        changed += queryset.filter(**{f"{at_field}__isnull": False}).update(**{at_field: None, reason_field: ""})
    return changed


def marks_for_new_addresses(values: dict[str, Any], stored: dict[str, Any] | None) -> None:
    """In ``values`` (a client's fields about to be saved), clear the mark of each address that differs from
    ``stored`` (its saved fields): a new address has never bounced."""
    if stored is None:
        return
    for field, at_field, reason_field in MARKS.values():
        if field in values and values[field] != stored.get(field) and stored.get(at_field) is not None:
            values[at_field], values[reason_field] = None, ""

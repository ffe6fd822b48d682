"""CSV export of clients in the import's own columns, safe to open in a spreadsheet.

Every cell goes through ``clients.spreadsheet.cell_safe`` (the portal's one guard against cells a spreadsheet would
run as a formula) and is quoted; the importer removes the guard again, so an exported file imports back unchanged
(phone numbers start with ``+``).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from clients.importing.parsing import ATTRIBUTE_PREFIX, COLUMNS, LIST_SEPARATOR
from clients.models import Client
from clients.spreadsheet import cell_safe, csv_writer


def _services(client: Client) -> str:
    return "+".join(
        name for name, used in (("sms", client.uses_sms_service), ("email", client.uses_email_service)) if used
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


class _Echo:
    def write(self, value: str) -> str:
        return value


def clients_csv_rows(queryset: QuerySet[Client]) -> Iterator[str]:
    """The CSV, line by line (for a streaming response): a BOM for Excel, the header, one line per client."""
    attribute_keys = sorted(
        {key for attributes in queryset.values_list("attributes", flat=True) for key in (attributes or {})}
    )
    writer = csv_writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([*COLUMNS, *(f"{ATTRIBUTE_PREFIX}{key}" for key in attribute_keys)])
    for client in queryset.order_by("pk").prefetch_related("buckets").iterator(chunk_size=2000):
        values = {
            "external_ref": client.external_ref,
            "name": client.name,
            "email": client.email,
            "phone": client.phone,
            "language": client.language,
            "time_zone": client.time_zone,
            "services": _services(client),
            "buckets": LIST_SEPARATOR.join(sorted(bucket.name for bucket in client.buckets.all())),
            "account": client.account,
            "region": client.region,
            "network": client.network,
            "plan": client.plan,
            "tags": LIST_SEPARATOR.join(client.tags or []),
            "active": _yes(client.is_active),
            "email_consent": _yes(client.email_consent),
            "sms_consent": _yes(client.sms_consent),
        }
        attributes = client.attributes or {}
        yield writer.writerow(
            [cell_safe(values[column]) for column in COLUMNS]
            + [cell_safe(attributes.get(key, "")) for key in attribute_keys]
        )

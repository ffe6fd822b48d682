"""What a template may know of one recipient: the client's name, reference and own fields, time zone and attributes.

Built from a ``Client`` (the preview) or from the claimed row (the workers, ``notifications.services.claim``), so
both render the same text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from clients.models import Client, TestRecipient


@dataclass(frozen=True)
class RecipientData:
    """What a template may know of one recipient; ``client_id`` is None for internal test recipients.

    ``attributes`` is the client's attributes as the claim read them: a mapping, or the JSON text itself (parsed
    only when a template reads an attribute, so a claim never pays for it otherwise).
    """

    client_id: int | None
    name: str
    account: str = ""
    external_ref: str = ""
    region: str = ""
    plan: str = ""
    network: str = ""
    time_zone: str = ""
    attributes: Mapping[str, object] | str | None = field(default=None, compare=False)

    def attribute_values(self) -> Mapping[str, object]:
        value = self.attributes
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = None
        return value if isinstance(value, Mapping) else {}


def recipient_data(recipient: Client | TestRecipient) -> RecipientData:
    if isinstance(recipient, Client):
        return RecipientData(
            client_id=recipient.pk,
            name=recipient.name,
            account=recipient.account,
            external_ref=recipient.external_ref,
            region=recipient.region,
            plan=recipient.plan,
            network=recipient.network,
            time_zone=recipient.time_zone,
            attributes=recipient.attributes,
        )
    return RecipientData(client_id=None, name=recipient.name, account="", external_ref="TEST")


def attribute_text(value: object) -> str:
    """An attribute as a message reads it: texts and numbers as written, nothing for a list, an object or null."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, str | int | float) else ""

"""Factories for tracking tests: incidents, notices with a main send, and messages in any state."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from campaigns.models import Campaign, CampaignSend, Incident
from notifications.models import Message, Send
from tests.factories import ClientFactory


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"Fibre outage {n}")
    services = factory.LazyFunction(lambda: ["internet"])


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    incident = factory.SubFactory(IncidentFactory)
    title = factory.LazyAttribute(lambda c: c.incident.title)
    channels = factory.LazyFunction(lambda: ["sms", "email"])
    audience = factory.LazyFunction(lambda: {"builtin": ["all_clients"]})
    content = factory.LazyFunction(
        lambda: {
            "en": {
                "sms": {"text": "Outage: {{ incident_title }}"},
                "email": {"subject": "Outage", "text": "Outage", "html": ""},
            }
        }
    )


class SendFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Send

    label = factory.Sequence(lambda n: f"Send {n}")
    channels = factory.LazyFunction(lambda: ["sms", "email"])
    state = Send.State.SENDING
    materialized_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    send = factory.SubFactory(SendFactory)
    client = factory.SubFactory(ClientFactory)
    channel = "sms"
    destination = factory.LazyAttribute(lambda m: m.client.phone if m.channel == "sms" else m.client.email)
    body = "Outage in your area. We are on it."
    state = Message.State.PENDING


def campaign_with_send(
    *,
    send_state: str = Send.State.SENDING,
    role: str = CampaignSend.Role.MAIN,
    campaign: Campaign | None = None,
    **campaign_fields,
) -> tuple[Campaign, Send]:
    """A notice with a send linked in ``role`` (main by default)."""
    campaign = campaign or CampaignFactory(state=Campaign.State.SENDING, **campaign_fields)
    send = SendFactory(state=send_state, is_test=role == CampaignSend.Role.TEST)
    CampaignSend.objects.create(campaign=campaign, send=send, role=role)
    return campaign, send


def add_messages(send: Send, states: dict[str, int], *, channel: str = "sms", clients=None) -> list[Message]:
    """Create messages of ``send`` in the given states ({state: count}), with timestamps that fit the state."""
    now = timezone.now()
    clients = list(clients or [])
    created = []
    for state, count in states.items():
        for _ in range(count):
            client = clients.pop(0) if clients else ClientFactory()
            fields = {}
            if state in (
                Message.State.ACCEPTED,
                Message.State.DELIVERED,
                Message.State.UNDELIVERABLE,
                Message.State.EXPIRED,
            ):
                fields["accepted_at"] = now - timedelta(seconds=30)
            if state in Message.FINAL_STATES and state != Message.State.SKIPPED:
                fields["done_at"] = now - timedelta(seconds=10)
            if state == Message.State.SKIPPED:
                fields["skip_reason"] = Message.SkipReason.OPTED_OUT
            if state == Message.State.UNDELIVERABLE:
                fields.update(status_name="UNDELIVERABLE_NOT_DELIVERED", error_code="EC_ABSENT_SUBSCRIBER")
            if state == Message.State.REJECTED:
                fields.update(status_name="REJECTED_DESTINATION", error_code="EC_REJECTED")
            if state == Message.State.FAILED:
                fields.update(error_code="engine", error_text="Provider timed out three times")
            created.append(MessageFactory(send=send, client=client, channel=channel, state=state, **fields))
    return created

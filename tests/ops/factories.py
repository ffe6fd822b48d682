"""Factories for the operations tests: API tokens, alert routes, provider calls and delivery reports."""

from __future__ import annotations

import factory
from django.utils import timezone

from campaigns.api.tokens import api_token_create
from campaigns.models import AlertRoute
from notifications.models import DeliveryReport, ProviderCall


def token_with(*permissions: str, name: str = "monitoring") -> tuple[object, str]:
    """An active API token with the given permission flags, and its clear value."""
    return api_token_create(name=name, **{permission: True for permission in permissions})


class AlertRouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertRoute
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Route {n}")
    matchers = factory.LazyFunction(lambda: {"service": "fibre"})
    channels = factory.LazyFunction(lambda: ["sms"])

    @factory.post_generation
    def buckets(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted:
            self.buckets.set(extracted)


class ProviderCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderCall

    channel = "sms"
    message_count = 10
    outcome = ProviderCall.Outcome.ACCEPTED
    http_status = 200


class DeliveryReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryReport

    provider_message_id = factory.Sequence(lambda n: f"op-{n}")
    channel = "sms"
    status_group = "DELIVERED"
    status_name = "DELIVERED_TO_HANDSET"
    payload = factory.LazyAttribute(lambda r: {"messageId": r.provider_message_id, "to": "+33612345678"})
    dedupe_key = factory.Sequence(lambda n: f"dedupe-{n}")
    received_at = factory.LazyFunction(timezone.now)

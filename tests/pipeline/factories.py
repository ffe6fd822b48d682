"""Sends and messages for the pipeline tests."""

from __future__ import annotations

import factory

from notifications.models import Message, Send

CONTENT = {
    "en": {
        "sms": {"text": "Hi {{ client_name }}, {{ incident_title }} affects {{ service }}."},
        "email": {
            "subject": "{{ incident_title }}",
            "text": "Dear {{ client_name }}, see {{ status_page }}.",
            "html": '<p>Dear <b>{{ client_name }}</b></p><a href="{{ unsubscribe_url }}">unsubscribe</a>',
        },
    },
    "fr": {
        "sms": {"text": "Bonjour {{ client_name }}, panne : {{ incident_title }}."},
        "email": {
            "subject": "Panne : {{ incident_title }}",
            "text": "Bonjour {{ client_name }}.",
            "html": "<p>Bonjour {{ client_name }}</p>",
        },
    },
}
VARIABLES = {"incident_title": "Fibre cut", "service": "Internet", "status_page": "https://status.example.com"}


class SendFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Send

    label = factory.Sequence(lambda n: f"Send {n}")
    state = Send.State.SENDING
    channels = factory.LazyFunction(lambda: ["sms", "email"])
    audience = factory.LazyFunction(lambda: {"builtin": ["all_clients"]})
    content = factory.LazyFunction(lambda: CONTENT)
    variables = factory.LazyFunction(lambda: dict(VARIABLES))


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    send = factory.SubFactory(SendFactory)
    channel = "sms"
    destination = factory.Sequence(lambda n: f"+3361{n:06d}0")  # never ending 666/777 (sandbox failure rules)
    state = Message.State.ACCEPTED

"""Factories for the outage form's tests: incidents, templates and draft campaigns."""

from __future__ import annotations

import factory

from campaigns.models import Campaign, Incident, MessageTemplate, TemplateVersion


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"SMS delivery delayed {n}")
    services = factory.LazyFunction(lambda: ["SMS service"])


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    name = factory.Sequence(lambda n: f"Outage template {n}")


class TemplateVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemplateVersion

    template = factory.SubFactory(MessageTemplateFactory)
    language = "en"
    sms_text = "Hello {{ client_name }}, {{ service }} is disrupted. Expected fix: {{ expected_resolution }}."
    email_subject = "{{ incident_title }}"
    email_text = "Hello {{ client_name }},\n{{ service }} is disrupted."
    email_html = "<p>Hello {{ client_name }},</p><p>{{ service }} is disrupted.</p>"


def content_for(*languages: str) -> dict:
    """Valid content in each language, both channels."""
    return {
        language: {
            "sms": {"text": f"[{language}] {{{{ client_name }}}}: {{{{ service }}}} is down."},
            "email": {
                "subject": f"[{language}] {{{{ incident_title }}}}",
                "text": f"[{language}] Down.",
                "html": f"<p>[{language}] Hello {{{{ client_name }}}}</p>",
            },
        }
        for language in languages
    }


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    incident = factory.SubFactory(IncidentFactory)
    title = factory.LazyAttribute(lambda c: c.incident.title)
    channels = factory.LazyFunction(lambda: ["sms", "email"])
    audience = factory.LazyFunction(lambda: {"builtin": ["all_clients"]})
    content = factory.LazyFunction(lambda: content_for("en"))
    variables = factory.LazyFunction(lambda: {"service": "SMS service", "incident_title": "Down"})
    wizard_step = "preview"

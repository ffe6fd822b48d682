"""Frozen content plus a recipient becomes what goes out: the subject, the text, the HTML and the SMS parts.

Templates are compiled once per (language, channel, field) by a ``ContentRenderer`` and rendered per recipient, so
a dispatch worker pays the parsing cost once per send, not once per message. Client data is HTML-escaped in the
HTML part and left verbatim elsewhere. Each recipient reads times in their language and time zone and services by
their name in their language (``notifications.localise``, formatted once per language and zone), and may be
addressed by their own fields and attributes (``{{ region }}``, ``{{ attributes.site | default:"your site" }}``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

from clients import links
from clients.attribute_keys import attribute_keys
from clients.models import Client, TestRecipient
from clients.vocabulary import service_translations
from notifications.channels import CHANNELS
from notifications.localise import Localiser
from notifications.recipients import RecipientData, attribute_text, recipient_data
from notifications.rendering import (
    ATTRIBUTE_PREFIX,
    CompiledTemplate,
    SmsCount,
    TemplateError,
    compile_template,
    sms_count,
)

SMS_STOP_LINE = gettext_noop("Reply STOP to opt out")


@functools.cache
def sms_stop_line(language: str) -> str:
    """The opt-out line in the recipient's language (Django's translations; English when none exists)."""
    with translation.override(language):
        return " " + translation.gettext(SMS_STOP_LINE)


# Each channel's fields and their longest lengths, before placeholders are filled in, are its module's
# (notifications/channels/); the outage form's and the template page's fields carry the same limits (max_length),
# so the message appears beside the field.
FIELDS: dict[str, tuple[str, ...]] = {name: spec.fields for name, spec in CHANNELS.items()}
FIELD_MAX_LENGTHS: dict[str, dict[str, int]] = {name: dict(spec.max_lengths) for name, spec in CHANNELS.items()}
LINK_VARIABLES = ("unsubscribe_url", "preferences_url")
# {{ incident_link }} (docs/public.md): campaigns freezes a notice's short links into its send's variables under
# INCIDENT_LINKS_VARIABLE as {channel: {language: url}}; a preview without them shows a link of the same length.
INCIDENT_LINKS_VARIABLE = "incident_links"
INCIDENT_LINK_PATH = "/i/"
INCIDENT_LINK_CODE_LENGTH = 7


def incident_link_url(code: str) -> str:
    """A short link on the portal's own host: ``PORTAL_BASE_URL/i/<code>``."""
    return f"{settings.PORTAL_BASE_URL}{INCIDENT_LINK_PATH}{code}"


def incident_link_for(variables: Mapping[str, object] | None, channel: str, language: str, fallback: str) -> str:
    """The short link for one channel and language (the fallback language's, else any), or a same-length example."""
    links = (variables or {}).get(INCIDENT_LINKS_VARIABLE)
    per_channel = links.get(channel) if isinstance(links, dict) else None
    if isinstance(per_channel, dict) and per_channel:
        return str(per_channel.get(language) or per_channel.get(fallback) or next(iter(per_channel.values())))
    return incident_link_url("x" * INCIDENT_LINK_CODE_LENGTH)


# {{ incident_link }} however it is spaced or filtered: the counters count it at its link's real length.
INCIDENT_LINK_TAG = re.compile(r"\{\{\s*incident_link\s*(\|[^}]*)?\}\}")


def incident_link_example() -> str:
    """A link exactly as long as a real one (``…/i/xxxxxxx``): what previews and counters put in its place."""
    return incident_link_url("x" * INCIDENT_LINK_CODE_LENGTH)


def sms_count_as_typed(text: str) -> SmsCount:
    """The Message step's count: placeholders as typed, except ``{{ incident_link }}``, whose length is known
    (host + /i/ + code) and counted as such, so a link that tips the SMS into a second part shows it."""
    return sms_count(INCIDENT_LINK_TAG.sub(incident_link_example(), text))


SEND_VARIABLES = ("incident_title", "service", "started_at", "expected_resolution", "severity", "status_page")


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    html: str
    parts: int
    encoding: str


def placeholder_link() -> str:
    """Test recipients get a harmless link to the portal's home page instead of a signed customer link."""
    return f"{settings.PORTAL_BASE_URL}/"


def field_max_length(channel: str, name: str) -> int:
    """The limit of one message field (``FIELD_MAX_LENGTHS``), for forms' ``max_length``."""
    return FIELD_MAX_LENGTHS[channel][name]


LABELS = {(name, field): label for name, spec in CHANNELS.items() for field, label in spec.labels.items()}


def template_check(source: str) -> None:
    """Compile a template as the forms must (raise ``TemplateError``): variables, syntax, and attribute names the
    registry actually holds, so ``{{ attributes.sitee }}`` is an error beside the field, not a gap in a message."""
    compile_template(source, attribute_names=attribute_keys() if ATTRIBUTE_PREFIX in source else None)


def _field_error(channel: str, name: str, value: object) -> str | None:
    """Why one field cannot be sent (too long, or a template fault), or None. Never parses an over-long text."""
    if value is not None and not isinstance(value, str):
        return "Must be text."
    text = value or ""
    limit = field_max_length(channel, name)
    if len(text) > limit:
        label = LABELS.get((channel, name), name)
        return f"The {label} is {len(text):,} characters long; the limit is {limit:,}."
    try:
        template_check(text)
    except TemplateError as error:
        return str(error)
    return None


def content_errors(content: object, channels: list[str]) -> dict[str, str]:
    """Every fault of every language and channel, keyed ``"lang.channel.field"`` (a channel this portal has not
    configured, keyed by its name); empty when all can be sent.

    The one check of message content: the outage form, the template pages, the API and ``notify`` all use it.
    Length limits first (``FIELD_MAX_LENGTHS``), then the template language, in time linear in the text.
    """
    errors: dict[str, str] = {
        channel: f"{channel} is not configured on this portal (docs/channels.md)."
        for channel in channels
        if channel in CHANNELS and not CHANNELS[channel].configured()
    }
    if not isinstance(content, dict) or not content:
        return {**errors, "content": "No message content."}
    for language, per_channel in content.items():
        for channel in channels:
            part = (per_channel or {}).get(channel) if isinstance(per_channel, dict) else None
            if part is None:
                continue
            if not isinstance(part, dict):
                errors[f"{language}.{channel}"] = "Content must be an object of fields."
                continue
            for name in FIELDS.get(channel, ()):
                problem = _field_error(channel, name, part.get(name))
                if problem:
                    errors[f"{language}.{channel}.{name}"] = problem
            if channel in CHANNELS:
                for name, problem in CHANNELS[channel].missing(part).items():
                    errors.setdefault(f"{language}.{channel}.{name}", problem)
    return errors


class ContentRenderer:
    """Renders one send's content for many recipients, compiling each template once."""

    def __init__(
        self,
        *,
        content: dict[str, Any],
        fallback_language: str,
        variables: Mapping[str, object] | None = None,
        sms_stop_line: bool = False,
    ) -> None:
        self.content = content or {}
        self.fallback_language = fallback_language
        self.variables = {name: (variables or {}).get(name, "") for name in SEND_VARIABLES}
        self.incident_links = {INCIDENT_LINKS_VARIABLE: (variables or {}).get(INCIDENT_LINKS_VARIABLE)}
        self.sms_stop_line = sms_stop_line
        self._compiled: dict[tuple[str, str, str], CompiledTemplate] = {}
        self._used: dict[tuple[str, str], frozenset[str]] = {}
        self._localiser = Localiser(self.variables, service_translations)
        self._attribute_names: dict[tuple[str, str], tuple[str, ...]] = {}
        self._shared: dict[tuple[str, str], dict[str, object]] = {}

    def language_for(self, language: str, channel: str) -> str:
        """The recipient's language when the content has it for this channel, else the fallback."""
        if isinstance(self.content.get(language), dict) and channel in self.content[language]:
            return language
        return self.fallback_language

    def _template(self, language: str, channel: str, name: str) -> CompiledTemplate:
        key = (language, channel, name)
        if key not in self._compiled:
            source = ((self.content.get(language) or {}).get(channel) or {}).get(name) or ""
            self._compiled[key] = compile_template(str(source))
        return self._compiled[key]

    def uses(self, language: str, channel: str) -> frozenset[str]:
        """The variables the templates of one language and channel use (computed once)."""
        key = (language, channel)
        used = self._used.get(key)
        if used is None:
            used = self._used[key] = frozenset().union(
                *(self._template(language, channel, name).variables for name in FIELDS[channel])
            )
        return used

    def _attributes_read(self, language: str, channel: str) -> tuple[str, ...]:
        """The ``attributes.<key>`` placeholders of one language and channel (computed once)."""
        key = (language, channel)
        read = self._attribute_names.get(key)
        if read is None:
            read = self._attribute_names[key] = tuple(
                sorted(name for name in self.uses(language, channel) if name.startswith(ATTRIBUTE_PREFIX))
            )
        return read

    def _context(
        self, recipient: RecipientData, language: str, channel: str, unsubscribe_url: str | None
    ) -> dict[str, object]:
        shared = self._shared.get((language, recipient.time_zone))
        if shared is None:  # the send's values as this language and zone read them, built once
            shared = {**self.variables}
            if self._localiser.active:
                shared.update(self._localiser.values(language, recipient.time_zone))
            self._shared[(language, recipient.time_zone)] = shared
        context: dict[str, object] = {
            **shared,
            "client_name": recipient.name,
            "account": recipient.account,
            "external_ref": recipient.external_ref,
            "region": recipient.region,
            "plan": recipient.plan,
            "network": recipient.network,
        }
        used = self.uses(language, channel)
        read = self._attributes_read(language, channel)
        if read:
            attributes = recipient.attribute_values()
            for name in read:
                context[name] = attribute_text(attributes.get(name[len(ATTRIBUTE_PREFIX) :]))
        # Signing a link costs more than the rest of the render; only sign the links a template uses.
        if "unsubscribe_url" in used:
            context["unsubscribe_url"] = unsubscribe_url or (
                links.unsubscribe_url(recipient.client_id, channel) if recipient.client_id else placeholder_link()
            )
        if "incident_link" in used:
            context["incident_link"] = incident_link_for(self.incident_links, channel, language, self.fallback_language)
        if "preferences_url" in used:
            context["preferences_url"] = (
                links.preferences_url(recipient.client_id) if recipient.client_id else placeholder_link()
            )
        return context

    def render(
        self, *, recipient: RecipientData, language: str, channel: str, unsubscribe_url: str | None = None
    ) -> Rendered:
        """Render for one recipient; ``unsubscribe_url`` reuses a link the caller already signed for them."""
        language = self.language_for(language, channel)
        context = self._context(recipient, language, channel, unsubscribe_url)
        spec = CHANNELS[channel]
        stop_line = sms_stop_line(language) if self.sms_stop_line and spec.takes_stop_line else ""
        output = spec.render(functools.partial(self._template, language, channel), context, stop_line=stop_line)
        return Rendered(
            language=language,
            subject=output.subject,
            text=output.text,
            html=output.html,
            parts=output.parts,
            encoding=output.encoding,
        )


def render_message(
    *,
    content: dict[str, Any],
    language: str,
    fallback_language: str,
    channel: str,
    recipient: Client | TestRecipient,
    variables: dict[str, Any],
    sms_stop_line: bool = False,
) -> Rendered:
    """Render one message; the outage form's preview and the dispatch worker produce the same text."""
    renderer = ContentRenderer(
        content=content, fallback_language=fallback_language, variables=variables, sms_stop_line=sms_stop_line
    )
    return renderer.render(recipient=recipient_data(recipient), language=language, channel=channel)

"""Rendering per language with fallback, HTML escaping, the SMS stop line, and template validation."""

from __future__ import annotations

import pytest

from notifications.content import SMS_STOP_LINE, content_errors, render_message, sms_stop_line
from tests.factories import ClientFactory, TestRecipientFactory
from tests.pipeline.factories import CONTENT, VARIABLES

pytestmark = pytest.mark.django_db


def _render(recipient, language, channel, **kwargs):
    return render_message(
        content=CONTENT,
        language=language,
        fallback_language="en",
        channel=channel,
        recipient=recipient,
        variables=VARIABLES,
        **kwargs,
    )


def test_renders_in_the_recipients_language():
    """A French client gets the French SMS with their name and the send's variables."""
    client = ClientFactory(name="Zoé", language="fr")
    rendered = _render(client, "fr", "sms")
    assert rendered.language == "fr"
    assert rendered.text == "Bonjour Zoé, panne : Fibre cut."
    assert rendered.parts == 1 and rendered.encoding == "GSM-7"


def test_language_without_content_falls_back():
    """A German client gets the fallback (English) version when the send has no German content."""
    client = ClientFactory(name="Hans", language="de")
    rendered = _render(client, "de", "email")
    assert rendered.language == "en"
    assert rendered.subject == "Fibre cut"
    assert rendered.text == "Dear Hans, see https://status.example.com."


def test_html_escapes_client_data_but_sms_keeps_it_verbatim():
    """A client named with markup is escaped in the HTML part and verbatim in SMS and plain text."""
    client = ClientFactory(name="<script>alert(1)</script>", language="en")
    email = _render(client, "en", "email")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "<script>" not in email.html and "<b>" in email.html
    assert "<script>alert(1)</script>" in email.text
    assert "<script>alert(1)</script>" in _render(client, "en", "sms").text


def test_unsubscribe_link_is_signed_for_clients_and_a_placeholder_for_testers():
    """Clients get their signed unsubscribe link; internal test recipients a harmless portal link."""
    client = ClientFactory(language="en")
    assert "/c/unsubscribe/" in _render(client, "en", "email").html
    tester = TestRecipientFactory()
    html = _render(tester, "en", "email").html
    assert "/c/unsubscribe/" not in html and 'href="http' in html


def test_sms_stop_line_is_appended_and_counted():
    """The STOP line is appended to SMS and counted in the parts."""
    client = ClientFactory(name="A" * 110, language="en")
    plain = _render(client, "en", "sms")
    stopped = _render(client, "en", "sms", sms_stop_line=True)
    assert stopped.text == plain.text + " " + SMS_STOP_LINE
    assert stopped.parts == 2 and plain.parts == 1


def test_content_errors_are_keyed_by_language_channel_and_field():
    """Every faulty part is reported as lang.channel.field with the template error's line."""
    content = {
        "en": {"sms": {"text": "Hi {{ nope }}"}, "email": {"subject": "ok", "text": "{% if %}", "html": ""}},
        "fr": {"sms": {"text": "Salut {{ client.name }}"}},
    }
    errors = content_errors(content, ["sms", "email"])
    assert set(errors) == {"en.sms.text", "en.email.text", "fr.sms.text"}
    assert errors["en.sms.text"].startswith("Line 1: unknown variable 'nope'")
    assert content_errors(CONTENT, ["sms", "email"]) == {}


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "Reply STOP to opt out"),
        ("fr", "Répondez STOP pour vous désabonner"),
        ("de", "Antworten Sie STOP, um sich abzumelden"),
    ],
)
def test_sms_stop_line_is_in_the_recipients_language(language, line):
    """The optional opt-out line is written in the language of the message it ends."""
    assert sms_stop_line(language) == " " + line

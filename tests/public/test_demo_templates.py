"""Issue 16: the demo's default templates (each its kind's default text) carry {{ incident_link }} and a public
text, and their SMS stay within two GSM-7 parts with the link at its real length."""

from __future__ import annotations

import pytest

from campaigns.management.demo_templates import TEMPLATES, version_fields
from notifications.content import sms_count_as_typed


@pytest.mark.parametrize("spec", TEMPLATES, ids=lambda spec: spec["kind"])
def test_demo_templates_link_the_public_page_and_say_what_it_publishes(spec, settings):
    settings.PORTAL_BASE_URL = "https://status.example.com"
    for language, text in spec["versions"].items():
        fields = version_fields(language, text, spec["name"])
        assert "{{ incident_link }}" in fields["email_text"] and "{{ incident_link }}" in fields["email_html"]
        if spec["kind"] != "resolved":
            assert "{{ incident_link }}" in fields["sms_text"], (spec["name"], language)
        # Placeholders other than the link stay as typed (they are about as long as what they become).
        count = sms_count_as_typed(fields["sms_text"])
        assert count.encoding == "GSM-7" and count.parts <= 2, (spec["name"], language, count)
        public = fields["public_text"]
        assert public and "{{" not in public, (spec["name"], language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_the_default_outage_sms_is_one_part_as_customers_get_it(language, settings):
    """Rendered for a real client (a long service name, the start time in their language and zone, a 36-character
    link, the STOP line), the kind's default outage SMS is one GSM-7 part: the details live on the public page."""
    from datetime import UTC, datetime

    from notifications.content import render_message
    from tests.factories import ClientFactory

    settings.PORTAL_BASE_URL = "https://status.example.com"
    outage = next(spec for spec in TEMPLATES if spec["kind"] == "outage")
    fields = version_fields(language, outage["versions"][language], outage["name"])
    rendered = render_message(
        content={language: {"sms": {"text": fields["sms_text"]}}},
        language=language,
        fallback_language=language,
        channel="sms",
        recipient=ClientFactory(language=language, time_zone="Europe/Paris"),
        variables={"service": "Email service", "started_at": datetime(2026, 11, 30, 16, 8, tzinfo=UTC).isoformat()},
        sms_stop_line=outage["sms_stop_line"],
    )
    assert "/i/" in rendered.text and "STOP" in rendered.text.upper(), rendered.text
    assert (rendered.encoding, rendered.parts) == ("GSM-7", 1), (len(rendered.text), rendered.text)

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

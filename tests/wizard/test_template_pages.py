"""Staff pages for saved message templates: list, create with per-language versions, errors beside the field."""

import pytest
from django.urls import reverse

from campaigns.models import MessageTemplate
from tests.factories import UserFactory
from tests.wizard.factories import TemplateVersionFactory

pytestmark = pytest.mark.django_db


def test_ops_create_a_template_with_two_languages(client):
    """A template saved from the page holds one version per language filled in."""
    client.force_login(UserFactory(groups=["Ops"]))
    response = client.post(
        reverse("campaigns:template_new"),
        {
            "name": "SMS outage",
            "kind": "outage",
            "description": "",
            "en_sms_text": "{{ client_name }}: SMS down",
            "fr_sms_text": "{{ client_name }} : SMS en panne",
            "en_email_subject": "SMS down",
        },
    )
    assert response.status_code == 302
    template = MessageTemplate.objects.get(name="SMS outage")
    assert sorted(template.versions.values_list("language", flat=True)) == ["en", "fr"]
    assert b">SMS outage</a>" in client.get(reverse("campaigns:templates")).content


def test_template_error_is_shown_beside_the_field(client):
    """A tag in a template is refused with the line and the reason beside the field."""
    client.force_login(UserFactory(groups=["Ops"]))
    version = TemplateVersionFactory()
    response = client.post(
        reverse("campaigns:template_edit", args=[version.template.pk]),
        {"name": version.template.name, "kind": "outage", "en_sms_text": "{% if x %}hi{% endif %}"},
    )
    assert response.status_code == 200
    assert "tags" in response.context["form"].errors["en_sms_text"][0]


def test_viewers_read_but_cannot_edit_templates(client):
    """Viewers see the list but get 403 on create and edit."""
    client.force_login(UserFactory(groups=["Viewers"]))
    version = TemplateVersionFactory()
    assert client.get(reverse("campaigns:templates")).status_code == 200
    assert client.get(reverse("campaigns:template_new")).status_code == 403
    assert client.get(reverse("campaigns:template_edit", args=[version.template.pk])).status_code == 403

"""Test sends are limited per person (issue 12): real SMS cost money and land on colleagues' phones."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse

from notifications.models import Send
from tests.factories import TestRecipientFactory, UserFactory
from tests.wizard.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@override_settings(TEST_SEND_LIMIT=3, TEST_SEND_WINDOW_SECONDS=600)
def test_test_sends_are_limited_per_person_with_a_clear_message(client, ops):
    """The fourth test send within ten minutes is refused (429) with when the next is possible; others may send."""
    tester = TestRecipientFactory()
    draft = CampaignFactory(wizard_step="test", created_by=ops)
    url = reverse("campaigns:wizard", args=[draft.pk, "test"])
    data = {"test_recipients": [tester.pk], "_send_test": "1"}
    for _ in range(3):
        assert client.post(url, data).status_code == 302
    refused = client.post(url, data)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "3 test sends in the last 10 minutes" in text and "the next one is possible at" in text
    assert Send.objects.filter(is_test=True).count() == 3
    Send.objects.filter(is_test=True).update(created_at=Send.objects.first().created_at - timedelta(minutes=11))
    assert client.post(url, data).status_code == 302
    colleague = UserFactory(username="cora", groups=["Ops"])
    other = CampaignFactory(wizard_step="test", created_by=colleague)
    client.force_login(colleague)
    assert client.post(reverse("campaigns:wizard", args=[other.pk, "test"]), data).status_code == 302

"""The preference page: channels, language, kinds of notice and leave-all, every consent change recorded."""

import pytest

from clients import links
from clients.models import ConsentEvent
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _path(client_id: int) -> str:
    return links.preferences_url(client_id).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _form(**overrides) -> dict:
    data = {"email": "on", "sms": "on", "language": "en", "kinds": ["outage", "maintenance", "update"]}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_page_shows_current_choices_and_the_mandatory_note(client):
    """The form starts from the stored choices and says that essential notices still arrive."""
    customer = ClientFactory(muted_kinds=["maintenance"], sms_consent=False)
    page = client.get(_path(customer.pk)).content.decode()
    assert 'id="id_email" checked' in page and 'id="id_email_helptext"' in page
    assert 'id="id_sms">' in page and 'id="id_sms" checked' not in page
    assert 'value="maintenance" class="form-check-input" id="id_kinds_1"' in page
    assert 'value="maintenance" class="form-check-input" id="id_kinds_1" checked' not in page
    assert "still reach you" in page


def test_saving_records_consent_language_and_muted_kinds(client):
    """Unchecking SMS and a kind withdraws SMS (recorded, source preferences) and mutes that kind."""
    customer = ClientFactory()
    response = client.post(_path(customer.pk), _form(sms=None, language="fr", kinds=["outage", "update"]))
    assert response.status_code == 302 and response["Location"].endswith("?saved=1")
    customer.refresh_from_db()
    assert (customer.sms_consent, customer.email_consent) == (False, True)
    assert customer.language == "fr"
    assert customer.muted_kinds == ["maintenance"]
    event = ConsentEvent.objects.get()
    assert (event.channel, event.action, event.source) == ("sms", "withdrawn", "preferences")
    saved = client.get(response["Location"]).content.decode()
    assert "Vos préférences sont enregistrées." in saved and 'lang="fr"' in saved


def test_subscribing_again_records_consent_given(client):
    """Checking a withdrawn channel gives consent again, with its own event."""
    customer = ClientFactory(email_consent=False)
    client.post(_path(customer.pk), _form())
    customer.refresh_from_db()
    assert customer.email_consent is True
    assert ConsentEvent.objects.get().action == "given"


def test_leave_all_withdraws_both_channels(client):
    """The leave-all button withdraws email and SMS, two events."""
    customer = ClientFactory()
    response = client.post(_path(customer.pk), {"leave_all": "1"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.email_consent, customer.sms_consent) == (False, False)
    assert sorted(ConsentEvent.objects.values_list("channel", flat=True)) == ["email", "sms"]


def test_channel_without_an_address_is_not_offered(client):
    """A client with no mobile number sees no SMS choice, and posting one changes nothing."""
    customer = ClientFactory(phone="")
    page = client.get(_path(customer.pk)).content.decode()
    assert 'name="sms"' not in page
    client.post(_path(customer.pk), _form(sms="on"))
    assert not ConsentEvent.objects.filter(channel="sms").exists()


def test_unknown_language_is_refused(client):
    """A language outside settings.LANGUAGES is a form error; nothing is saved."""
    customer = ClientFactory()
    response = client.post(_path(customer.pk), _form(language="xx", sms=None))
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.sms_consent is True and customer.language == "en"


def test_forged_and_expired_preference_links(client, settings):
    """A forged preference link answers 400; an expired one 410; neither shows client data."""
    customer = ClientFactory(name="Alice Secret")
    path = _path(customer.pk)
    assert client.get(path.replace("/preferences/", "/preferences/x")).status_code == 400
    settings.CUSTOMER_LINK_MAX_AGE = -1
    expired = client.get(path)
    assert expired.status_code == 410 and "Alice Secret" not in expired.content.decode()


def test_the_preferred_channel_for_failover_is_kept(client, settings):
    """With two channels or more, a client may say which one a failover chain tries first; "" clears it."""
    customer = ClientFactory(phone="+33612345678", email="a@example.com")
    page = client.get(_path(customer.pk)).content.decode()
    assert 'name="preferred_channel"' in page
    client.post(_path(customer.pk), _form(preferred_channel="sms"))
    customer.refresh_from_db()
    assert customer.preferred_channel == "sms"
    client.post(_path(customer.pk), _form(preferred_channel=""))
    customer.refresh_from_db()
    assert customer.preferred_channel == ""
    only_email = ClientFactory(phone="", email="b@example.com")
    assert 'name="preferred_channel"' not in client.get(_path(only_email.pk)).content.decode()

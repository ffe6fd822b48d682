"""One-click unsubscribe through signed links: forged, expired and reused links, RFC 8058 POSTs, language."""

import pytest
from django.core import signing
from django.test import Client as HttpClient

from clients import links
from clients.models import ConsentEvent
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_get_only_asks_and_changes_nothing(client):
    """A GET (a link scanner, a preview) shows one button and leaves consent as it was."""
    customer = ClientFactory()
    response = client.get(_path(links.unsubscribe_url(customer.pk, "email")))
    assert response.status_code == 200
    assert b'<form method="post"' in response.content
    customer.refresh_from_db()
    assert customer.email_consent is True
    assert not ConsentEvent.objects.exists()


def test_one_click_post_from_a_mail_client_without_csrf_unsubscribes():
    """A mail client POSTs List-Unsubscribe=One-Click with no cookie or CSRF token and the client is opted out."""
    customer = ClientFactory()
    mail_client = HttpClient(enforce_csrf_checks=True)
    response = mail_client.post(
        _path(links.unsubscribe_url(customer.pk, "email", message_id="op-41")),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email_consent is False
    assert customer.sms_consent is True
    event = ConsentEvent.objects.get()
    assert (event.channel, event.action, event.source, event.detail) == (
        "email",
        "withdrawn",
        "unsubscribe_link",
        "op-41",
    )


def test_reused_link_says_already_unsubscribed_and_records_nothing_more(client):
    """A second POST (or GET) of the same link is idempotent and says so."""
    customer = ClientFactory()
    path = _path(links.unsubscribe_url(customer.pk, "sms"))
    client.post(path)
    second = client.post(path)
    assert second.status_code == 200
    assert "already unsubscribed" in second.content.decode()
    assert "already unsubscribed" in client.get(path).content.decode()
    assert ConsentEvent.objects.count() == 1


def test_forged_token_is_refused_with_400(client):
    """A token whose signature does not match changes nothing and answers 400."""
    customer = ClientFactory()
    token = links.unsubscribe_token(customer.pk, "email")
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.post(f"/c/unsubscribe/{forged}/")
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.email_consent is True


def test_token_for_another_client_cannot_be_made_by_editing_the_payload(client):
    """Swapping the client id inside a token breaks the signature."""
    victim = ClientFactory()
    other = ClientFactory()
    payload = signing.dumps({"c": victim.pk, "ch": "email"}, salt="some-other-salt", compress=True)
    assert client.post(f"/c/unsubscribe/{payload}/").status_code == 400
    preferences_token = links.preferences_token(other.pk)  # right key, wrong purpose
    assert client.post(f"/c/unsubscribe/{preferences_token}/").status_code == 400
    victim.refresh_from_db()
    assert victim.email_consent is True


def test_expired_link_explains_in_the_clients_language_and_changes_nothing(client, settings):
    """An authentic but expired link answers 410 with an explanation in French for a French client."""
    customer = ClientFactory(language="fr")
    path = _path(links.unsubscribe_url(customer.pk, "email"))
    settings.CUSTOMER_LINK_MAX_AGE = -1
    response = client.post(path)
    assert response.status_code == 410
    body = response.content.decode()
    assert 'lang="fr"' in body
    assert "Ce lien a expiré" in body
    assert customer.email not in body
    customer.refresh_from_db()
    assert customer.email_consent is True


def test_confirmation_speaks_the_clients_language(client):
    """The page and the result are in the client's language, with the address masked."""
    customer = ClientFactory(language="fr", email="jeanne@exemple.fr")
    path = _path(links.unsubscribe_url(customer.pk, "email"))
    page = client.get(path).content.decode()
    assert 'lang="fr"' in page
    assert "Se désinscrire" in page
    assert "j•••@exemple.fr" in page and "jeanne@" not in page
    done = client.post(path).content.decode()
    assert "Vous êtes désinscrit" in done


def test_language_switcher_overrides_the_page_language(client):
    """?lang=en shows an English page to a French client; consent is untouched."""
    customer = ClientFactory(language="fr")
    page = client.get(_path(links.unsubscribe_url(customer.pk, "email")) + "?lang=en").content.decode()
    assert 'lang="en"' in page and "Stop receiving outage notices by email?" in page


def test_the_unsubscribe_url_takes_a_one_click_post():
    """The URL put in List-Unsubscribe opts the client out of email on an RFC 8058 POST with no cookie or token."""
    customer = ClientFactory()
    value = links.unsubscribe_url(customer.pk, "email")
    assert value.startswith("http") and "/c/unsubscribe/" in value
    response = HttpClient(enforce_csrf_checks=True).post(
        _path(value), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email_consent is False


def test_every_configured_language_has_the_page(client, settings):
    """Each language in settings.LANGUAGES renders the page translated, with its lang attribute."""
    customer = ClientFactory()
    path = _path(links.unsubscribe_url(customer.pk, "email"))
    expected = {"en": "Unsubscribe", "fr": "Se désinscrire", "de": "Abmelden"}
    for code, _name in settings.LANGUAGES:
        page = client.get(f"{path}?lang={code}").content.decode()
        assert f'<html lang="{code}">' in page and f"<h1>{expected[code]}</h1>" in page

"""Self sign-up with double opt-in: email link, SMS code, unknown accounts, throttle; nothing is consent before."""

import re

import pytest
from django.core.cache import cache

from clients.models import BucketMembership, Client, ConsentEvent, SignupRequest
from clients.signup import signup_approve
from tests.customers import outbox
from tests.factories import BucketFactory, ClientFactory

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    data = {
        "account_ref": "ACME Corp",
        "name": "Zoé Martin",
        "email": "zoe@acme.example",
        "phone": "",
        "language": "fr",
        "uses_sms_service": "on",
    }
    data.update(overrides)
    return data


def _start(client, captured, **overrides):
    with captured(execute=True):
        response = client.post("/c/signup/", _form(**overrides), REMOTE_ADDR=overrides.pop("ip", "203.0.113.9"))
    return response


def _link_path() -> str:
    [message] = [m for m in outbox.sent if m["channel"] == "email"]
    url = re.search(r"https?://\S+", message["text"]).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _code() -> str:
    [message] = [m for m in outbox.sent if m["channel"] == "sms"]
    return re.search(r"\b(\d{6})\b", message["text"]).group(1)


@pytest.fixture
def acme():
    bucket = BucketFactory(name="Key accounts")
    existing = ClientFactory(account="ACME Corp")
    BucketMembership.objects.create(bucket=bucket, client=existing)
    return bucket


def test_email_signup_for_an_unknown_account_creates_nothing_before_the_link(
    client, django_capture_on_commit_callbacks
):
    """The request stores no client or consent; the link is a POST; the confirmed request waits for an admin."""
    response = _start(client, django_capture_on_commit_callbacks, account_ref="NEWCO")
    assert response.status_code == 302
    assert not Client.objects.exists()
    assert not ConsentEvent.objects.exists()
    [message] = outbox.sent
    assert message["channel"] == "email" and message["destination"] == "zoe@acme.example"
    assert message["subject"] == "Confirmez vos avis d'incident"
    signup = SignupRequest.objects.get()
    token = _link_path().rstrip("/").rsplit("/", 1)[1]
    assert token not in signup.token_hash and len(signup.token_hash) == 64

    page = client.get(_link_path())
    assert page.status_code == 200 and "Oui, envoyez-moi les avis d'incident" in page.content.decode()
    signup.refresh_from_db()
    assert signup.email_confirmed_at is None  # a link scanner's GET confirms nothing

    done = client.post(_link_path())
    assert done.status_code == 200 and "Merci, c'est confirmé" in done.content.decode()
    signup.refresh_from_db()
    assert signup.state == SignupRequest.State.AWAITING_APPROVAL and signup.email_confirmed_at is not None
    assert not Client.objects.exists() and not ConsentEvent.objects.exists()


@pytest.mark.parametrize("named_by", ["account", "external_ref"])
def test_a_stranger_naming_a_known_client_does_not_join_it(client, acme, django_capture_on_commit_callbacks, named_by):
    """Typing a known company name or client reference with one's own address proves nothing about that client:
    after the link, no client is created or changed and no bucket is joined; an admin decides."""
    known = Client.objects.get(account="ACME Corp")
    reference = "acme corp" if named_by == "account" else known.external_ref.lower()
    _start(client, django_capture_on_commit_callbacks, account_ref=reference, email="mallory@evil.example")
    [message] = outbox.sent
    assert message["destination"] == "mallory@evil.example"
    client.post(_link_path())
    signup = SignupRequest.objects.get()
    assert signup.state == SignupRequest.State.AWAITING_APPROVAL and signup.client is None
    assert not Client.objects.filter(email="mallory@evil.example").exists()
    assert Client.objects.count() == 1 and list(acme.clients.all()) == [known]
    assert not ConsentEvent.objects.exists()


def test_the_client_on_file_proves_control_and_gets_its_consent_back(client, acme, django_capture_on_commit_callbacks):
    """A client who left and signs up again with the address on file confirms at that address: consent comes back
    on the same client, which keeps its buckets and its registry data; nothing new is created."""
    known = Client.objects.get(account="ACME Corp")
    Client.objects.filter(pk=known.pk).update(email="Zoe@Acme.example", email_consent=False, name="Zoé (billing)")
    _start(client, django_capture_on_commit_callbacks, account_ref=known.external_ref, email="zoe@acme.example")
    [message] = outbox.sent
    assert message["destination"].lower() == "zoe@acme.example"
    done = client.post(_link_path())
    assert done.status_code == 200
    known.refresh_from_db()
    assert known.email_consent is True and known.name == "Zoé (billing)" and known.language == "fr"
    assert Client.objects.count() == 1 and list(known.buckets.all()) == [acme]
    event = ConsentEvent.objects.get(client=known)
    assert (event.channel, event.action, event.source) == ("email", "given", "signup")
    signup = SignupRequest.objects.get()
    assert signup.state == SignupRequest.State.CONFIRMED and signup.client == known


def test_a_number_not_on_file_waits_even_after_the_email_proved_control(
    client, acme, django_capture_on_commit_callbacks
):
    """The email on file gives email consent back; a new mobile number for that client waits for an admin."""
    known = Client.objects.get(account="ACME Corp")
    Client.objects.filter(pk=known.pk).update(email="zoe@acme.example", phone="+33600000001", sms_consent=False)
    sent_page = _start(
        client,
        django_capture_on_commit_callbacks,
        account_ref="ACME Corp",
        email="zoe@acme.example",
        phone="+33612345678",
    )["Location"]
    client.post(_link_path())
    client.post(sent_page, {"code": _code()})
    known.refresh_from_db()
    assert known.phone == "+33600000001" and known.sms_consent is False
    signup = SignupRequest.objects.get()
    assert signup.state == SignupRequest.State.AWAITING_APPROVAL and signup.client == known


def test_the_visitor_sees_the_same_pages_whatever_the_reference(client, acme, django_capture_on_commit_callbacks):
    """On file, known but not on file, unknown: the same answer at every step, so the form enumerates nothing."""
    known = Client.objects.get(account="ACME Corp")
    Client.objects.filter(pk=known.pk).update(email="a@acme.example")
    pages = []
    for reference, email in (
        ("ACME Corp", "a@acme.example"),
        ("ACME Corp", "b@acme.example"),
        ("NOPE-1", "c@x.example"),
    ):
        outbox.sent.clear()
        started = _start(client, django_capture_on_commit_callbacks, account_ref=reference, email=email)
        sent = client.get(started["Location"]).content.decode().replace(email[0] + "•••", "X")
        sent = sent.replace(email.split("@")[1], "DOMAIN")
        asked = client.get(_link_path()).content.decode().replace(email[0] + "•••", "X")
        asked = asked.replace(email.split("@")[1], "DOMAIN")
        done = client.post(_link_path()).content.decode()
        pages.append((started.status_code, _strip_ids(sent), _strip_ids(asked), done))
    assert pages[0] == pages[1] == pages[2]
    assert [s.state for s in SignupRequest.objects.order_by("created_at")] == [
        "confirmed",
        "awaiting_approval",
        "awaiting_approval",
    ]


def _strip_ids(html: str) -> str:
    return re.sub(r"/c/signup/[^\"]+", "/c/signup/ID", re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html))


def test_admin_approval_of_a_known_account_adds_the_newcomer_to_its_buckets(
    client, acme, django_capture_on_commit_callbacks, admin_user
):
    """An admin who vouches for a colleague of a known account creates the client in that account's buckets."""
    _start(client, django_capture_on_commit_callbacks, email="new.colleague@acme.example")
    client.post(_link_path())
    pending = SignupRequest.objects.get()
    assert signup_approve(signup=pending, by=admin_user) is not None
    created = Client.objects.get(email="new.colleague@acme.example")
    assert created.account == "ACME Corp" and list(created.buckets.all()) == [acme]
    assert (created.email_consent, created.sms_consent) == (True, False)


def test_sms_signup_confirms_with_the_code(client, acme, django_capture_on_commit_callbacks):
    """A mobile-only sign-up gets a 6-digit code by SMS; the right code proves the number on file: SMS consent."""
    Client.objects.filter(account="ACME Corp").update(phone="+33612345678", sms_consent=False, email_consent=False)
    response = _start(client, django_capture_on_commit_callbacks, email="", phone="06 12 34 56 78")
    sent_page = response["Location"]
    [message] = outbox.sent
    assert message["channel"] == "sms" and message["destination"] == "+33612345678"
    assert SignupRequest.objects.get().code_hash != _code()
    done = client.post(sent_page, {"code": _code()})
    assert done.status_code == 200 and "Merci, c'est confirmé" in done.content.decode()
    created = Client.objects.get(phone="+33612345678")
    assert (created.sms_consent, created.email_consent) == (True, False) and Client.objects.count() == 1
    assert ConsentEvent.objects.get(client=created).channel == "sms"


def test_wrong_codes_are_limited_to_five(client, acme, django_capture_on_commit_callbacks):
    """Five wrong codes lock the request; even the right code then fails and nothing is stored."""
    sent_page = _start(client, django_capture_on_commit_callbacks, email="", phone="+33612345678")["Location"]
    right = _code()
    wrong = "000000" if right != "000000" else "111111"
    for expected_left in (4, 3, 2, 1):
        page = client.post(sent_page, {"code": wrong})
        assert page.status_code == 400 and f"Il vous reste {expected_left} essai" in page.content.decode()
    assert "Trop de codes erronés" in client.post(sent_page, {"code": wrong}).content.decode()
    locked = client.post(sent_page, {"code": right})
    assert "Trop de codes erronés" in locked.content.decode()
    assert not Client.objects.filter(phone="+33612345678").exists()
    assert SignupRequest.objects.get().code_attempts == 5


def test_unknown_account_is_created_when_an_admin_approves(client, django_capture_on_commit_callbacks, admin_user):
    """An unknown reference waits after the link; the admin's Approve action creates the client with its consent."""
    _start(client, django_capture_on_commit_callbacks, account_ref="NOPE-404", email="b@acme.example")
    client.post(_link_path())
    assert not Client.objects.filter(email="b@acme.example").exists()
    pending = SignupRequest.objects.get(account_ref="NOPE-404")
    assert pending.state == SignupRequest.State.AWAITING_APPROVAL

    client.force_login(admin_user)
    response = client.post(
        "/admin/clients/signuprequest/", {"action": "approve_signups", "_selected_action": [pending.pk]}
    )
    assert response.status_code == 302
    created = Client.objects.get(email="b@acme.example")
    assert created.account == "NOPE-404" and created.email_consent is True and created.sms_consent is False
    pending.refresh_from_db()
    assert pending.state == SignupRequest.State.APPROVED and pending.decided_by == admin_user
    assert ConsentEvent.objects.filter(client=created, source="signup").count() == 1


def test_reject_blanks_the_contact_details(client, django_capture_on_commit_callbacks, admin_user):
    """Rejecting an awaiting sign-up keeps no address or number, and approve then does nothing."""
    _start(client, django_capture_on_commit_callbacks, account_ref="UNKNOWN", phone="+33612345678")
    client.post(_link_path())
    signup = SignupRequest.objects.get()
    client.force_login(admin_user)
    client.post("/admin/clients/signuprequest/", {"action": "reject_signups", "_selected_action": [signup.pk]})
    signup.refresh_from_db()
    assert (signup.state, signup.email, signup.phone) == ("rejected", "", "")
    assert signup_approve(signup=signup, by=admin_user) is None
    assert not Client.objects.filter(account="UNKNOWN").exists()


def test_attempts_are_throttled_per_address_and_per_contact(client, django_capture_on_commit_callbacks):
    """The sixth attempt within an hour from one IP, or for one email, is refused with 429 and sends nothing."""
    for n in range(5):
        assert _start(client, django_capture_on_commit_callbacks, email=f"p{n}@x.example").status_code == 302
    throttled = _start(client, django_capture_on_commit_callbacks, email="p9@x.example")
    assert throttled.status_code == 429 and "Too many attempts" in throttled.content.decode()
    assert len(outbox.sent) == 5
    cache.clear()
    for n in range(5):
        _start(client, django_capture_on_commit_callbacks, email="same@x.example", ip=f"198.51.100.{n}")
    assert (
        _start(client, django_capture_on_commit_callbacks, email="same@x.example", ip="198.51.100.77").status_code
        == 429
    )
    assert SignupRequest.objects.count() == 10


def test_form_errors_are_tied_to_their_fields(client):
    """No contact at all, or a bad number, is explained next to the fields; nothing is stored."""
    page = client.post("/c/signup/?lang=en", _form(email="", phone=""))
    assert page.status_code == 200 and "Give an email address, a mobile number or both." in page.content.decode()
    bad = client.post("/c/signup/?lang=en", _form(phone="12")).content.decode()
    assert 'aria-describedby="id_phone_error id_phone_help"' in bad and "Enter a valid mobile number." in bad
    assert not SignupRequest.objects.exists()


def test_expired_link_and_code_store_nothing(client, acme, django_capture_on_commit_callbacks):
    """After 24 hours the link and the code only say that the sign-up expired."""
    sent_page = _start(client, django_capture_on_commit_callbacks, phone="+33612345678")["Location"]
    SignupRequest.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert client.post(_link_path()).status_code == 410
    assert client.post(sent_page, {"code": _code()}).status_code == 410
    assert not Client.objects.filter(email="zoe@acme.example").exists()
    assert not ConsentEvent.objects.exists()


def test_forged_confirmation_link_is_400(client):
    """A made-up token finds nothing."""
    assert client.get("/c/signup/confirm/made-up-token/").status_code == 400


def test_deciding_a_sign_up_needs_its_permission_in_the_service_too(client, django_capture_on_commit_callbacks):
    """Approve and reject are refused to a user without 'change sign-up request'; the Admins group holds it."""
    from django.core.exceptions import PermissionDenied

    from clients.signup import signup_reject
    from tests.factories import UserFactory

    _start(client, django_capture_on_commit_callbacks, account_ref="NEWCO", email="n@newco.example")
    client.post(_link_path())
    pending = SignupRequest.objects.get()
    viewer = UserFactory(username="vera", groups=["Viewers"], is_staff=True)
    with pytest.raises(PermissionDenied):
        signup_approve(signup=pending, by=viewer)
    with pytest.raises(PermissionDenied):
        signup_reject(signup=pending, by=viewer)
    pending.refresh_from_db()
    assert pending.state == SignupRequest.State.AWAITING_APPROVAL
    admin_member = UserFactory(username="adele", groups=["Admins"], is_staff=True)
    client.force_login(admin_member)
    listing = client.get("/admin/clients/signuprequest/")
    assert listing.status_code == 200 and "NEWCO" in listing.content.decode()
    client.post("/admin/clients/signuprequest/", {"action": "approve_signups", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.state == SignupRequest.State.APPROVED and pending.decided_by == admin_member

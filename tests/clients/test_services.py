"""Client value checks (phone, email, language, services) and bulk bucket membership."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from clients import phones
from clients.models import Bucket, BucketMembership
from clients.services import (
    ClientValueError,
    bucket_add_clients,
    bucket_remove_clients,
    buckets_ensure,
    email_normalize,
    language_normalize,
    phone_normalize,
    services_parse,
)
from tests.factories import BucketFactory, ClientFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+49 151 12345678", "+4915112345678"),
        ("+39 06 1234 5678", "+390612345678"),
        ("+1 202-555-0123", "+12025550123"),
        ("", ""),
    ],
)
def test_phone_normalised_to_e164(raw, expected):
    """Numbers written nationally (default region FR) or internationally become E.164."""
    assert phone_normalize(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "+33 6 12", "+999 1234 5678", "phone", "+33 0 12 34 56 78 90 12"])
def test_invalid_phone_refused(raw):
    """Numbers that cannot exist are refused."""
    with pytest.raises(ClientValueError, match="invalid phone number"):
        phone_normalize(raw)


def test_default_region_is_a_setting(settings):
    """PHONE_DEFAULT_REGION decides how a national number is read."""
    settings.PHONE_DEFAULT_REGION = "DE"
    assert phone_normalize("0151 12345678") == "+4915112345678"


def test_fast_validity_check_agrees_with_phonenumbers():
    """The combined-regex check gives phonenumbers' answer on thousands of numbers across countries."""
    rng = random.Random(7)
    for country_code in (33, 49, 44, 34, 41, 32, 31, 351, 352, 1, 7, 61, 81, 212, 971):
        for _ in range(400):
            national = rng.randint(10 ** rng.randint(5, 10), 10**11)
            number = phonenumbers.PhoneNumber(country_code=country_code, national_number=national)
            assert phones.is_valid(number) == phonenumbers.is_valid_number(number), (country_code, national)


def test_email_and_language_checks():
    """Emails keep their local part and lower-case the domain; languages must be configured."""
    assert email_normalize(" Ann.Smith@Example.COM ") == "Ann.Smith@example.com"
    with pytest.raises(ClientValueError):
        email_normalize("ann@")
    assert language_normalize(" FR ") == "fr"
    with pytest.raises(ClientValueError, match="unknown language"):
        language_normalize("es")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sms", (True, False)),
        ("email", (False, True)),
        ("sms+email", (True, True)),
        ("SMS, Email", (True, True)),
        ("both", (True, True)),
        ("sms|email", (True, True)),
        ("", (False, False)),
    ],
)
def test_services_cell(raw, expected):
    """The services column accepts sms, email and their combinations."""
    assert services_parse(raw) == expected


@pytest.mark.django_db
def test_bucket_membership_in_bulk_is_idempotent():
    """Adding twice adds once; removing non-members is harmless; counts are what changed."""
    bucket = BucketFactory()
    clients = [ClientFactory() for _ in range(3)]
    ids = [c.pk for c in clients]
    assert bucket_add_clients(bucket=bucket, client_ids=ids[:2]) == 2
    assert bucket_add_clients(bucket=bucket, client_ids=ids) == 1
    assert BucketMembership.objects.filter(bucket=bucket).count() == 3
    assert bucket_remove_clients(bucket=bucket, client_ids=ids[:1]) == 1
    assert bucket_remove_clients(bucket=bucket, client_ids=ids[:1]) == 0
    assert sorted(bucket.clients.values_list("pk", flat=True)) == ids[1:]


@pytest.mark.django_db
def test_buckets_ensure_matches_names_without_case_and_makes_unique_slugs():
    """Existing buckets are found whatever the case; new ones get a free slug."""
    north = BucketFactory(name="North", slug="north")
    BucketFactory(name="Other", slug="key-accounts")
    found, created = buckets_ensure(names=["north", "Key accounts"])
    assert found["north"] == north and created == ["Key accounts"]
    assert Bucket.objects.get(name="Key accounts").slug == "key-accounts-2"
    preview, would_create = buckets_ensure(names=["Pilot"], create=False)
    assert preview == {"Pilot": None} and would_create == ["Pilot"] and not Bucket.objects.filter(name="Pilot").exists()


@pytest.mark.parametrize(
    "address",
    [
        "a@b.co",
        "first.last+tag@sub.example.org",
        "x_y%z@example-mail.fr",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example",
        "a@example.c",
        "ann@exa_mple.com",
        "üser@example.de",
        "a@ex--ample.com",
        "o'brien@example.ie",
        "a@[127.0.0.1]",
        "a b@example.com",
    ],
)
def test_fast_email_check_agrees_with_django(address):
    """The quick email pattern never accepts what Django's validator refuses (and falls back to it otherwise)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(address)
        django_ok = True
    except ValidationError:
        django_ok = False
    try:
        email_normalize(address)
        ours = True
    except ClientValueError:
        ours = False
    assert ours == django_ok


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("0612345678", "FR", "+33612345678"),
        ("015112345678", "DE", "+4915112345678"),
        ("07400123456", "GB", "+447400123456"),
        ("0033612345678", "FR", "+33612345678"),
        ("2025550123", "US", "+12025550123"),
    ],
)
def test_national_fast_path_matches_phonenumbers(raw, region, expected):
    """National numbers read through the fast path give the same E.164 as phonenumbers' parser."""
    assert phone_normalize(raw, region=region) == expected
    parsed = phonenumbers.parse(raw, region)
    assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == expected

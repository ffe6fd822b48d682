"""Changes to clients and buckets: bucket membership in bulk, and the checks every client value goes through.

Consent is not changed here: ``clients.consent.consent_set`` is the one way (it writes the ConsentEvent).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterable

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from clients import phones
from clients.models import Bucket, BucketMembership


class ClientValueError(ValueError):
    """A client value (phone, email, language, services) that cannot be stored; the message says why."""


_PHONE_PUNCTUATION = re.compile(r"[\s.\-()/]")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# A strict subset of what Django's EmailValidator accepts, checked first because it is much cheaper.
_SIMPLE_EMAIL = re.compile(
    r"^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
SERVICE_WORDS = {"sms": "sms", "email": "email", "e-mail": "email", "mail": "email"}


def phone_normalize(raw: str, *, region: str | None = None) -> str:
    """Return ``raw`` in E.164 (``+33612345678``), ``""`` for a blank value; raise ``ClientValueError`` if invalid.

    Numbers written without a country code are read in ``settings.PHONE_DEFAULT_REGION``.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    compact = _PHONE_PUNCTUATION.sub("", text)
    if _E164.match(compact):
        number = _e164_number(compact)
        if number is not None:
            if not phones.is_valid(number):
                raise ClientValueError("invalid phone number")
            return compact
    region = region or settings.PHONE_DEFAULT_REGION
    if compact.isdigit():
        e164 = phones.national_to_e164(compact, region)
        if e164:
            return e164
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ClientValueError("invalid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ClientValueError("invalid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _e164_number(compact: str) -> phonenumbers.PhoneNumber | None:
    """Read ``+<country code><number>`` without the general parser (twice as fast on large imports).

    Country codes are prefix-free, so the first known prefix is the code. Numbers whose national part starts with
    0 (Italian style) go through the general parser, which records the leading zero.
    """
    for size in (1, 2, 3):
        code = int(compact[1 : 1 + size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = compact[1 + size :]
            if not national or national.startswith("0"):
                return None
            return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    return None


def email_normalize(raw: str) -> str:
    """Return the address trimmed with its domain in lower case, ``""`` for blank; raise if it is not an address."""
    text = (raw or "").strip()
    if not text:
        return ""
    if len(text) <= 254 and _SIMPLE_EMAIL.match(text):
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    try:
        validate_email(text)
    except ValidationError:
        raise ClientValueError("invalid email address") from None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_normalize(raw: str) -> str:
    """Return the language code in lower case; raise unless it is one of ``settings.LANGUAGES``."""
    code = (raw or "").strip().lower().replace("_", "-")
    if code not in language_codes():
        raise ClientValueError(f"unknown language {raw.strip()!r} (use {', '.join(language_codes())})")
    return code


@functools.cache
def _time_zones() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def time_zone_normalize(raw: str) -> str:
    """An IANA time zone name as the database spells it (``europe/paris`` → ``Europe/Paris``), ``""`` for blank
    (the client then reads dates in ``CLIENT_DEFAULT_TIME_ZONE``); raise ``ClientValueError`` for anything else."""
    text = (raw or "").strip()
    if not text:
        return ""
    name = _time_zones().get(text.casefold()) if len(text) <= 64 else None
    if name is None:
        raise ClientValueError(f"unknown time zone {text[:64]!r} (use an IANA name such as Europe/Paris)")
    return name


def services_parse(raw: str) -> tuple[bool, bool]:
    """Read a services cell (``sms``, ``email``, ``sms+email``, ``sms;email``, ``sms,email``, ``both``) as (uses SMS,
    uses email)."""
    text = (raw or "").strip().lower()
    if text == "both":
        return True, True
    found: set[str] = set()
    for word in text.replace("+", " ").replace(",", " ").replace(";", " ").replace("|", " ").replace("/", " ").split():
        if word not in SERVICE_WORDS:
            raise ClientValueError(f"unknown service {word!r} (use sms, email or sms+email)")
        found.add(SERVICE_WORDS[word])
    return "sms" in found, "email" in found


def phone_mask(phone: str) -> str:
    """A number shortened for reports and logs: ``+336…78``."""
    phone = (phone or "").strip()
    return phone if len(phone) <= 6 else f"{phone[:4]}…{phone[-2:]}"


@transaction.atomic
def bucket_add_clients(*, bucket: Bucket, client_ids: Iterable[int]) -> int:
    """Put the clients in the bucket; already members stay as they are. Returns how many joined."""
    ids = set(client_ids)
    present = set(BucketMembership.objects.filter(bucket=bucket, client_id__in=ids).values_list("client_id", flat=True))
    new = [BucketMembership(bucket=bucket, client_id=client_id) for client_id in sorted(ids - present)]
    BucketMembership.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    return len(new)


def bucket_remove_clients(*, bucket: Bucket, client_ids: Iterable[int]) -> int:
    """Take the clients out of the bucket; non-members are ignored. Returns how many left."""
    deleted, _ = BucketMembership.objects.filter(bucket=bucket, client_id__in=set(client_ids)).delete()
    return deleted


def bucket_slug(name: str, *, taken: set[str]) -> str:
    """A unique slug for a new bucket name, numbered when another bucket already uses it."""
    base = slugify(name)[:90] or "bucket"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def buckets_ensure(*, names: Iterable[str], create: bool = True) -> tuple[dict[str, Bucket | None], list[str]]:
    """Buckets by name (case does not matter), creating the missing ones unless ``create`` is false.

    Returns the buckets keyed by the names as given (``None`` for a missing one not created) and the new names.
    """
    wanted = {name.strip() for name in names if name and name.strip()}
    existing = {bucket.name.casefold(): bucket for bucket in Bucket.objects.all()}
    found: dict[str, Bucket | None] = {}
    missing: dict[str, str] = {}
    for name in sorted(wanted):
        bucket = existing.get(name.casefold())
        if bucket is None:
            missing.setdefault(name.casefold(), name)
        found[name] = bucket
    if create and missing:
        taken = set(Bucket.objects.values_list("slug", flat=True))
        created: dict[str, Bucket] = {}
        for key, name in missing.items():
            slug = bucket_slug(name, taken=taken)
            taken.add(slug)
            created[key] = Bucket.objects.create(name=name, slug=slug)
        for name in found:
            found[name] = found[name] or created[name.casefold()]
    return found, sorted(missing.values())

"""Self sign-up records and their rules: the request, its double opt-in, proof of control, throttles, decisions.

``signup_start`` stores a ``SignupRequest`` and returns the plain link token and SMS code once, for the public
sign-up page (``public_site.signup``) to deliver; only keyed hashes of them are kept. Nothing here sends anything.

Nothing is consent until a contact is confirmed, and confirming an address proves only that the visitor controls
*that address*. So a sign-up that names a known account or client reference joins nothing by itself: a confirmed
channel gives consent to a client of that account only when the confirmed address is the one **on file** for that
client (the confirmation went to the registered address, so its owner answered). Any other confirmed address, and
every sign-up for an unknown account, waits for an admin (``signup_approve`` / ``signup_reject``). The visitor's
pages are the same in every case, so the form tells nobody which accounts exist.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from clients.consent import consent_set
from clients.models import Bucket, BucketMembership, Channel, Client, SignupRequest

SIGNUP_TTL = timedelta(hours=24)
MAX_CODE_ATTEMPTS = 5
THROTTLE_LIMIT = 5
THROTTLE_WINDOW = 60 * 60


class SignupThrottled(Exception):
    """Too many sign-up attempts from one address or for one contact within the window."""


@dataclass(frozen=True)
class SignupStarted:
    """A stored request with the secrets to deliver: ``token`` for the email link, ``code`` for the SMS."""

    signup: SignupRequest
    token: str
    code: str


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    reason: str = ""  # "wrong", "locked", "expired", "done"
    attempts_left: int = 0


def _digest(value: str) -> str:
    return salted_hmac("clients.signup", value, algorithm="sha256").hexdigest()


def _throttle_keys(*, ip: str, contacts: list[str]) -> list[str]:
    values = [f"ip:{ip}"] + [f"contact:{contact.lower()}" for contact in contacts if contact]
    return ["signup-throttle:" + hashlib.sha256(value.encode()).hexdigest()[:32] for value in values]


def signup_throttle_check(*, ip: str, contacts: list[str]) -> None:
    """Count one attempt for the address and each contact; raise SignupThrottled past THROTTLE_LIMIT per hour."""
    keys = _throttle_keys(ip=ip, contacts=contacts)
    if any((cache.get(key) or 0) >= THROTTLE_LIMIT for key in keys):
        raise SignupThrottled
    for key in keys:
        cache.add(key, 0, THROTTLE_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, THROTTLE_WINDOW)


def signup_start(
    *,
    account_ref: str,
    name: str,
    email: str,
    phone: str,
    language: str,
    uses_sms_service: bool,
    uses_email_service: bool,
    ip: str,
) -> SignupStarted:
    """Record a pending request; raises SignupThrottled when over the limit. The caller delivers the secrets."""
    signup_throttle_check(ip=ip, contacts=[email, phone])
    SignupRequest.objects.filter(state=SignupRequest.State.PENDING, expires_at__lt=timezone.now()).delete()
    token = secrets.token_urlsafe(32) if email else ""
    code = f"{secrets.randbelow(10**6):06d}" if phone else ""
    signup = SignupRequest.objects.create(
        account_ref=account_ref,
        name=name,
        email=email,
        phone=phone,
        language=language,
        uses_sms_service=uses_sms_service,
        uses_email_service=uses_email_service,
        token_hash=_digest(token) if token else "",
        code_hash=_digest(code) if code else "",
        expires_at=timezone.now() + SIGNUP_TTL,
    )
    return SignupStarted(signup=signup, token=token, code=code)


def signup_for_token(token: str) -> SignupRequest | None:
    if not token or len(token) > 200:
        return None
    return SignupRequest.objects.filter(token_hash=_digest(token)).first()


def signup_is_expired(signup: SignupRequest) -> bool:
    return signup.state == SignupRequest.State.PENDING and signup.expires_at < timezone.now()


def signup_confirm_email(*, signup: SignupRequest) -> SignupRequest:
    """The email link was followed (by a POST, so link scanners confirm nothing)."""
    return _confirm(signup=signup, channel=Channel.EMAIL)


def signup_check_code(*, signup: SignupRequest, code: str) -> CodeCheck:
    """Check an SMS code: at most MAX_CODE_ATTEMPTS tries, counted in the database under a row lock."""
    with transaction.atomic():
        signup = SignupRequest.objects.select_for_update().get(pk=signup.pk)
        if signup.phone_confirmed_at:
            return CodeCheck(ok=True, reason="done")
        if signup_is_expired(signup) or not signup.code_hash:
            return CodeCheck(ok=False, reason="expired")
        if signup.code_attempts >= MAX_CODE_ATTEMPTS:
            return CodeCheck(ok=False, reason="locked")
        if not secrets.compare_digest(_digest(code.strip()), signup.code_hash):
            signup.code_attempts += 1
            signup.save(update_fields=["code_attempts"])
            left = MAX_CODE_ATTEMPTS - signup.code_attempts
            return CodeCheck(ok=False, reason="wrong" if left else "locked", attempts_left=left)
    _confirm(signup=signup, channel=Channel.SMS)
    return CodeCheck(ok=True)


def signup_account_clients(account_ref: str) -> QuerySet[Client]:
    """The clients a reference names: its account (company) or its own external reference, case-insensitive."""
    ref = account_ref.strip()
    if not ref:
        return Client.objects.none()
    return Client.objects.filter(Q(account__iexact=ref) | Q(external_ref__iexact=ref))


def _client_on_file(signup: SignupRequest, channel: str) -> Client | None:
    """The client of the named account whose address on file for ``channel`` is the one the visitor confirmed."""
    address = Q(email__iexact=signup.email) if channel == Channel.EMAIL else Q(phone=signup.phone)
    if not (signup.email if channel == Channel.EMAIL else signup.phone):
        return None
    candidates = signup_account_clients(signup.account_ref).filter(address)
    if signup.client_id is not None:  # a first channel already proved control of one client: stay with it
        candidates = candidates.filter(pk=signup.client_id)
    return candidates.order_by("pk").first()


@transaction.atomic
def _confirm(*, signup: SignupRequest, channel: str) -> SignupRequest:
    signup = SignupRequest.objects.select_for_update().get(pk=signup.pk)
    field = "email_confirmed_at" if channel == Channel.EMAIL else "phone_confirmed_at"
    if getattr(signup, field):
        return signup
    setattr(signup, field, timezone.now())
    if signup.state in (SignupRequest.State.PENDING, SignupRequest.State.CONFIRMED):
        owner = _client_on_file(signup, channel)
        if owner is None:
            signup.state = SignupRequest.State.AWAITING_APPROVAL
        else:
            _consent_at_address_on_file(signup, owner, channel)
            if signup.state == SignupRequest.State.PENDING:
                signup.state = SignupRequest.State.CONFIRMED
    elif signup.state == SignupRequest.State.APPROVED:
        _client_from_signup(signup)  # an admin vouched for the request; a contact confirmed later joins too
    signup.save(update_fields=[field, "state", "client"])
    return signup


def _consent_at_address_on_file(signup: SignupRequest, client: Client, channel: str) -> None:
    """The owner of the registered address answered: consent on that channel, and the language they chose.

    The registry's own data (name, services, buckets, active) stays as the business keeps it.
    """
    consent_set(
        client=client,
        channel=channel,
        given=True,
        source="signup",
        detail=f"sign-up {signup.public_id} confirmed by {channel} at the address on file",
    )
    if client.language != signup.language:
        client.language = signup.language
        client.save(update_fields=["language", "updated_at"])
    signup.client = client


def _client_from_signup(signup: SignupRequest) -> Client:
    """An admin's decision: create or update the client with consent on the confirmed channels, in its account's
    buckets."""
    account_clients = list(signup_account_clients(signup.account_ref))
    account = next((c.account for c in account_clients if c.account), signup.account_ref)
    channels = signup.confirmed_channels
    match = Q(pk=signup.client_id) if signup.client_id else Q(pk__in=[])
    if "email" in channels:
        match |= Q(email__iexact=signup.email)
    if "sms" in channels:
        match |= Q(phone=signup.phone)
    client = Client.objects.filter(match, account__iexact=account).first()
    if client is None:
        client = Client.objects.create(
            external_ref=f"SU-{uuid.uuid4().hex[:12].upper()}",
            name=signup.name,
            account=account,
            language=signup.language,
            email_consent=False,
            sms_consent=False,
        )
    client.name = signup.name
    client.language = signup.language
    client.uses_sms_service = client.uses_sms_service or signup.uses_sms_service
    client.uses_email_service = client.uses_email_service or signup.uses_email_service
    client.is_active = True
    if "email" in channels:  # a confirmed address works: any bounce mark is history
        client.email, client.email_bounced_at, client.email_bounce_reason = signup.email, None, ""
    if "sms" in channels:
        client.phone, client.phone_unreachable_at, client.phone_unreachable_reason = signup.phone, None, ""
    client.save()
    for channel in channels:
        consent_set(
            client=client,
            channel=channel,
            given=True,
            source="signup",
            detail=f"sign-up {signup.public_id} confirmed by {channel}, approved",
        )
    buckets = Bucket.objects.filter(memberships__client__in=[c.pk for c in account_clients]).distinct()
    for bucket in buckets:
        BucketMembership.objects.get_or_create(bucket=bucket, client=client)
    signup.client = client
    return client


DECIDE_PERMISSION = "clients.change_signuprequest"


def _require_decider(user: AbstractBaseUser | AnonymousUser) -> None:
    if not (isinstance(user, PermissionsMixin) and user.is_active and user.has_perm(DECIDE_PERMISSION)):
        raise PermissionDenied(f"{DECIDE_PERMISSION} is needed to decide a sign-up")


@transaction.atomic
def signup_approve(*, signup: SignupRequest, by: AbstractBaseUser | AnonymousUser) -> Client | None:
    """An admin vouches for the request: the client is created (or updated) with its confirmed consent."""
    _require_decider(by)
    signup = SignupRequest.objects.select_for_update().get(pk=signup.pk)
    if signup.state != SignupRequest.State.AWAITING_APPROVAL:
        return None
    client = _client_from_signup(signup)
    signup.state = SignupRequest.State.APPROVED
    signup.decided_at = timezone.now()
    signup.decided_by = by  # type: ignore[assignment]
    signup.save(update_fields=["state", "client", "decided_at", "decided_by"])
    return client


@transaction.atomic
def signup_reject(*, signup: SignupRequest, by: AbstractBaseUser | AnonymousUser) -> bool:
    """Refuse a request; its contact details are blanked, as nothing justifies keeping them."""
    _require_decider(by)
    updated = SignupRequest.objects.filter(
        pk=signup.pk,
        state__in=[SignupRequest.State.AWAITING_APPROVAL, SignupRequest.State.PENDING],
    ).update(
        state=SignupRequest.State.REJECTED,
        decided_at=timezone.now(),
        decided_by=by,
        email="",
        phone="",
        token_hash="",
        code_hash="",
    )
    return bool(updated)

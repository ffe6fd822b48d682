"""Self sign-up with double opt-in: nothing is consent until the contact proves it receives our messages.

``signup_start`` keeps the request in a ``SignupRequest`` and sends a link by email and a 6-digit code by SMS
through ``settings.SIGNUP_SENDER`` (a dotted path, so the clients app needs no import from notifications).
Confirming either writes the client and its ConsentEvents when the account reference is known, or leaves the
request for an admin to approve. Every answer the public sees is the same whatever the account reference, and
attempts are throttled per IP address and per contact.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from clients.consent import consent_set
from clients.models import Bucket, BucketMembership, Channel, Client, SignupRequest

logger = logging.getLogger(__name__)

SIGNUP_TTL = timedelta(hours=24)
MAX_CODE_ATTEMPTS = 5
THROTTLE_LIMIT = 5
THROTTLE_WINDOW = 60 * 60
DEFAULT_SENDER = "notifications.signup_delivery.deliver"


class SignupThrottled(Exception):
    """Too many sign-up attempts from one address or for one contact within the window."""


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


def _deliver(*, channel: str, destination: str, subject: str, text: str, html: str, reference: str) -> None:
    sender = import_string(getattr(settings, "SIGNUP_SENDER", DEFAULT_SENDER))
    try:
        sender(channel=channel, destination=destination, subject=subject, text=text, html=html, reference=reference)
    except Exception:  # the visitor sees the same page; the request can be retried after the throttle window
        logger.exception("Sign-up confirmation could not be sent (channel=%s, reference=%s)", channel, reference)


def _send_confirmations(signup: SignupRequest, *, token: str, code: str) -> None:
    with translation.override(signup.language):
        reference = f"signup-{signup.public_id}"
        if token:
            url = settings.PORTAL_BASE_URL + reverse("clients:signup_confirm", args=[token])
            text = _(
                "Hello %(name)s,\n\nPlease confirm that you want outage notices for account %(account)s by opening "
                "this link:\n%(url)s\n\nThe link works for 24 hours. If you did not ask for this, ignore this "
                "message: nothing will be sent to you."
            ) % {"name": signup.name, "account": signup.account_ref, "url": url}
            html = "<p>" + escape(text).replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
            html = html.replace(escape(url), f'<a href="{escape(url)}">{escape(url)}</a>')
            _deliver(
                channel=Channel.EMAIL,
                destination=signup.email,
                subject=_("Confirm your outage notices"),
                text=text,
                html=html,
                reference=reference,
            )
        if code:
            text = _("Your outage notices confirmation code is %(code)s. It works for 24 hours.") % {"code": code}
            _deliver(channel=Channel.SMS, destination=signup.phone, subject="", text=text, html="", reference=reference)


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
) -> SignupRequest:
    """Record a pending request and send its confirmations; raises SignupThrottled when over the limit."""
    signup_throttle_check(ip=ip, contacts=[email, phone])
    SignupRequest.objects.filter(state=SignupRequest.State.PENDING, expires_at__lt=timezone.now()).delete()
    token = secrets.token_urlsafe(32) if email else ""
    code = f"{secrets.randbelow(10**6):06d}" if phone else ""
    with transaction.atomic():
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
        transaction.on_commit(lambda: _send_confirmations(signup, token=token, code=code))
    return signup


def signup_for_token(token: str) -> SignupRequest | None:
    if not token:
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


@transaction.atomic
def _confirm(*, signup: SignupRequest, channel: str) -> SignupRequest:
    signup = SignupRequest.objects.select_for_update().get(pk=signup.pk)
    field = "email_confirmed_at" if channel == Channel.EMAIL else "phone_confirmed_at"
    if getattr(signup, field):
        return signup
    setattr(signup, field, timezone.now())
    signup.save(update_fields=[field])
    if signup.state == SignupRequest.State.PENDING:
        if _account_clients(signup.account_ref).exists():
            _client_from_signup(signup)
            signup.state = SignupRequest.State.CONFIRMED
        else:
            signup.state = SignupRequest.State.AWAITING_APPROVAL
        signup.save(update_fields=["state", "client"])
    elif signup.state in (SignupRequest.State.CONFIRMED, SignupRequest.State.APPROVED):
        _client_from_signup(signup)
        signup.save(update_fields=["client"])
    return signup


def _account_clients(account_ref: str):
    ref = account_ref.strip()
    if not ref:
        return Client.objects.none()
    return Client.objects.filter(Q(account__iexact=ref) | Q(external_ref__iexact=ref))


def _client_from_signup(signup: SignupRequest) -> Client:
    """Create or update the signed-up client with consent on the confirmed channels, in its account's buckets."""
    account_clients = list(_account_clients(signup.account_ref))
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
    if "email" in channels:
        client.email = signup.email
    if "sms" in channels:
        client.phone = signup.phone
    client.save()
    for channel in channels:
        consent_set(
            client=client,
            channel=channel,
            given=True,
            source="signup",
            detail=f"sign-up {signup.public_id} confirmed by {channel}",
        )
    buckets = Bucket.objects.filter(memberships__client__in=[c.pk for c in account_clients]).distinct()
    for bucket in buckets:
        BucketMembership.objects.get_or_create(bucket=bucket, client=client)
    signup.client = client
    return client


@transaction.atomic
def signup_approve(*, signup: SignupRequest, by=None) -> Client | None:
    """An admin vouches for an unknown account reference: the client is created with its confirmed consent."""
    signup = SignupRequest.objects.select_for_update().get(pk=signup.pk)
    if signup.state != SignupRequest.State.AWAITING_APPROVAL:
        return None
    client = _client_from_signup(signup)
    signup.state = SignupRequest.State.APPROVED
    signup.decided_at = timezone.now()
    signup.decided_by = by
    signup.save(update_fields=["state", "client", "decided_at", "decided_by"])
    return client


@transaction.atomic
def signup_reject(*, signup: SignupRequest, by=None) -> bool:
    """Refuse a request; its contact details are blanked, as nothing justifies keeping them."""
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

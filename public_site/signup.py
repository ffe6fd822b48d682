"""Starting a sign-up from the public page: record the request (``clients.signup``), then deliver its link and
code through the provider (``notifications.signup_delivery``) once the request is committed.

The confirmation goes to the addresses the visitor typed. Whether confirming one of them proves control of a
client on file is for ``clients.signup`` to decide; the visitor is told the same thing in every case.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from clients.models import Channel, SignupRequest
from clients.signup import SignupStarted, signup_start
from notifications import signup_delivery

logger = logging.getLogger(__name__)


def signup_request(
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
    """Store the request and send its confirmations after commit; raises ``clients.signup.SignupThrottled``."""
    with transaction.atomic():
        started = signup_start(
            account_ref=account_ref,
            name=name,
            email=email,
            phone=phone,
            language=language,
            uses_sms_service=uses_sms_service,
            uses_email_service=uses_email_service,
            ip=ip,
        )
        transaction.on_commit(lambda: confirmations_send(started))
    return started.signup


def confirmations_send(started: SignupStarted) -> None:
    """The email with the link and the SMS with the code, in the visitor's language."""
    signup = started.signup
    reference = f"signup-{signup.public_id}"
    with translation.override(signup.language):
        if started.token:
            url = settings.PORTAL_BASE_URL + reverse("public:signup_confirm", args=[started.token])
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
        if started.code:
            text = _("Your outage notices confirmation code is %(code)s. It works for 24 hours.") % {
                "code": started.code
            }
            _deliver(channel=Channel.SMS, destination=signup.phone, subject="", text=text, html="", reference=reference)


def _deliver(*, channel: str, destination: str, subject: str, text: str, html: str, reference: str) -> None:
    try:
        signup_delivery.deliver(
            channel=channel, destination=destination, subject=subject, text=text, html=html, reference=reference
        )
    except Exception:  # any failure: the visitor sees the same page and may try again after the throttle window
        logger.exception("Sign-up confirmation could not be sent (channel=%s, reference=%s)", channel, reference)

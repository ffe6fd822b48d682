"""Telling people by email: approvers when a notice waits for them or went out as an emergency, authors when their
notice was declined. Sent with Django's ``send_mail`` (``EMAIL_BACKEND``: files in var/mail on a laptop, SMTP in
production), one message per person, once the transaction commits, so a rolled-back change tells nobody. A mail that cannot be sent is
logged and never undoes the change: the dashboard lists what waits either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services.rules import APPROVE

logger = logging.getLogger(__name__)


def portal_url(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


def notice_url(campaign: Campaign) -> str:
    """The notice's page in the portal, as an absolute address (commands, emails, the API)."""
    return portal_url(reverse("campaigns:detail", args=[campaign.pk]))


def approval_url(campaign: Campaign) -> str:
    """Where an approver reads the notice as recipients will, and approves or declines it."""
    return portal_url(reverse("campaigns:wizard", args=[campaign.pk, "preview"]))


def approvers() -> list[User]:
    """Active users allowed to approve, with an email address (groups, own permissions or superuser)."""
    users = User.objects.with_perm(APPROVE, is_active=True).exclude(email="").order_by("pk")
    return list(users)


def _send(subject: str, body: str, recipients: list[str]) -> None:
    """One message per person over one connection: nobody learns who else was told."""
    try:
        send_mass_mail([(subject, body, None, [recipient]) for recipient in recipients], fail_silently=False)
    except Exception:  # a mail server down must not break the notice
        logger.exception("Could not email %d person(s) about a notice", len(recipients))


def tell(users: Iterable[User], subject: str, body: str) -> int:
    """Email ``users`` (those with an address) after the transaction commits; returns how many will be told."""
    recipients = sorted({user.email for user in users if user.email})
    if recipients:
        transaction.on_commit(partial(_send, subject[:200], body, recipients))
    return len(recipients)


def approvers_tell_waiting(campaign: Campaign, why: str, asked_by: User | None) -> int:
    who = asked_by.get_username() if asked_by else "the portal"
    body = (
        f"“{campaign.title}” waits for approval, asked by {who}.\n\n{why}\n\n"
        f"Read it as recipients will, then approve or decline it (with a reason):\n{approval_url(campaign)}\n"
    )
    return tell(approvers(), f"[Outage Portal] Approval needed: {campaign.title}", body)


def approvers_tell_emergency(campaign: Campaign, sender: User | None, reason: str, recipients: int) -> int:
    who = sender.get_username() if sender else "the portal"
    body = (
        f"{who} sent “{campaign.title}” to {recipients} recipients as an emergency, without approval.\n\n"
        f"Reason given: {reason}\n\nThe notice: {notice_url(campaign)}\n"
    )
    return tell(approvers(), f"[Outage Portal] Emergency send: {campaign.title}", body)


def author_tell_declined(campaign: Campaign, approver: User, reason: str) -> int:
    people = [user for user in (campaign.created_by, campaign.sent_by) if user is not None]
    body = (
        f"{approver.get_username()} declined “{campaign.title}”.\n\nReason: {reason}\n\n"
        f"The draft is back with you: {portal_url(reverse('campaigns:wizard', args=[campaign.pk, 'preview']))}\n"
    )
    return tell(people, f"[Outage Portal] Declined: {campaign.title}", body)

"""Who may do what to a notice: the rules every service checks, whichever page, command or API calls it.

- Only a notice's author edits its draft, or someone with ``edit_others_drafts``. A draft a machine opened (API,
  alert, command line without a portal user) belongs to the first person who changes it.
- The approver is a second person: neither its author, nor whoever confirmed it, nor anyone who edited it.
- ``actor=None`` is the system acting (an API token, an alert route, the scheduler, the command line without a
  portal user); the interface that calls with it has checked its own credentials.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

from campaigns.models import Campaign, CampaignEvent
from campaigns.services.audit import AUTHORING_ACTIONS

Actor = AbstractBaseUser | AnonymousUser | None

ADD = "campaigns.add_campaign"
SEND = "campaigns.send_campaign"
TEST_SEND = "campaigns.test_send_campaign"
APPROVE = "campaigns.approve_campaign"
EMERGENCY = "campaigns.emergency_send_campaign"
EDIT_OTHERS = "campaigns.edit_others_drafts"


class NotAllowed(PermissionDenied):
    """This person may not do this; the message says why, for the page (403) or the command to show."""


def person(actor: Actor) -> User | None:
    """The portal user behind an actor, or None for the system."""
    return actor if isinstance(actor, User) else None


def may(actor: Actor, perm: str) -> bool:
    """The system may; a person needs ``perm``; an anonymous visitor never may."""
    if actor is None:
        return True
    user = person(actor)
    return user is not None and user.is_active and user.has_perm(perm)


def require(actor: Actor, perm: str, doing: str) -> None:
    if not may(actor, perm):
        raise NotAllowed(f"You do not have the permission to {doing}.")


def editor_ids(campaign: Campaign) -> set[int]:
    """Everyone who changed the notice's content, audience or schedule (from the audit trail)."""
    actors = CampaignEvent.objects.filter(campaign=campaign, action__in=AUTHORING_ACTIONS, actor__isnull=False)
    return set(actors.values_list("actor_id", flat=True))


def edit_problem(campaign: Campaign, actor: Actor) -> str:
    """Why ``actor`` may not edit this draft ('' when they may)."""
    if actor is None:
        return ""
    user = person(actor)
    if user is None or not (user.has_perm(ADD) and user.is_active):
        return "You do not have the permission to prepare notices."
    if campaign.created_by_id in (None, user.pk) or user.has_perm(EDIT_OTHERS):
        return ""
    author = campaign.created_by.get_username() if campaign.created_by else "someone else"
    return (
        f"This draft is {author}'s: only its author, or someone allowed to edit others' drafts (Incident leads), "
        "may change it. Ask them, or an incident lead."
    )


def require_editor(campaign: Campaign, actor: Actor) -> None:
    problem = edit_problem(campaign, actor)
    if problem:
        raise NotAllowed(problem)


def approval_problem(campaign: Campaign, actor: Actor) -> str:
    """Why ``actor`` may not approve (or decline) this notice ('' when they may)."""
    user = person(actor)
    if user is None or not may(user, APPROVE):
        return "You do not have the permission to approve notices."
    if user.pk in (campaign.created_by_id, campaign.sent_by_id):
        return "You prepared this notice; another person must approve it."
    if user.pk in editor_ids(campaign):
        return "You edited this notice; a person who neither wrote nor edited it must approve it."
    return ""

"""Saving an audience as a segment: what the outage form's "Save as segment" calls.

The definition is checked as any other (``clients.audience``) and stored without the one-off list of clients an
uploaded CSV matched (a segment is a rule to reuse, not a list). Only people who may add segments (Admins) may,
whatever page asks.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

from clients.audience_values import json_storable
from clients.models import Segment
from clients.selectors import AudienceError, audience_validate

SAVED_KEYS = ("builtin", "buckets", "segment", "match", "conditions")
NAME_LIMIT = 100


class SegmentNotSaved(ValueError):
    """The segment cannot be saved as asked; the message says why, for the page to show."""


def segment_save_from_conditions(
    *, actor: AbstractBaseUser | AnonymousUser, name: str, definition: dict[str, Any], description: str = ""
) -> Segment:
    """Save the audience an author built (sources and conditions) as a new segment named ``name``."""
    if not (isinstance(actor, User) and actor.is_active and actor.has_perm("clients.add_segment")):
        raise PermissionDenied("Saving a segment needs the permission to add segments.")
    name = (name or "").strip()
    if not name or len(name) > NAME_LIMIT:
        raise SegmentNotSaved(f"Give the segment a name of at most {NAME_LIMIT} characters.")
    if Segment.objects.filter(name__iexact=name).exists():
        raise SegmentNotSaved(f"A segment is already called “{name}”; choose another name.")
    saved = {key: definition[key] for key in SAVED_KEYS if definition.get(key)}
    if not any(saved.get(key) for key in ("builtin", "buckets", "segment", "conditions")):
        raise SegmentNotSaved(
            "There is nothing to save: choose clients of a service, buckets, a segment or conditions."
        )
    if not json_storable(saved):
        raise SegmentNotSaved("A value holds a character that cannot be stored.")
    try:
        audience_validate(saved)
    except AudienceError as error:
        raise SegmentNotSaved(str(error)) from None
    return Segment.objects.create(name=name, description=description[:1000], definition=saved)

"""Masking of phone numbers and email addresses, so logs and error texts never carry a full destination."""

from __future__ import annotations

import re

_STARS = "******"
_PHONE_RUN = re.compile(r"(?<![\w.:-])\+?\d[\d ]{5,}\d(?![\w.])")  # not inside ids, UUIDs, decimals or times
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def mask_destination(destination: str) -> str:
    """``+33612345678`` → ``+33******78``, ``john@example.com`` → ``j***@example.com``.

    The number of stars is fixed so the mask does not reveal the length either.
    """
    value = (destination or "").strip()
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    digits = value.lstrip("+")
    if len(digits) < 6:
        return _STARS
    prefix = "+" if value.startswith("+") else ""
    return f"{prefix}{digits[:2]}{_STARS}{digits[-2:]}"


def mask_text(text: str) -> str:
    """Mask every phone-number-like run of digits and every email address found in a free text."""
    if not text:
        return text
    text = _EMAIL.sub(lambda match: mask_destination(match.group(0)), text)
    return _PHONE_RUN.sub(lambda match: mask_destination(match.group(0).replace(" ", "")), text)


def mask_for_people(destination: str) -> str:
    """A destination as staff without the right to see it read it on a page or in a CSV: '+33••••••78'."""
    return mask_destination(destination).replace("*", "•") if destination else ""

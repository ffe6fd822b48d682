"""Fast, exact validity check for numbers already written in E.164, for imports of 100,000 rows.

``phonenumbers.is_valid_number`` tries up to eleven number types one regex at a time. This module asks the same
question of the same metadata with one combined regex per country code and number length, cached, which is
several times faster and gives the same answer (tests compare both on many numbers). Country codes shared by
several regions (+1, +7, …) are left to ``phonenumbers``.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberDesc

NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _accepts(desc: PhoneNumberDesc | None, length: int) -> bool:
    return bool(
        desc is not None
        and desc.national_number_pattern
        and (not desc.possible_length or length in desc.possible_length)
    )


@functools.cache
def _metadata(country_code: int) -> PhoneMetadata | None:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions or len(regions) != 1 or regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        return None
    return PhoneMetadata.metadata_for_region(regions[0])


@functools.cache
def _pattern(country_code: int, length: int) -> re.Pattern | None:
    metadata = _metadata(country_code)
    general = None if metadata is None else metadata.general_desc
    if metadata is None or general is None or not _accepts(general, length):
        return None
    alternatives = [
        f"(?:{desc.national_number_pattern})"
        for desc in (getattr(metadata, name) for name in NUMBER_TYPES)
        if _accepts(desc, length)
    ]
    if not alternatives:
        return None
    return re.compile(f"(?=(?:{general.national_number_pattern})$)(?:{'|'.join(alternatives)})")


def is_valid(number: phonenumbers.PhoneNumber) -> bool:
    """Same answer as ``phonenumbers.is_valid_number`` for a number without an Italian leading zero."""
    if _metadata(number.country_code) is None or number.italian_leading_zero:
        return phonenumbers.is_valid_number(number)
    national = str(number.national_number)
    pattern = _pattern(number.country_code, len(national))
    return bool(pattern is not None and pattern.fullmatch(national))


@functools.cache
def _national_prefix(region: str) -> tuple[int, str] | None:
    """(country code, national prefix) for regions whose prefix is a plain digit string ("0" in France)."""
    metadata = PhoneMetadata.metadata_for_region(region.upper())
    if metadata is None or metadata.country_code is None or metadata.national_prefix_transform_rule:
        return None
    prefix = metadata.national_prefix or ""
    if not prefix.isdigit() or metadata.national_prefix_for_parsing not in (None, prefix):
        return None
    return metadata.country_code, prefix


def national_to_e164(compact: str, region: str) -> str | None:
    """``0612345678`` in FR → ``+33612345678`` when that is a valid number; ``None`` means "ask phonenumbers"."""
    found = _national_prefix(region)
    if found is None:
        return None
    country_code, prefix = found
    national = compact[len(prefix) :]
    if not compact.startswith(prefix) or not national.isdigit() or national.startswith("0") or len(national) < 4:
        return None
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    return f"+{country_code}{national}" if is_valid(number) else None

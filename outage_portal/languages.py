"""The portal's languages are configuration, not code: ``PORTAL_LANGUAGES`` may list any language Django knows.

Each code becomes a ``(code, name)`` pair for ``settings.LANGUAGES`` with the language's own name (``es`` →
"español"). English is always present: it is the language every text is written in, and the one a customer reads
where no translation exists.
"""

from __future__ import annotations

from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured


def language_name(code: str) -> str:
    """The language's name in itself ("Français", "español"), or the code for an unnamed variant."""
    info = LANG_INFO.get(code) or LANG_INFO.get(code.split("-")[0]) or {}
    if "fallback" in info:
        info = LANG_INFO.get(info["fallback"][0], {})
    name = str(info.get("name_local") or code)
    return name[:1].upper() + name[1:]


def portal_languages(codes: list[str]) -> list[tuple[str, str]]:
    """``settings.LANGUAGES`` from the configured codes, English first; an unknown code stops the start-up."""
    seen: list[str] = []
    for raw in codes:
        code = raw.strip().lower().replace("_", "-")
        if not code or code in seen:
            continue
        if code not in LANG_INFO and code.split("-")[0] not in LANG_INFO:
            raise ImproperlyConfigured(
                f"PORTAL_LANGUAGES: {raw!r} is not a language code Django knows (e.g. en, fr, de, es, pt-br)."
            )
        seen.append(code)
    if "en" in seen:
        seen.remove("en")
    return [("en", "English"), *((code, language_name(code)) for code in seen)]

"""Opt-out and opt-in keywords per language: one table, honoured for every language the portal is configured with.

Languages are configuration (``PORTAL_LANGUAGES``, ``outage_portal/languages.py``); the words customers type to
leave are data here, keyed by the same codes. English is always honoured (carriers and customers everywhere use
STOP); a configured language without an entry adds nothing. A keyword is the whole message, compared without case,
spaces, punctuation or accents ("Arrêt." is ARRET), so a sentence that contains "stop" never opts anyone out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

# language: (opt-out words, opt-in words). Add a language by adding a row; its code must be a PORTAL_LANGUAGES one.
KEYWORDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "en": (frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}), frozenset({"START"})),
    "fr": (frozenset({"ARRET", "ARRETER", "DESABONNER", "DESINSCRIRE"}), frozenset({"DEMARRER", "REPRENDRE"})),
    "de": (frozenset({"STOPP", "ABMELDEN", "ABBESTELLEN", "ENDE"}), frozenset({"ANMELDEN"})),
    "es": (frozenset({"BAJA", "PARAR", "CANCELAR"}), frozenset({"ALTA"})),
    "pt": (frozenset({"PARAR", "SAIR", "CANCELAR"}), frozenset({"VOLTAR"})),
    "it": (frozenset({"ANNULLA", "DISATTIVA"}), frozenset({"ATTIVA"})),
    "nl": (frozenset({"AFMELDEN", "UITSCHRIJVEN"}), frozenset({"AANMELDEN"})),
}
_NOT_LETTERS = re.compile(r"[^A-Z]")


@dataclass(frozen=True)
class Keyword:
    action: str  # "stop" or "start"
    language: str  # the language whose word it is ("en" for STOP)


def compact(text: str) -> str:
    """Upper-case ASCII letters only: accents dropped, spaces and punctuation removed ("Arrêt." → "ARRET")."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return _NOT_LETTERS.sub("", plain.upper())


def configured_languages() -> list[str]:
    """English, then the configured languages, base codes included ("pt-br" also honours "pt")."""
    codes = ["en"]
    for code, _name in settings.LANGUAGES:
        for candidate in (code, code.split("-")[0]):
            if candidate not in codes:
                codes.append(candidate)
    return codes


def keyword_of(text: str) -> Keyword | None:
    """The keyword a whole message is, in the first configured language that has it, or None."""
    word = compact(text)
    if not word or len(word) > 20:
        return None
    for language in configured_languages():
        stop, start = KEYWORDS.get(language, (frozenset(), frozenset()))
        if word in stop:
            return Keyword("stop", language)
        if word in start:
            return Keyword("start", language)
    return None

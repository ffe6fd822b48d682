"""A draft notice's update on its incident's public page, as the outage form's preview shows it (docs/public.md).

The standard sentences live here so the public pages (public_site) and the staff preview say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy, override

from campaigns.models import Campaign, Incident, PublicState
from campaigns.services.publishing import clean_texts, notice_public_state

# What a state means, for an update published without a text of its own.
STATE_SENTENCES = {
    PublicState.INVESTIGATING: gettext_lazy("We are investigating a problem affecting %(services)s."),
    PublicState.IDENTIFIED: gettext_lazy("We have found the cause and are working on a fix."),
    PublicState.MONITORING: gettext_lazy("A fix is in place and we are watching that everything works again."),
    PublicState.RESOLVED: gettext_lazy("This incident is resolved. Thank you for your patience."),
    PublicState.SCHEDULED: gettext_lazy("Maintenance is planned on %(services)s."),
    PublicState.IN_PROGRESS: gettext_lazy("The maintenance is under way."),
    PublicState.COMPLETED: gettext_lazy("The maintenance is complete."),
}


def services_text(incident: Incident) -> str:
    """The affected services as a sentence reads them, in the active language."""
    return ", ".join(gettext(name) for name in incident.services) or gettext("some of our services")


def state_sentence(state: str, incident: Incident) -> str:
    """The standard sentence of ``state`` in the active language."""
    return str(STATE_SENTENCES[PublicState(state)]) % {"services": services_text(incident)}


@dataclass(frozen=True)
class PublicUpdateText:
    language: str
    language_name: str
    text: str
    standard: bool  # no public text written at all: readers see the state's standard sentence
    borrowed_from: str  # the language name of the text shown, when none was written in this one ("" otherwise)


@dataclass(frozen=True)
class NoticePublicPreview:
    publishes: bool  # False: the incident's page is off, the notice publishes nothing
    state: str
    state_label: str
    texts: list[PublicUpdateText]


def notice_public_preview(campaign: Campaign) -> NoticePublicPreview:
    """What the notice adds to the public page when it goes out: its state, and its text per language the message
    is written in (the written text, the portal's language's text, else the state's standard sentence)."""
    state = notice_public_state(campaign)
    texts = clean_texts(campaign.public_text)
    names = dict(settings.LANGUAGES)
    languages = [code for code in names if code in campaign.content or code in texts] or [settings.LANGUAGE_CODE]
    shown = []
    for language in languages:
        with override(language):
            candidates = (language, settings.LANGUAGE_CODE, *sorted(texts))
            source = next((code for code in candidates if texts.get(code)), "")
            shown.append(
                PublicUpdateText(
                    language=language,
                    language_name=str(names.get(language, language)),
                    text=texts[source] if source else state_sentence(state, campaign.incident),
                    standard=not source,
                    borrowed_from=str(names.get(source, source)) if source and source != language else "",
                )
            )
    return NoticePublicPreview(
        publishes=campaign.incident.is_public,
        state=state,
        state_label=str(PublicState(state).label),
        texts=shown,
    )

"""The demo's message templates: an outage, a planned maintenance, an update and a resolution, in English, French and
German. Each is the only one of its kind, so each is its kind's default text (campaigns/services/templates.py).

Placeholders come from ``notifications.rendering.VARIABLES``. SMS texts stay within GSM-7 (one or two parts, with the
short link counted at its real length). Every email, and the outage, maintenance and update SMS, carry
``{{ incident_link }}``, the short link to the incident's public page; what each publishes there is PUBLIC_TEXTS.
"""

from __future__ import annotations

HTML = """<p>{greeting} {{{{ client_name }}}},</p>
<p>{body}</p>
<p><a href="{{{{ incident_link }}}}">{status}</a></p>
<p style="font-size:12px;color:#666">{footer} <a href="{{{{ unsubscribe_url }}}}">{unsubscribe}</a> ·
<a href="{{{{ preferences_url }}}}">{preferences}</a></p>
"""

TEXT = """{greeting} {{{{ client_name }}}},

{body}

{status}: {{{{ incident_link }}}}

{footer}
{unsubscribe}: {{{{ unsubscribe_url }}}}
{preferences}: {{{{ preferences_url }}}}
"""

FOOTER = {
    "en": {
        "greeting": "Hello",
        "status": "Follow the incident",
        "footer": "You receive this notice as a customer.",
        "unsubscribe": "Unsubscribe",
        "preferences": "Choose which notices you receive",
    },
    "fr": {
        "greeting": "Bonjour",
        "status": "Suivre l'incident",
        "footer": "Vous recevez cet avis en tant que client.",
        "unsubscribe": "Se désabonner",
        "preferences": "Choisir les avis que vous recevez",
    },
    "de": {
        "greeting": "Guten Tag",
        "status": "Störung verfolgen",
        "footer": "Sie erhalten diese Nachricht als Kunde.",
        "unsubscribe": "Abmelden",
        "preferences": "Benachrichtigungen auswählen",
    },
}

TEMPLATES: list[dict] = [
    {
        "name": "Outage: service down",
        "kind": "outage",
        "description": "First notice of an unplanned outage, with the expected resolution.",
        "sms_stop_line": True,
        "versions": {
            "en": {
                # One SMS part with the STOP line and a 36-character link: the details are on the public page.
                "sms": "{{ service }} outage since {{ started_at }}. We are working on it. Updates: {{ incident_link }}",
                "subject": "Outage: {{ service }} unavailable",
                "body": "{{ service }} has been unavailable since {{ started_at }}. Our engineers are working on it "
                "and expect to restore it by {{ expected_resolution }}. We will write again when it is "
                "fixed.",
            },
            "fr": {
                "sms": "Panne {{ service }} depuis {{ started_at }}. Réparation en cours : {{ incident_link }}",
                "subject": "Panne : {{ service }} indisponible",
                "body": "{{ service }} est indisponible depuis {{ started_at }}. Nos équipes travaillent au "
                "rétablissement, prévu pour {{ expected_resolution }}. Nous vous écrirons dès que le service "
                "sera rétabli.",
            },
            "de": {
                "sms": "Störung {{ service }} seit {{ started_at }}. Wir arbeiten daran. Infos: {{ incident_link }}",
                "subject": "Störung: {{ service }} nicht verfügbar",
                "body": "{{ service }} ist seit {{ started_at }} nicht verfügbar. Unser Team arbeitet an der Behebung, "
                "voraussichtlich bis {{ expected_resolution }}. Wir melden uns, sobald alles wieder läuft.",
            },
        },
    },
    {
        "name": "Planned maintenance",
        "kind": "maintenance",
        "description": "Advance notice of planned work.",
        "sms_stop_line": False,
        "versions": {
            "en": {
                "sms": "{{ client_name }}: planned maintenance on {{ service }} from {{ started_at }} until "
                "{{ expected_resolution }}. Short interruptions possible. {{ incident_link }}",
                "subject": "Planned maintenance on {{ service }}",
                "body": "We will carry out maintenance on {{ service }} from {{ started_at }} until "
                "{{ expected_resolution }}. The service may be briefly interrupted during this window.",
            },
            "fr": {
                "sms": "{{ client_name }} : maintenance prévue sur {{ service }} de {{ started_at }} à "
                "{{ expected_resolution }}. Coupures brèves possibles. {{ incident_link }}",
                "subject": "Maintenance programmée sur {{ service }}",
                "body": "Une maintenance aura lieu sur {{ service }} de {{ started_at }} à {{ expected_resolution }}. "
                "Le service pourra être brièvement interrompu pendant cette période.",
            },
            "de": {
                "sms": "{{ client_name }}: Wartung an {{ service }} von {{ started_at }} bis "
                "{{ expected_resolution }}. Kurze Unterbrechungen möglich. {{ incident_link }}",
                "subject": "Geplante Wartung an {{ service }}",
                "body": "Von {{ started_at }} bis {{ expected_resolution }} warten wir {{ service }}. In diesem "
                "Zeitraum kann der Dienst kurz unterbrochen sein.",
            },
        },
    },
    {
        "name": "Incident update",
        "kind": "update",
        "description": "News while the incident lasts: still working on it, the new expected time.",
        "sms_stop_line": False,
        "versions": {
            "en": {
                "sms": "{{ client_name }}: update on {{ service }}. Our teams are still on it; now expected "
                "{{ expected_resolution }}. {{ incident_link }}",
                "subject": "Update: {{ service }}",
                "body": "Our engineers are still working on {{ service }}. We now expect to restore it by "
                "{{ expected_resolution }}. We will write again when it is fixed.",
            },
            "fr": {
                "sms": "{{ client_name }} : point sur {{ service }}. Nos équipes sont toujours mobilisées, retour "
                "prévu {{ expected_resolution }}. {{ incident_link }}",
                "subject": "Point d'étape : {{ service }}",
                "body": "Nos équipes travaillent toujours sur {{ service }}. Le retour est désormais prévu pour "
                "{{ expected_resolution }}. Nous vous écrirons dès que le service sera rétabli.",
            },
            "de": {
                "sms": "{{ client_name }}: Neues zu {{ service }}. Wir arbeiten weiter daran, voraussichtlich "
                "behoben {{ expected_resolution }}. {{ incident_link }}",
                "subject": "Neuigkeiten: {{ service }}",
                "body": "Unser Team arbeitet weiter an {{ service }}, voraussichtlich behoben bis "
                "{{ expected_resolution }}. Wir melden uns, sobald alles wieder läuft.",
            },
        },
    },
    {
        "name": "Service restored",
        "kind": "resolved",
        "description": "The incident is over.",
        "sms_stop_line": False,
        "versions": {
            "en": {
                "sms": "{{ client_name }}: {{ service }} is working again. Thank you for your patience.",
                "subject": "Resolved: {{ service }} is back",
                "body": 'The incident "{{ incident_title }}" is resolved and {{ service }} works normally again. '
                "Thank you for your patience.",
            },
            "fr": {
                "sms": "{{ client_name }} : {{ service }} fonctionne à nouveau. Merci de votre patience.",
                "subject": "Résolu : {{ service }} est rétabli",
                "body": "L'incident « {{ incident_title }} » est résolu et {{ service }} fonctionne normalement. "
                "Merci de votre patience.",
            },
            "de": {
                "sms": "{{ client_name }}: {{ service }} funktioniert wieder. Danke für Ihre Geduld.",
                "subject": "Behoben: {{ service }} läuft wieder",
                "body": "Die Störung „{{ incident_title }}“ ist behoben, {{ service }} läuft wieder normal. "
                "Danke für Ihre Geduld.",
            },
        },
    },
]


# What each template publishes on the incident's public page: plain words, no placeholders (the page is the same for
# every reader; the page itself shows the services, times and state).
PUBLIC_TEXTS: dict[str, dict[str, str]] = {
    "Outage: service down": {
        "en": "The service is unavailable for some of our customers. Our engineers are working on it; we will post an update here as soon as we know more, and when it is fixed. You do not need to do anything.",
        "fr": "Le service est indisponible pour une partie de nos clients. Nos équipes travaillent au rétablissement ; nous publierons ici un point dès que nous en saurons plus, puis quand il sera rétabli. Vous n'avez rien à faire.",
        "de": "Der Dienst ist für einen Teil unserer Kunden nicht verfügbar. Unser Team arbeitet an der Behebung; wir berichten hier, sobald wir mehr wissen, und wenn alles wieder läuft. Sie müssen nichts tun.",
    },
    "Planned maintenance": {
        "en": "We will carry out planned maintenance in the window shown on this page. The service may be briefly interrupted; nothing to do on your side.",
        "fr": "Une maintenance est prévue pendant la période indiquée sur cette page. Le service pourra être brièvement interrompu ; vous n'avez rien à faire.",
        "de": "Im auf dieser Seite genannten Zeitraum führen wir eine geplante Wartung durch. Der Dienst kann kurz unterbrochen sein; Sie müssen nichts tun.",
    },
    "Incident update": {
        "en": "Our engineers are still working on the problem. The expected resolution time is shown on this page; we will post again when it is fixed.",
        "fr": "Nos équipes travaillent toujours sur le problème. L'heure de retour prévue figure sur cette page ; nous publierons un nouveau point dès le rétablissement.",
        "de": "Unser Team arbeitet weiter an dem Problem. Die voraussichtliche Behebung steht auf dieser Seite; wir melden uns hier wieder, sobald alles läuft.",
    },
    "Service restored": {
        "en": "The service works normally again. Thank you for your patience.",
        "fr": "Le service fonctionne à nouveau normalement. Merci de votre patience.",
        "de": "Der Dienst läuft wieder normal. Danke für Ihre Geduld.",
    },
}


def version_fields(language: str, text: dict, template: str = "") -> dict[str, str]:
    """The TemplateVersion fields for one language of the template named ``template``."""
    words = {**FOOTER[language], "body": text["body"]}
    return {
        "public_text": PUBLIC_TEXTS.get(template, {}).get(language, ""),
        "sms_text": text["sms"],
        "email_subject": text["subject"],
        "email_text": TEXT.format(**words),
        "email_html": HTML.format(**words),
    }

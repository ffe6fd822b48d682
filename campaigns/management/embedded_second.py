"""``make run`` with a second provider: the bundled sandbox plays Twilio and Postmark too (docs/providers.md).

Naming ``SMS_SECONDARY_PROVIDER=twilio`` or ``EMAIL_SECONDARY_PROVIDER=postmark`` is enough on a laptop: their API
addresses and credentials default to the one sandbox process (which serves both APIs beside Infobip's), its
Postmark-like webhooks come back to the portal, and its faults hit the Infobip endpoints only, so breaking the
primary (``POST /_sandbox/config {"fail_from_message": 1}``) shows the switch to the secondary and back.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from django.conf import settings


def second_providers(
    env: Mapping[str, str], options: MutableMapping[str, Any], *, sandbox_url: str, portal_url: str
) -> dict[str, str]:
    """Environment defaults for the named secondaries; the sandbox's extra arguments go in ``options["extra"]``."""
    updates: dict[str, str] = {}
    key = str(env.get("INFOBIP_API_KEY") or settings.INFOBIP_API_KEY)
    if env.get("SMS_SECONDARY_PROVIDER") == "twilio":
        defaults = {
            "TWILIO_BASE_URL": sandbox_url,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": key,
            "TWILIO_FROM": "+15005550006",
        }
        updates.update({name: value for name, value in defaults.items() if not env.get(name)})
    args = ["--no-second-faults"]
    if env.get("EMAIL_SECONDARY_PROVIDER") == "postmark":
        defaults = {"POSTMARK_API_URL": sandbox_url + "/", "POSTMARK_SERVER_TOKEN": key}
        updates.update({name: value for name, value in defaults.items() if not env.get(name)})
        secret = (list(settings.INFOBIP_WEBHOOK_SECRETS) or [""])[0]
        hook = portal_url.replace("://", f"://postmark:{secret}@", 1) + "/webhooks/postmark/events/"
        args += ["--postmark-webhook-url", hook]
    options["extra"] = args
    return updates

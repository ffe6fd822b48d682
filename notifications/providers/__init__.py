"""The providers in use: the primary, named by ``settings.NOTIFICATIONS_PROVIDER`` (a dotted path, as
``EMAIL_BACKEND``), a channel's own provider where its module names one (push: ``ChannelSpec.provider_path``), and
per channel an optional secondary (``SMS_SECONDARY_PROVIDER``, ``EMAIL_SECONDARY_PROVIDER``:
a name in ``SECONDARIES``) that the circuit breaker switches to (``services/breaker.py``, docs/providers.md)."""

from __future__ import annotations

import os
import threading

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.providers.base import BaseProvider

_providers: dict[tuple[str, int], BaseProvider] = {}
#: Second providers by the name ``Message.provider`` records, with the channel each may carry.
SECONDARIES = {
    "twilio": ("sms", "notifications.providers.twilio.TwilioProvider"),
    "postmark": ("email", "notifications.providers.anymail_email.AnymailEmailProvider"),
}
_lock = threading.Lock()


def get_provider(path: str | None = None) -> BaseProvider:
    """One instance per process and dotted path, so its pooled connections are reused across batches.

    Keyed by pid too: a Celery prefork child gets its own instance instead of the parent's sockets.
    """
    key = (path or str(settings.NOTIFICATIONS_PROVIDER), os.getpid())
    provider = _providers.get(key)
    if provider is None:
        with _lock:
            provider = _providers.get(key)
            if provider is None:
                provider = import_string(key[0])()
                if not isinstance(provider, BaseProvider):
                    raise TypeError(f"{key[0]} is not a notifications provider")
                _providers[key] = provider
    return provider


def channel_provider(channel: str) -> BaseProvider:
    """The provider that carries ``channel``: its module's own (push), else ``NOTIFICATIONS_PROVIDER``."""
    from notifications.channels import CHANNELS  # the channel modules import providers.base: no cycle at load time

    spec = CHANNELS.get(channel)
    return get_provider(spec.provider_path if spec is not None and spec.provider_path else None)


def secondary_provider(channel: str) -> BaseProvider | None:
    """The channel's second provider when one is configured for it, else None (the default: no failover)."""
    name = str(getattr(settings, f"{channel.upper()}_SECONDARY_PROVIDER", "") or "")
    entry = SECONDARIES.get(name)
    if entry is None or entry[0] != channel:
        return None
    return get_provider(entry[1])


def provider_named(name: str, *, default: BaseProvider | None = None) -> BaseProvider:
    """The provider a message row names (``Message.provider``): a secondary by its name, else the primary."""
    entry = SECONDARIES.get(name)
    if entry is not None:
        return get_provider(entry[1])
    return default or get_provider()


def reset_providers() -> None:
    """Close and forget this process's providers (tests that swap the setting)."""
    with _lock:
        pid = os.getpid()
        for (_, owner), provider in list(_providers.items()):
            if owner == pid:
                provider.close()
        _providers.clear()

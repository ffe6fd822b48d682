"""The provider in use, named by ``settings.NOTIFICATIONS_PROVIDER`` (a dotted path, as ``EMAIL_BACKEND``), and a
channel's own provider where its module names one (push: ``ChannelSpec.provider_path``)."""

from __future__ import annotations

import os
import threading

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.providers.base import BaseProvider

_providers: dict[tuple[str, int], BaseProvider] = {}
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


def reset_providers() -> None:
    """Close and forget this process's providers (tests that swap the setting)."""
    with _lock:
        pid = os.getpid()
        for (_, owner), provider in list(_providers.items()):
            if owner == pid:
                provider.close()
        _providers.clear()

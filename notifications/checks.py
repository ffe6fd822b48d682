"""Configuration checks of the dispatch engine, run by ``manage.py check`` (and ``make check-deploy``).

Why: the fence (``services/fence.py``) sends a batch only while its lease has the longest request plus the margin
left. A lease shorter than that would give every batch back unsent, for ever; one that leaves no room for the waits
a batch may have after its claim (the batch ahead of it in the pipeline, the rate limit) gives batches back often.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def lease_outlasts_requests(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from notifications.channels import configured_channels
    from notifications.providers import channel_provider, get_provider
    from notifications.services.fence import request_budget

    # The slowest provider a configured channel uses (push has its own, with PUSH_TIMEOUT_*).
    providers = [get_provider(), *(channel_provider(channel) for channel in configured_channels())]
    provider = max(providers, key=lambda each: each.longest_request())
    lease = float(settings.DISPATCH_LEASE_SECONDS)
    budget = request_budget(provider)
    waits = provider.longest_request() + lease / 4  # the batch ahead's request, the longest rate-limit wait
    if lease <= budget:
        return [
            Error(
                f"DISPATCH_LEASE_SECONDS ({lease:g}) must be longer than the longest request plus "
                f"DISPATCH_REQUEST_MARGIN_SECONDS ({budget:g} s): no batch could ever be sent.",
                hint="Raise DISPATCH_LEASE_SECONDS, or lower the INFOBIP_TIMEOUT_* / PUSH_TIMEOUT_* timeouts.",
                id="notifications.E001",
            )
        ]
    if lease < budget + waits:
        return [
            Warning(
                f"DISPATCH_LEASE_SECONDS ({lease:g}) leaves {lease - budget:g} s for what a batch may wait after its "
                f"claim (up to {waits:g} s: the request ahead of it, the rate limit); a batch that waits longer is "
                "given back unsent and claimed again.",
                hint=f"A lease of at least {(budget + waits):g} s avoids it.",
                id="notifications.W001",
            )
        ]
    return []

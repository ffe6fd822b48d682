"""Clicks on short links: counted per link (one notice, channel and language), never who clicked.

With Redis as the cache (production, ``make bench``), a click is one atomic ``INCR`` and never a database write,
so a million readers opening their SMS within minutes cost the database nothing; ``clicks_flush`` (Celery beat,
every ``PUBLIC_CLICKS_FLUSH_SECONDS``) moves the counts into ``ShortLink.clicks``, and readers of the counts add what
is still waiting. Without Redis (a laptop's database cache) a click is a single ``UPDATE … SET clicks = clicks + 1``.
No cookie is set and no address, agent or time of a click is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import ShortLink
from campaigns.services.public_cache import raw_redis

# Links older than this are not looked at by the flush (nobody opens a months-old SMS link in numbers).
FLUSH_LINKS_FOR_DAYS = 90


def _key(link_id: int) -> str:
    return f"public:clicks:{link_id}"


def counts_in_cache() -> bool:
    """Clicks are counted in the cache only when it is shared and atomic across processes: Redis."""
    return isinstance(caches["default"], RedisCache)


def click_record(link_id: int) -> None:
    """Count one click on a link."""
    fast = raw_redis()
    if fast is not None:  # one INCR, which makes the key when it is missing (Django's incr first asks if it exists)
        client, backend = fast
        client.incr(backend.make_and_validate_key(_key(link_id)))
        return
    ShortLink.objects.filter(pk=link_id).update(clicks=F("clicks") + 1)


def clicks_pending(link_ids: Iterable[int]) -> dict[int, int]:
    """Clicks counted in the cache and not yet flushed, per link id."""
    if not counts_in_cache():
        return {}
    keys = {_key(link_id): link_id for link_id in link_ids}
    found = cache.get_many(list(keys)) if keys else {}
    return {keys[key]: int(value) for key, value in found.items() if value}


def clicks_flush() -> int:
    """Move the cache's counts into the database; returns how many clicks moved.

    Each count is taken out of the cache with an atomic ``DECR`` by what was read, so clicks arriving meanwhile stay
    for the next flush; if the database write fails the amount goes back.
    """
    if not counts_in_cache():
        return 0
    since = timezone.now() - timedelta(days=FLUSH_LINKS_FOR_DAYS)
    link_ids = list(ShortLink.objects.filter(created_at__gte=since).values_list("id", flat=True))
    moved = 0
    for link_id, count in clicks_pending(link_ids).items():
        cache.decr(_key(link_id), count)
        try:
            with transaction.atomic():
                ShortLink.objects.filter(pk=link_id).update(clicks=F("clicks") + count)
        except Exception:
            cache.incr(_key(link_id), count)
            raise
        moved += count
    return moved

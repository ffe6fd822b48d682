import pytest
from django.core.cache import cache

from notifications import signup_delivery
from tests.customers import outbox


@pytest.fixture(autouse=True)
def _fresh_cache_and_outbox(monkeypatch):
    """Throttle counters and captured confirmations start empty; confirmations are captured, not sent."""
    monkeypatch.setattr(signup_delivery, "deliver", outbox.deliver)
    cache.clear()
    outbox.sent.clear()
    yield
    outbox.sent.clear()

import pytest
from django.core.cache import cache

from tests.customers import outbox


@pytest.fixture(autouse=True)
def _fresh_cache_and_outbox(settings):
    """Throttle counters and captured confirmations start empty; confirmations are captured, not sent."""
    settings.SIGNUP_SENDER = "tests.customers.outbox.deliver"
    cache.clear()
    outbox.sent.clear()
    yield
    outbox.sent.clear()

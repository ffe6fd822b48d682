import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_confirmation_counters():
    """The confirmation limit counts in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import ClientFactory, UserFactory
from tests.public.helpers import forget_local_caches


@pytest.fixture(autouse=True)
def empty_caches():
    cache.clear()
    forget_local_caches()
    yield
    cache.clear()
    forget_local_caches()


@pytest.fixture
def ops(db):
    return UserFactory(username="olivia", groups=["Ops"])


@pytest.fixture
def audience(db):
    """The incident's audience: people whose names and addresses must never reach a public page."""
    return [
        ClientFactory(name="Zoé Marchetti", account="Boulangerie Marchetti", email="zoe.marchetti@example.org"),
        ClientFactory(name="Hannes Vogelsang", account="Vogelsang GmbH", language="de", email="hv@example.net"),
        ClientFactory(name="Amélie Durand-Quist", account="Quist SARL", language="fr", email="amelie@example.fr"),
    ]

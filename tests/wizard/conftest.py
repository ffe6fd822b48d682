"""Fixtures of the outage form's tests."""

import pytest
from django.core.cache import cache

from tests.factories import UserFactory, ensure_staff_groups


@pytest.fixture(autouse=True)
def staff_groups(request):
    """Transactional (browser) tests flush the database, groups included; put back the ones the migration makes.
    The cache goes too: a staff warning worked out for the previous test must not show in this one."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    ensure_staff_groups()
    cache.clear()


@pytest.fixture
def ops(client):
    """An Ops user, logged in on the test client: the person who drafts and sends notices."""
    user = UserFactory(username="ops", groups=["Ops"])
    client.force_login(user)
    return user

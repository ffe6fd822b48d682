"""Fixtures of the timing tests (validity, superseded notices, the frequency cap)."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def ops(client):
    """An Ops user, logged in on the test client."""
    user = UserFactory(username="ops", groups=["Ops"])
    client.force_login(user)
    return user

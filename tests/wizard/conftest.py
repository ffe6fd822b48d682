"""Fixtures of the outage form's tests."""

import importlib

import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def staff_groups(request):
    """Transactional (browser) tests flush the database, groups included; put back the ones the migration makes."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps
    from django.contrib.auth.models import Group

    migration = importlib.import_module("campaigns.migrations.0002_staff_groups")
    if Group.objects.filter(name__in=migration.GROUPS).count() < len(migration.GROUPS):
        migration.create_groups(apps, None)


@pytest.fixture
def ops(client):
    """An Ops user, logged in on the test client: the person who drafts and sends notices."""
    user = UserFactory(username="ops", groups=["Ops"])
    client.force_login(user)
    return user

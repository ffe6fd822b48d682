"""Factories shared by every test module (factory-boy); areas may add their own in tests/<area>/factories.py."""

from __future__ import annotations

import importlib

import factory
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User

from clients.models import Bucket, Client, Segment, TestRecipient


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.example.com")
    password = factory.django.Password("pass-Word-123")

    @factory.post_generation
    def groups(self, create: bool, extracted: list[str] | None, **kwargs) -> None:
        """UserFactory(groups=["Ops"]) puts the user in the staff groups made by the migration."""
        if create and extracted:
            ensure_staff_groups()
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))


STAFF_GROUP_MIGRATIONS = ("campaigns.migrations.0002_staff_groups", "campaigns.migrations.0005_incident_leads")


def ensure_staff_groups() -> None:
    """Transactional tests flush the database, groups included; put back the ones the migrations make."""
    for name in STAFF_GROUP_MIGRATIONS:
        migration = importlib.import_module(name)
        if Group.objects.filter(name__in=migration.GROUPS).count() < len(migration.GROUPS):
            migration.create_groups(django_apps, None)
    importlib.import_module("clients.migrations.0003_admin_privacy_and_signup_permissions").grant(django_apps, None)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    external_ref = factory.Sequence(lambda n: f"CUST-{n:06d}")
    name = factory.Faker("name")
    account = factory.Faker("company")
    email = factory.Sequence(lambda n: f"client{n}@customer.example.com")
    # The last digit is always 0: the sandbox makes numbers ending in 666 or 777 fail on purpose (docs/sandbox.md),
    # and a long session's sequence would otherwise reach them.
    phone = factory.Sequence(lambda n: f"+336{n:07d}0")
    language = "en"
    uses_sms_service = True
    uses_email_service = True
    region = "North"
    plan = "business"


class BucketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bucket

    name = factory.Sequence(lambda n: f"Bucket {n}")
    slug = factory.Sequence(lambda n: f"bucket-{n}")


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    definition = factory.LazyFunction(lambda: {"builtin": ["all_clients"]})


class TestRecipientFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = TestRecipient

    name = factory.Sequence(lambda n: f"Tester {n}")
    email = factory.Sequence(lambda n: f"tester{n}@staff.example.com")
    phone = factory.Sequence(lambda n: f"+339{n:07d}0")

"""seed_demo: a believable, deterministic demo data set that --once never loads twice."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from campaigns.management.commands.seed_demo import DEMO_LOGINS
from campaigns.models import MessageTemplate, TemplateVersion
from clients.models import Bucket, BucketMembership, Client, ConsentEvent, Segment, TestRecipient
from clients.selectors import audience_counts, audience_queryset
from notifications.rendering import compile_template

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    return list(
        Client.objects.order_by("external_ref").values_list(
            "external_ref",
            "name",
            "email",
            "phone",
            "language",
            "region",
            "plan",
            "uses_sms_service",
            "uses_email_service",
            "is_active",
            "sms_consent",
            "email_consent",
            "attributes",
        )
    )


def test_seed_demo_builds_a_believable_data_set():
    """About 300 clients across languages and regions, with every kind of exclusion, buckets, segments and testers."""
    output = seed()
    clients = Client.objects.all()
    assert clients.count() == 300
    assert set(clients.values_list("language", flat=True)) == {"en", "fr", "de"}
    assert set(clients.values_list("region", flat=True)) == {"North", "South", "East", "West", "Paris"}
    assert clients.filter(uses_sms_service=True, uses_email_service=False).exists()
    assert clients.filter(uses_sms_service=False, uses_email_service=True).exists()
    assert clients.filter(uses_sms_service=True, uses_email_service=True).exists()
    assert clients.filter(phone__endswith="666").count() == 3
    assert clients.filter(email__startswith="bounce").count() == 1
    counts = audience_counts({}, ["sms", "email"], notice_kind="maintenance")
    for channel, missing in (("sms", "no_phone"), ("email", "no_email")):
        excluded = counts.per_channel[channel].excluded
        assert all(excluded[reason] > 0 for reason in ("inactive", missing, "opted_out", "muted_kind")), excluded
    opted_out = clients.filter(sms_consent=False).count() + clients.filter(email_consent=False).count()
    assert ConsentEvent.objects.filter(action="withdrawn").count() == opted_out > 0
    assert {"North", "South", "East", "West", "Paris", "Key accounts", "Pilot group"} <= set(
        Bucket.objects.values_list("name", flat=True)
    )
    assert Bucket.objects.get(name="Key accounts").clients.count() > 0
    for segment in Segment.objects.all():
        assert audience_queryset(segment.definition).exists(), segment.name
    assert Segment.objects.count() == 2
    assert TestRecipient.objects.filter(is_active=True).count() == 3
    for username, password, _role in DEMO_LOGINS:
        assert f"{username}" in output and password in output
        assert authenticate(username=username, password=password) is not None


def test_demo_users_have_their_roles():
    """ops is Ops without admin access; admin is a superuser in Admins; viewer reads; approver approves and sends."""
    seed()
    from django.contrib.auth.models import User

    ops, admin, viewer, approver = (User.objects.get(username=name) for name in ("ops", "admin", "viewer", "approver"))
    assert not ops.is_staff and ops.has_perm("campaigns.send_campaign") and not ops.has_perm("clients.change_client")
    assert admin.is_staff and admin.is_superuser and admin.groups.filter(name="Admins").exists()
    assert viewer.has_perm("clients.view_client") and not viewer.has_perm("clients.change_client")
    assert approver.has_perm("campaigns.approve_campaign") and approver.has_perm("campaigns.send_campaign")


def test_templates_exist_in_three_languages_and_compile():
    """Outage, maintenance, update and resolved templates exist in en/fr/de; every field compiles; emails unsubscribe."""
    seed()
    kinds = {"outage", "maintenance", "update", "resolved"}  # update: "Send update" opens with text (issue 13)
    assert set(MessageTemplate.objects.values_list("kind", flat=True)) == kinds
    versions = TemplateVersion.objects.all()
    assert versions.count() == 12
    for version in versions:
        for field in ("sms_text", "email_subject", "email_text", "email_html"):
            compile_template(getattr(version, field))
        assert "{{ unsubscribe_url }}" in version.email_html and "{{ unsubscribe_url }}" in version.email_text
        # Personal in every email; the first outage SMS gives its characters to the link instead (one part).
        assert "{{ client_name }}" in version.email_text
        if version.template.kind != "outage":
            assert "{{ client_name }}" in version.sms_text


def test_seed_is_deterministic_and_idempotent():
    """Running seed_demo twice gives the same rows, with no duplicates and no extra consent events."""
    seed()
    first, events, members = snapshot(), ConsentEvent.objects.count(), BucketMembership.objects.count()
    seed()
    assert snapshot() == first
    assert ConsentEvent.objects.count() == events
    assert BucketMembership.objects.count() == members


def test_once_keeps_existing_demo_data_and_prints_logins():
    """With --once an existing demo is left alone (edits survive) and the logins are printed again."""
    seed("--once")
    Client.objects.filter(external_ref="DEMO-0000").update(name="Edited by hand")
    output = seed("--once")
    assert "already present" in output and "ops-demo-2026" in output
    assert Client.objects.get(external_ref="DEMO-0000").name == "Edited by hand"
    assert Client.objects.count() == 300

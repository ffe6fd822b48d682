"""The frequency cap (``NOTICE_FREQUENCY_CAP``): a client who had N non-mandatory notices in the period is excluded
from the next non-mandatory one as ``frequency_cap``, in the live counts, the preview and the messages made."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import frequency
from clients.selectors import SKIP_REASONS, audience_counts
from notifications.models import Message, Send
from notifications.services.materialize import send_materialize
from tests.factories import BucketFactory, ClientFactory
from tests.pipeline.factories import SendFactory
from tests.wizard.factories import CampaignFactory

pytestmark = pytest.mark.django_db
S = Message.State


@pytest.fixture
def cap(settings):
    settings.NOTICE_FREQUENCY_CAP = "2/hour"
    settings.NOTICE_FREQUENCY_CAP_COUNT, settings.NOTICE_FREQUENCY_CAP_SECONDS = 2, 3600


def _notice(clients, *, state=S.DELIVERED, mandatory=False, age=timedelta(minutes=5), channels=("sms",)):
    """One earlier notice (a send) that messaged ``clients`` ``age`` ago."""
    send = SendFactory(state=Send.State.COMPLETED, mandatory=mandatory)
    for client in clients:
        for channel in channels:
            Message.objects.create(
                send=send, client=client, channel=channel, state=state, created_at=timezone.now() - age
            )
    return send


@pytest.fixture
def history(cap):
    """capped: two notices this hour (one on two channels). The others are one notice short of the cap, because
    a notice was mandatory, older than an hour, skipped, superseded, or only one notice used both channels."""
    names = ("capped", "mandatory", "old", "skipped", "superseded", "one_notice", "fresh")
    c = {name: ClientFactory(name=name) for name in names}
    _notice([c["capped"]], channels=("sms", "email"))
    _notice([c["capped"], c["mandatory"], c["old"], c["skipped"], c["superseded"]])
    _notice([c["mandatory"]], mandatory=True)
    _notice([c["old"]], age=timedelta(hours=2))
    _notice([c["skipped"]], state=S.SKIPPED)
    _notice([c["superseded"]], state=S.SUPERSEDED)
    _notice([c["one_notice"]], channels=("sms", "email"))
    return c


def test_the_vocabularies_agree():
    """clients cannot import Message, so it keeps the counted states and skip reasons as strings: they agree."""
    assert frequency.CAP_COUNTED_STATES == tuple(str(s) for s in Message.CAP_COUNTED_STATES)
    assert set(SKIP_REASONS) == set(Message.SkipReason.values)


def test_counts_exclude_exactly_the_capped_client(history):
    counts = audience_counts({"builtin": ["all_clients"]}, ["sms", "email"])
    for channel in ("sms", "email"):
        assert counts.per_channel[channel].excluded["frequency_cap"] == 1
        assert counts.per_channel[channel].eligible == len(history) - 1
    mandatory = audience_counts({"builtin": ["all_clients"]}, ["sms"], mandatory=True)
    assert mandatory.per_channel["sms"].excluded["frequency_cap"] == 0, "a mandatory notice is never capped"


def test_no_cap_by_default(settings, history):
    settings.NOTICE_FREQUENCY_CAP_COUNT = 0
    counts = audience_counts({"builtin": ["all_clients"]}, ["sms"])
    assert "frequency_cap" not in counts.per_channel["sms"].excluded, "no cap, no such line in the counts"
    assert counts.per_channel["sms"].eligible == len(history)


def test_materialize_skips_the_capped_client_on_every_channel(history):
    """The send does not count itself: its SMS rows do not cap its email rows."""
    send = SendFactory(state=Send.State.QUEUED, channels=["sms", "email"])
    send_materialize(send_id=send.pk)
    skipped = Message.objects.filter(send=send, skip_reason="frequency_cap")
    assert sorted(skipped.values_list("client__name", "channel")) == [("capped", "email"), ("capped", "sms")]
    assert Message.objects.filter(send=send, state=S.PENDING).count() == (len(history) - 1) * 2


def test_live_counts_and_preview_show_the_reason(client, ops, history):
    """The outage form's live counts and its recipients preview both name the cap as the reason."""
    bucket = BucketFactory()
    bucket.clients.add(*history.values())
    campaign = CampaignFactory(wizard_step="audience", audience={}, channels=[])
    data = {
        "buckets": [bucket.pk],
        "match": "all",
        "channels": ["sms"],
        "cond-TOTAL_FORMS": "1",
        "cond-INITIAL_FORMS": "0",
    }
    counts = client.post(reverse("campaigns:wizard_counts", args=[campaign.pk]), data)
    assert counts.context["counts"].per_channel["sms"].excluded["frequency_cap"] == 1
    assert "1 had the most notices allowed in the period" in " ".join(counts.content.decode().split())
    campaign.audience, campaign.channels = {"buckets": [bucket.pk]}, ["sms"]
    campaign.save(update_fields=["audience", "channels"])
    preview = client.get(reverse("campaigns:wizard_recipients", args=[campaign.pk]), {"q": "capped"})
    assert "had the most notices allowed in the period" in preview.content.decode()


def test_a_bad_setting_stops_the_start():
    env = {**os.environ, "NOTICE_FREQUENCY_CAP": "three a day"}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
            "'outage_portal.settings'); django.setup()",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0 and "NOTICE_FREQUENCY_CAP" in run.stderr

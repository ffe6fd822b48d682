"""``manage.py notify``: audience options, content options, confirmation, test sends, and --wait's final line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from notifications.models import Message, Send
from tests.factories import BucketFactory, ClientFactory, SegmentFactory, TestRecipientFactory

pytestmark = pytest.mark.django_db


def _notify(*args, answer=None, monkeypatch=None):
    out = StringIO()
    if answer is not None:
        monkeypatch.setattr("builtins.input", lambda prompt: answer)
    call_command("notify", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_all_clients_with_text_prints_counts_and_creates_a_send(django_capture_on_commit_callbacks):
    """--all --yes shows counts per channel and exclusions, then freezes a queued send."""
    ClientFactory.create_batch(3)
    ClientFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        out = _notify(
            "--all",
            "--channel",
            "both",
            "--subject",
            "Outage",
            "--text",
            "Hi {{ client_name }}",
            "--var",
            "incident_title=Fibre cut",
            "--yes",
        )
    assert "4 client(s) matched." in out and "sms: 3 to send; excluded: inactive 1" in out
    send = Send.objects.get()
    assert send.state == Send.State.QUEUED and send.channels == ["sms", "email"]
    assert send.variables == {"incident_title": "Fibre cut"}
    assert send.content["en"]["email"]["html"] == "<p>Hi {{ client_name }}</p>"
    assert len(callbacks) == 1


def test_buckets_and_segment_select_the_audience():
    """--bucket (repeatable, by name or slug) and --segment build the send's audience."""
    first, second = BucketFactory(name="North"), BucketFactory(slug="key-accounts")
    segment = SegmentFactory(name="VIP")
    _notify("--bucket", "North", "--bucket", "key-accounts", "--channel", "sms", "--text", "x", "--yes")
    _notify("--segment", "VIP", "--channel", "sms", "--text", "x", "--yes")
    audiences = list(Send.objects.order_by("pk").values_list("audience", flat=True))
    assert audiences == [{"buckets": [first.pk, second.pk]}, {"segment": segment.pk}]


def test_answering_no_sends_nothing(monkeypatch):
    """Without --yes the command asks, and anything but y cancels."""
    ClientFactory()
    with pytest.raises(CommandError, match="Cancelled"):
        _notify("--all", "--channel", "sms", "--text", "x", answer="n", monkeypatch=monkeypatch)
    assert not Send.objects.exists()


def test_bad_template_and_missing_options_fail_clearly():
    """Template errors, an unknown bucket, or a missing subject stop the command with a message."""
    with pytest.raises(CommandError, match="en.sms.text"):
        _notify("--all", "--channel", "sms", "--text", "Hi {{ nope }}", "--yes")
    with pytest.raises(CommandError, match="No bucket"):
        _notify("--bucket", "nowhere", "--channel", "sms", "--text", "x", "--yes")
    with pytest.raises(CommandError, match="subject"):
        _notify("--all", "--channel", "email", "--text", "x", "--yes")


def test_template_by_name_provides_every_language():
    """--template looks up the campaigns template and freezes each language version."""
    from campaigns.models import MessageTemplate, TemplateVersion

    template = MessageTemplate.objects.create(name="Outage", sms_stop_line=True)
    TemplateVersion.objects.create(
        template=template,
        language="en",
        sms_text="Down: {{ incident_title }}",
        email_subject="Down",
        email_text="Down",
        email_html="<p>Down</p>",
    )
    TemplateVersion.objects.create(
        template=template, language="fr", sms_text="Panne", email_subject="Panne", email_text="Panne"
    )
    _notify("--all", "--template", "Outage", "--channel", "sms", "--yes")
    send = Send.objects.get()
    assert send.content == {"en": {"sms": {"text": "Down: {{ incident_title }}"}}, "fr": {"sms": {"text": "Panne"}}}
    assert send.sms_stop_line


def test_test_flag_reaches_internal_recipients_only():
    """--test creates a test send to the active internal test recipients."""
    ClientFactory.create_batch(2)
    tester = TestRecipientFactory()
    TestRecipientFactory(is_active=False)
    _notify("--test", "--channel", "sms", "--text", "x", "--yes")
    send = Send.objects.get()
    assert send.is_test and send.audience == {"test_recipients": [tester.pk]}


def test_at_schedules_the_send():
    """--at with a future time leaves the send scheduled."""
    ClientFactory()
    _notify("--all", "--channel", "sms", "--text", "x", "--at", "2099-01-01T08:00", "--yes")
    send = Send.objects.get()
    assert send.state == Send.State.SCHEDULED and send.scheduled_at.year == 2099


def test_wait_prints_the_final_line():
    """--wait ends with 'N delivered, N failed, N skipped' once nothing is in flight."""
    from notifications.management.commands.notify import Command

    ClientFactory.create_batch(3)
    send = Send.objects.create(label="done", channels=["sms"], state=Send.State.COMPLETED)
    for state in ("delivered", "delivered", "undeliverable", "skipped"):
        Message.objects.create(send=send, channel="sms", state=state)
    command = Command(stdout=StringIO(), stderr=StringIO())
    command._wait(send, timeout=5)
    assert command.stdout.getvalue().splitlines()[-1] == "2 delivered, 1 failed, 1 skipped"

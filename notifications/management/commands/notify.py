"""``manage.py notify``: send a notice from a runbook or a script, through the same services as the web form.

Examples::

    manage.py notify --all --channel both --template "Outage" --var incident_title="Fibre cut" --yes --wait
    manage.py notify --bucket north --bucket key-accounts --channel sms --text "Service restored." --yes
    manage.py notify --test --channel email --subject "Test" --text "Hello {{ client_name }}"
"""

from __future__ import annotations

import html
import time
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from clients.models import Bucket, Channel, Segment, TestRecipient
from clients.selectors import AudienceError, audience_counts, audience_validate
from notifications.content import content_errors
from notifications.models import Message, Send
from notifications.selectors import send_progress_of
from notifications.services.sends import send_create, test_send_create


def _channels(value: str) -> list[str]:
    return [Channel.SMS, Channel.EMAIL] if value == "both" else [value]


def _variables(pairs: list[str]) -> dict[str, str]:
    variables = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--var needs KEY=VALUE, got {pair!r}.")
        variables[key.strip()] = value
    return variables


def _template_content(name: str, channels: list[str]) -> tuple[dict, bool]:
    """Content per language from a campaigns.MessageTemplate (looked up by name; notifications never imports it)."""
    model = apps.get_model("campaigns", "MessageTemplate")
    template = model.objects.filter(name=name).first()
    if template is None:
        raise CommandError(f"No message template named {name!r}.")
    content: dict = {}
    for version in template.versions.all():
        parts = {}
        if Channel.SMS in channels and version.sms_text:
            parts["sms"] = {"text": version.sms_text}
        if Channel.EMAIL in channels and (version.email_subject or version.email_text):
            parts["email"] = {"subject": version.email_subject, "text": version.email_text, "html": version.email_html}
        if parts:
            content[version.language] = parts
    return content, bool(getattr(template, "sms_stop_line", False))


def _text_content(subject: str, text: str, channels: list[str], language: str) -> dict:
    parts: dict = {}
    if Channel.SMS in channels:
        parts["sms"] = {"text": text}
    if Channel.EMAIL in channels:
        body = html.escape(text, quote=False).replace("\n", "<br>\n")
        parts["email"] = {"subject": subject, "text": text, "html": f"<p>{body}</p>"}
    return {language: parts}


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--at must be an ISO time such as 2026-03-01T14:30, got {value!r}.") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Send a notice to clients (or to internal test recipients) by SMS and/or email."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--all", action="store_true", help="Every client.")
        who.add_argument("--bucket", action="append", metavar="NAME", help="A bucket by name or slug (repeatable).")
        who.add_argument("--segment", metavar="NAME", help="A saved segment by name.")
        who.add_argument("--test", action="store_true", help="Internal test recipients only.")
        parser.add_argument("--channel", choices=["sms", "email", "both"], default="both")
        parser.add_argument("--template", metavar="NAME", help="A message template by name.")
        parser.add_argument("--subject", default="", help="Email subject (with --text).")
        parser.add_argument("--text", default="", help="Message text for SMS and the email body.")
        parser.add_argument(
            "--var",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="Template variable, e.g. incident_title=Fibre cut (repeatable).",
        )
        parser.add_argument("--kind", default="", help="Notice kind (outage, maintenance, update).")
        parser.add_argument("--mandatory", action="store_true", help="Ignore clients' muted notice kinds.")
        parser.add_argument("--at", metavar="ISO-TIME", help="Start at this time instead of now.")
        parser.add_argument("--label", default="", help="A label for the send.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--wait", action="store_true", help="Wait until every message reached a final state.")
        parser.add_argument("--timeout", type=float, default=600, help="Seconds --wait waits at most.")

    def _audience(self, options) -> dict:
        if options["all"]:
            return {"builtin": ["all_clients"]}
        if options["bucket"]:
            ids = []
            for name in options["bucket"]:
                bucket = Bucket.objects.filter(name=name).first() or Bucket.objects.filter(slug=name).first()
                if bucket is None:
                    raise CommandError(f"No bucket named {name!r}.")
                ids.append(bucket.pk)
            return {"buckets": ids}
        segment = Segment.objects.filter(name=options["segment"]).first()
        if segment is None:
            raise CommandError(f"No segment named {options['segment']!r}.")
        return {"segment": segment.pk}

    def _content(self, options, channels: list[str]) -> tuple[dict, bool]:
        if options["template"]:
            return _template_content(options["template"], channels)
        if not options["text"]:
            raise CommandError("Give --template NAME, or --text (and --subject for email).")
        if Channel.EMAIL in channels and not options["subject"]:
            raise CommandError("Email needs --subject.")
        return _text_content(options["subject"], options["text"], channels, settings.LANGUAGE_CODE), False

    def _confirm(self, options) -> bool:
        if options["yes"]:
            return True
        answer = input("Send? [y/N] ").strip().lower()
        return answer in ("y", "yes")

    def handle(self, *args, **options) -> None:
        channels = _channels(options["channel"])
        content, stop_line = self._content(options, channels)
        errors = content_errors(content, channels)
        if errors:
            raise CommandError("Content errors:\n" + "\n".join(f"  {key}: {text}" for key, text in errors.items()))
        variables = _variables(options["var"])
        fallback = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in content else next(iter(content))
        label = options["label"] or f"notify {timezone.now():%Y-%m-%d %H:%M}"
        if options["test"]:
            testers = list(TestRecipient.objects.filter(is_active=True).values_list("pk", flat=True))
            if not testers:
                raise CommandError("No active internal test recipients.")
            self.stdout.write(f"Test send to {len(testers)} internal test recipient(s) on {', '.join(channels)}.")
            if not self._confirm(options):
                raise CommandError("Cancelled.")
            with transaction.atomic():
                send = test_send_create(
                    label=label,
                    channels=channels,
                    content=content,
                    fallback_language=fallback,
                    variables=variables,
                    test_recipient_ids=testers,
                    sms_stop_line=stop_line,
                )
        else:
            audience = self._audience(options)
            try:
                audience_validate(audience)
                counts = audience_counts(
                    audience, channels, notice_kind=options["kind"], mandatory=options["mandatory"]
                )
            except AudienceError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"{counts.matched} client(s) matched.")
            for channel, numbers in counts.per_channel.items():
                excluded = ", ".join(f"{reason} {n}" for reason, n in numbers.excluded.items() if n) or "none"
                self.stdout.write(f"  {channel}: {numbers.eligible} to send; excluded: {excluded}")
            if not self._confirm(options):
                raise CommandError("Cancelled.")
            with transaction.atomic():
                send = send_create(
                    label=label,
                    channels=channels,
                    audience=audience,
                    content=content,
                    fallback_language=fallback,
                    variables=variables,
                    notice_kind=options["kind"],
                    mandatory=options["mandatory"],
                    sms_stop_line=stop_line,
                    scheduled_at=_when(options["at"]),
                )
        self.stdout.write(f"Send {send.pk} {send.state}.")
        if options["wait"]:
            self._wait(send, options["timeout"])

    def _wait(self, send: Send, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while True:
            send.refresh_from_db()
            progress = send_progress_of(send)
            accepted = progress.by_state.get(Message.State.ACCEPTED, 0)
            line = (
                f"  {progress.total} messages: {progress.in_flight - accepted} in flight, {accepted} accepted, "
                f"{progress.delivered} delivered, {progress.failed} failed, {progress.skipped} skipped"
            )
            if line != last:
                self.stdout.write(line)
                last = line
            if progress.total and progress.is_complete:
                break
            if send.state == Send.State.CANCELLED or time.monotonic() > deadline:
                self.stderr.write("Stopped waiting (cancelled or timed out).")
                break
            time.sleep(1)
        self.stdout.write(f"{progress.delivered} delivered, {progress.failed} failed, {progress.skipped} skipped")

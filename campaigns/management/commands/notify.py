"""``manage.py notify``: send a notice from a runbook or a script, through the same door as the outage form.

The notice is recorded like any other (source "command line", listed, audited, with its page in the portal), its
clients' muted kinds are honoured unless ``--mandatory`` (the kind defaults to outage, as in the form), and above
``APPROVAL_THRESHOLD`` recipients it waits for a second person's approval — or goes out at once with
``--emergency REASON`` for someone allowed to.

Who sends: ``--user NAME``, else the portal user whose login is your operating-system login, if there is one;
their permissions apply as in the portal. Without a portal user the notice is the system's (shell access is the
credential), recorded with the OS login in its source.

Examples (more in docs/running.md)::

    manage.py notify --all --channel both --template "Outage: service down" --var incident_title="Fibre cut" --yes --wait
    manage.py notify --test --channel email --subject "Test" --text "Hello {{ client_name }}"
"""

from __future__ import annotations

import getpass
import html
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from campaigns.models import NOTICE_KIND_FOR, Campaign, IncidentKind, MessageTemplate
from campaigns.selectors.audit import standing_decline
from campaigns.selectors.state import campaign_main_send
from campaigns.services import door, mail, rules
from campaigns.services.variables import template_content
from clients.models import Bucket, Channel, Segment, TestRecipient
from clients.selectors import AudienceError, audience_counts, audience_validate
from notifications.content import content_errors
from notifications.models import Send
from notifications.selectors import Progress, send_progress_of

WAIT_STEP_SECONDS = 1.0


def _variables(pairs: list[str]) -> dict[str, str]:
    variables = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--var needs KEY=VALUE, got {pair!r}.")
        variables[key.strip()] = value
    return variables


def _text_content(subject: str, text: str, channels: list[str], language: str) -> dict[str, Any]:
    parts: dict[str, Any] = {}
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


def sender(username: str | None) -> tuple[User | None, str]:
    """The portal user who sends, and how the command found them (for the notice's source)."""
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active portal user named {username!r}.")
        return user, f"--user {username}"
    login = getpass.getuser()
    user = User.objects.filter(username=login, is_active=True).first()
    return user, f"OS user {login}" + ("" if user else ", no portal user")


def summary_line(progress: Progress) -> str:
    return f"{progress.delivered} delivered, {progress.failed} failed, {progress.skipped} skipped"


class Command(BaseCommand):
    help = "Send a notice to clients (or a test to internal recipients) by SMS and/or email, through the portal's door."

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
        parser.add_argument(
            "--kind",
            choices=IncidentKind.values,
            default=IncidentKind.OUTAGE,
            help="Notice kind (default outage); clients who muted it are skipped unless --mandatory.",
        )
        parser.add_argument("--mandatory", action="store_true", help="Reach clients who muted this kind of notice.")
        parser.add_argument("--at", metavar="ISO-TIME", help="Start at this time instead of now.")
        parser.add_argument("--label", default="", help="The notice's title (default: incident_title, or a date).")
        parser.add_argument("--user", metavar="USERNAME", help="The portal user who sends (default: your OS login).")
        parser.add_argument(
            "--emergency",
            metavar="REASON",
            default=None,
            help="Above the threshold, send without approval (permission).",
        )
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument("--wait", action="store_true", help="Wait for approval, then until every message settled.")
        parser.add_argument("--timeout", type=float, default=600, help="Seconds --wait waits at most.")

    def handle(self, *args: Any, **options: Any) -> None:
        user, how = sender(options["user"])
        channels = [Channel.SMS, Channel.EMAIL] if options["channel"] == "both" else [options["channel"]]
        variables = _variables(options["var"])
        spec = door.NoticeSpec(
            title=options["label"] or variables.get("incident_title") or f"notify {timezone.now():%Y-%m-%d %H:%M}",
            kind=options["kind"],
            audience={},
            channels=channels,
            variables=variables,
            mandatory=options["mandatory"],
            send_at=_when(options["at"]),
        )
        self._content(spec, options)
        origin = door.Origin(source=Campaign.Source.COMMAND_LINE, detail=how, actor=user)
        try:
            if options["test"]:
                self._test(spec, origin, options)
                return
            spec.audience = self._audience(options)
            self._counts(spec)
            self._confirm(options)
            submitted = door.notice_submit(
                spec=spec, origin=origin, confirm=True, emergency_reason=options["emergency"]
            )
        except rules.NotAllowed as error:
            raise CommandError(f"{error} (portal user: {user.get_username() if user else 'none'})") from None
        self._report(submitted, options)

    # Building the notice ------------------------------------------------------------------------------------------
    def _content(self, spec: door.NoticeSpec, options: dict[str, Any]) -> None:
        if options["template"]:
            template = MessageTemplate.objects.filter(name=options["template"]).first()
            if template is None:
                raise CommandError(f"No message template named {options['template']!r}.")
            spec.template, spec.content = template, template_content(template)
        elif not options["text"]:
            raise CommandError("Give --template NAME, or --text (and --subject for email).")
        elif Channel.EMAIL in spec.channels and not options["subject"]:
            raise CommandError("Email needs --subject.")
        else:
            spec.content = _text_content(options["subject"], options["text"], spec.channels, settings.LANGUAGE_CODE)
        errors = content_errors(spec.content or {}, spec.channels)
        if errors:
            raise CommandError("Content errors:\n" + "\n".join(f"  {key}: {text}" for key, text in errors.items()))

    def _audience(self, options: dict[str, Any]) -> dict[str, Any]:
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

    def _counts(self, spec: door.NoticeSpec) -> None:
        try:
            audience_validate(spec.audience)
            counts = audience_counts(
                spec.audience, spec.channels, notice_kind=NOTICE_KIND_FOR.get(spec.kind, ""), mandatory=spec.mandatory
            )
        except AudienceError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{counts.matched} client(s) matched.")
        for channel, numbers in counts.per_channel.items():
            excluded = ", ".join(f"{reason} {n}" for reason, n in numbers.excluded.items() if n) or "none"
            self.stdout.write(f"  {channel}: {numbers.eligible} to send; excluded: {excluded}")

    def _confirm(self, options: dict[str, Any]) -> None:
        if not options["yes"] and input("Send? [y/N] ").strip().lower() not in ("y", "yes"):
            raise CommandError("Cancelled.")

    def _test(self, spec: door.NoticeSpec, origin: door.Origin, options: dict[str, Any]) -> None:
        testers = list(TestRecipient.objects.filter(is_active=True).values_list("pk", flat=True))
        if not testers:
            raise CommandError("No active internal test recipients.")
        self.stdout.write(f"Test send to {len(testers)} internal test recipient(s) on {', '.join(spec.channels)}.")
        self._confirm(options)
        spec.audience = {"test_recipients": testers}
        campaign = door.notice_submit(spec=spec, origin=origin).campaign
        try:
            send = door.campaign_test_send(campaign=campaign, actor=origin.actor, test_recipient_ids=testers)
        except door.TestSendLimited as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Notice #{campaign.pk} is a draft with its test send: {mail.notice_url(campaign)}")
        self.stdout.write(f"Send {send.pk} {send.state}.")
        if options["wait"]:
            self._wait_for_send(send, time.monotonic() + options["timeout"])

    # After submitting ---------------------------------------------------------------------------------------------
    def _report(self, submitted: door.Submitted, options: dict[str, Any]) -> None:
        campaign = submitted.campaign
        if not submitted.confirmed:
            raise CommandError(
                f"Notice #{campaign.pk} was not sent: {submitted.problem}\n"
                f"It waits as a draft: {mail.notice_url(campaign)}"
            )
        self.stdout.write(f"Notice #{campaign.pk} ({campaign.get_source_display()}): {mail.notice_url(campaign)}")
        deadline = time.monotonic() + options["timeout"]
        if campaign.state == Campaign.State.AWAITING_APPROVAL:
            self.stdout.write(
                f"It waits for approval: {campaign.audience_size} recipients is above the approval threshold of "
                f"{settings.APPROVAL_THRESHOLD}. The approvers were told; approve it at {mail.approval_url(campaign)}"
            )
            if not options["wait"]:
                return
            campaign = self._wait_for_approval(campaign, deadline)
        elif campaign.emergency_at:
            self.stdout.write("Sent as an emergency, without approval; the approvers were told.")
        if campaign.state == Campaign.State.SCHEDULED:
            self.stdout.write(f"Scheduled for {timezone.localtime(campaign.send_at):%Y-%m-%d %H:%M %Z}.")
        if options["wait"]:
            self._wait_for_send(self._main_send(campaign, deadline), deadline)

    def _wait_for_approval(self, campaign: Campaign, deadline: float) -> Campaign:
        self.stdout.write("Waiting for approval (Ctrl-C stops waiting; the notice keeps waiting in the portal)…")
        while campaign.state == Campaign.State.AWAITING_APPROVAL:
            if time.monotonic() > deadline:
                raise CommandError(f"Still waiting for approval after --timeout: {mail.approval_url(campaign)}")
            time.sleep(WAIT_STEP_SECONDS)
            campaign.refresh_from_db()
        decline = standing_decline(campaign)
        if decline is not None:
            who = decline.actor.get_username() if decline.actor else "an approver"
            raise CommandError(
                f"Declined by {who}: {decline.detail}\nChange it in the portal: {mail.notice_url(campaign)}"
            )
        if campaign.state == Campaign.State.CANCELLED:
            raise CommandError("The notice was cancelled in the portal.")
        who = campaign.approved_by.get_username() if campaign.approved_by else "an emergency send"
        self.stdout.write(f"Approved by {who}.")
        return campaign

    def _main_send(self, campaign: Campaign, deadline: float) -> Send:
        send = campaign_main_send(campaign)
        while send is None:
            if time.monotonic() > deadline:
                raise CommandError("Stopped waiting: the notice has not started yet (timed out).")
            time.sleep(WAIT_STEP_SECONDS)
            send = campaign_main_send(campaign)
        return send

    def _wait_for_send(self, send: Send, deadline: float) -> None:
        last = ""
        while True:
            send.refresh_from_db()
            progress = send_progress_of(send)
            accepted = progress.by_state.get("accepted", 0)
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
            time.sleep(WAIT_STEP_SECONDS)
        self.stdout.write(summary_line(progress))

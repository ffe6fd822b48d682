"""``python -m bench --only failover``: a notice on WhatsApp → SMS where a share of WhatsApp messages fail.

Times ``send_create`` until every client has one delivered message (on WhatsApp, or by SMS after the failover), with
delivery reports flowing: the sandbox reports after 0.5 s (instead of the other phases' day), its per-channel
``undeliverable_share`` fails 20 % of WhatsApp messages, gunicorn takes the reports and creates the SMS rows
(``notifications/services/failover.py``), the two workers send them. Each run checks the guarantee as well: every
client exactly one delivered message, no message accepted twice by the sandbox. The figures get a section of their
own in RESULTS.md (``failover_section_update``), like the public pages'.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from bench.figures import Figure

HEADING = "## Failover per recipient (issue 14)"
SHARE = 0.2
CONTENT = {
    "en": {
        "whatsapp": {"template": "outage_notice", "placeholders": "{{ client_name }}\n{{ incident_title }}"},
        "sms": {"text": "Hi {{ client_name }}, {{ incident_title }}: we are on it."},
    }
}


def _clients(size: int) -> tuple[int, int]:
    """``size`` clients on WhatsApp (and SMS) in a bucket of their own; returns (bucket id, clients)."""
    from clients.models import Bucket, BucketMembership, Client

    Client.objects.filter(external_ref__startswith="FOB-").delete()
    Client.objects.bulk_create(
        [
            Client(external_ref=f"FOB-{i:06d}", name=f"Failover {i}", phone=f"+3364{i:07d}1", whatsapp_consent=True)
            for i in range(size)
        ],
        batch_size=5000,
    )
    bucket, _created = Bucket.objects.get_or_create(name="bench-failover", defaults={"slug": "bench-failover"})
    ids = Client.objects.filter(external_ref__startswith="FOB-").values_list("pk", flat=True)
    BucketMembership.objects.bulk_create(
        [BucketMembership(bucket=bucket, client_id=pk) for pk in ids], batch_size=5000, ignore_conflicts=True
    )
    return bucket.pk, size


def _configure(sandbox_url: str, **config: Any) -> None:
    requests.post(f"{sandbox_url}/_sandbox/config", json=config, timeout=30).raise_for_status()


def _one_run(ctx, bucket: int, size: int, figure: Figure, run: int) -> None:
    from django.db.models import Count

    from notifications.models import Message
    from notifications.services.sends import send_create

    ctx.sandbox.reset()
    _configure(ctx.sandbox.url, report_delay=0.5, undeliverable_share={"whatsapp": SHARE})
    started = time.perf_counter()
    send = send_create(
        label=f"bench failover {run}",
        channels=["whatsapp", "sms"],
        failover=["whatsapp", "sms"],
        audience={"buckets": [bucket]},
        content=CONTENT,
        variables={"incident_title": "Fibre cut"},
    )
    delivered = Message.objects.filter(send=send, state=Message.State.DELIVERED)
    deadline = started + 900
    while delivered.values("client_id").distinct().count() < size:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"not every client reached in 900 s: {delivered.count()} of {size}")
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    twice = delivered.values("client_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    stats = ctx.sandbox.stats()
    sent = Message.objects.filter(send=send).exclude(state=Message.State.SKIPPED).count()
    through = delivered.filter(replaces__isnull=False).count()
    if twice or stats.get("duplicate_ids"):
        figure.error = f"run {run}: {twice} client(s) delivered twice, {stats.get('duplicate_ids')} duplicate id(s)"
    figure.values.append(elapsed)
    ctx.notes[f"failover_run_{run}"] = (
        f"{size:,} clients reached in {elapsed:.1f} s, {through:,} of them by SMS after WhatsApp could not deliver; "
        f"{sent:,} messages ({sent / elapsed:,.0f} msg/s); clients delivered twice: {twice}; duplicate ids at the "
        f"sandbox: {stats.get('duplicate_ids', 0)}"
    )
    ctx.log(ctx.notes[f"failover_run_{run}"])


def phase_failover(ctx) -> None:
    size = ctx.sizes.failover
    figure = ctx.add(
        Figure(
            key="failover_all_reached",
            label=f"failover, {size:,} clients on WhatsApp → SMS, {SHARE:.0%} of WhatsApp undeliverable: "
            "send_create → every client delivered once (s)",
            unit="s",
            higher_is_better=False,
        )
    )
    bucket, count = _clients(size)
    try:
        for run in range(ctx.runs):
            _one_run(ctx, bucket, count, figure, run)
    finally:
        ctx.sandbox.reset()  # back to the start-up configuration (reports held back) for the other phases


def failover_section(figures: dict[str, Figure], *, notes: dict[str, str], description: dict, command: str) -> str:
    from bench.report import table_markdown

    chosen = [figure for key, figure in figures.items() if key.startswith("failover_")]
    machine = ", ".join(f"{key} {description[key]}" for key in ("date", "cores", "git commit") if key in description)
    load = description.get("load average at start (1/5/15 min)", "")
    return "\n".join(
        [
            HEADING,
            "",
            f"Written by `{command}` ({machine}; load average at start {load}: other work shared the two cores). "
            "Two workers, gunicorn taking the delivery reports (0.5 s after each send), no beat: every failover "
            "comes from the report path.",
            "",
            table_markdown(chosen),
            "",
            *[f"- {value}" for key, value in notes.items() if key.startswith("failover_")],
            *[f"- **{figure.label}** failed: {figure.error}" for figure in chosen if figure.error],
            "",
        ]
    )


def failover_section_update(text: str, figures: dict[str, Figure], **kwargs: Any) -> str:
    """``text`` (RESULTS.md) with its failover section replaced, or added at its end."""
    from bench.report import section_update

    return section_update(text, HEADING, failover_section(figures, **kwargs))

"""The provider switch: how long a notice takes to be all accepted when the primary fails half-way through it.

``python -m bench --only switch`` (it builds its own clients, not the million the other phases use). The run
starts a second sandbox playing Twilio (``infobip_sandbox/second.py``) and names it as the SMS secondary in the
workers' environment (bench/run.py). Each run: an SMS notice to ``Sizes.switch`` clients; the primary sandbox
answers 500 to every send once half of them were accepted (``fail_from_message``); the breaker opens after
``PROVIDER_BREAKER_FAILURES`` failed batches, whose messages are looked up at the primary first (none was stored)
and then go through Twilio. The figure is the time from the kick to the last message accepted; the same notice
without faults is the baseline. Every message must be accepted exactly once, by one of the two sandboxes.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from bench import dataset
from bench.figures import Figure
from bench.infra import Sandbox
from bench.phases import Ctx, RunFailed, _open_count, finish_seconds, new_send, timed_runs, wait_until

BREAKER_FAILURES = 3


def _breakers_clear() -> None:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"{settings.INFOBIP_MESSAGE_ID_PREFIX}:breaker:*"):
        client.delete(key)


def _bucket(ctx: Ctx) -> int:
    from clients.models import Client

    size = ctx.sizes.switch
    if "switch" not in ctx.buckets:
        existing = Client.objects.filter(external_ref__startswith="FOB-").count()  # the failover phase's own
        existing = Client.objects.count() - existing
        if not existing:  # run alone (--only switch): the phase makes its own clients
            dataset.clients_generate(count=size * 10 // 9 + 10)
        else:  # the generated clients are there (their references would collide): take what they allow
            size = min(size, dataset.reachable(existing))
        ctx.buckets["switch"] = dataset.bucket_create(name="bench-switch", size=size)
    return ctx.buckets["switch"]


def _once(ctx: Ctx, second: Sandbox, *, fail: bool) -> dict:
    from notifications.models import Message, Send, message_id_for
    from notifications.services.doorbell import dispatch_kick
    from notifications.services.materialize import send_materialize

    dataset.messages_clear()
    ctx.sandbox.reset()
    second.reset()
    _breakers_clear()
    send = new_send(label="switch", channels=["sms"], audience={"buckets": [_bucket(ctx)]}, state=Send.State.QUEUED)
    send_materialize(send_id=send.pk)
    expected = Message.objects.filter(send=send, state="pending").count()
    if fail:
        ctx.sandbox.configure(fail_from_message=expected // 2)
    t0 = timezone.now()
    with transaction.atomic():
        dispatch_kick(send_id=send.pk, channels=["sms"])
    wait_until(lambda: _open_count(send.pk) == 0, timeout=900, what="switch")
    seconds = finish_seconds(send.pk, t0)
    ids: dict[str, int] = {}
    for sandbox in (ctx.sandbox, second):
        for message_id, count in sandbox.stats(ids=True)["ids"].items():
            ids[message_id] = ids.get(message_id, 0) + count
    wanted = {message_id_for(pk) for pk in Message.objects.filter(send=send).values_list("pk", flat=True)}
    if set(ids) != wanted or set(ids.values()) != {1}:
        raise RunFailed(f"not exactly once: {len(ids)} ids, {sum(ids.values())} acceptances, {len(wanted)} wanted")
    by = dict(Message.objects.filter(send=send).values_list("provider").annotate(n=Count("id")).order_by())
    ctx.sandbox.configure(fail_from_message=0)
    return {"seconds": seconds, "messages": expected, "by": by}


def phase_switch(ctx: Ctx, second: Sandbox) -> None:
    results: list[dict] = []

    def run(fail: bool):  # noqa: ANN202 - a closure handed to timed_runs
        def one(_index: int) -> float:
            result = _once(ctx, second, fail=fail)
            results.append(result)
            return result["seconds"]

        return one

    base = timed_runs(
        ctx,
        Figure(
            key="switch_base", label="SMS notice, primary answering: all accepted (s)", unit="s", higher_is_better=False
        ),
        run(False),
    )
    figure = timed_runs(
        ctx,
        Figure(
            key="switch",
            label="SMS notice, primary failing half-way: all accepted, switch included (s)",
            unit="s",
            higher_is_better=False,
        ),
        run(True),
    )
    failed = [result for result in results if result["by"].get("twilio")]
    if failed:
        by = failed[0]["by"]
        figure.note = (
            f"{failed[0]['messages']:,} messages; {by.get('infobip', 0):,} by the primary, {by.get('twilio', 0):,} by "
            f"Twilio; breaker after {BREAKER_FAILURES} failed batches; exactly once across both sandboxes"
        )
    if base.values:
        base.note = f"{results[0]['messages']:,} messages, all by the primary"

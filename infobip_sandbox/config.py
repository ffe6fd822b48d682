"""The sandbox's knobs: report delay, fault injection, idempotency and log lag, settable at start and at run time."""

from __future__ import annotations

import dataclasses
import random
import threading
import zlib
from dataclasses import dataclass
from typing import Any

RATE_FIELDS = ("fail_rate", "throttle_rate", "timeout_rate", "accept_then_fail_rate", "slow_rate")
#: Per-channel shares of messages (not requests): {"whatsapp": 0.2}. Keys are the sandbox's channel names.
SHARE_FIELDS = ("undeliverable_share", "silent_share")
SHARE_CHANNELS = ("sms", "email", "viber", "whatsapp")


@dataclass
class SandboxConfig:
    """Rates are shares of send requests (0..1); ``faults_on_reads`` extends them to logs and reports."""

    api_key: str = "sandbox-key"
    report_delay: float = 0.5
    fail_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after: int = 1
    slow_rate: float = 0.0
    slow_seconds: float = 2.0
    timeout_rate: float = 0.0
    hang_seconds: float = 35.0
    #: A timed-out request is recorded (and reported) before the hang, as a real timeout often is.
    timeout_accepts: bool = True
    accept_then_fail_rate: float = 0.0
    faults_on_reads: bool = False
    seed: int | None = None
    report_workers: int = 4
    report_batch: int = 100
    report_retries: int = 3
    #: Infobip's idempotent sending: a messageId accepted less than ``idempotency_grace`` seconds ago is refused.
    idempotency: bool = False
    idempotency_grace: float = 3600.0
    #: Seconds before an accepted message shows in the logs (Infobip's logs are not instant).
    logs_delay: float = 0.0
    #: Once this many messages were accepted (0: never), every send request fails: a 500, or a timeout (the
    #: provider failing half-way through a notice; ``timeout_accepts`` decides whether the hung ones were stored).
    fail_from_message: int = 0
    timeout_from_message: int = 0
    #: Where the Postmark-like API posts its delivery webhooks (Postmark configures them per server, not per message).
    postmark_webhook_url: str = ""
    #: Faults hit the second providers' endpoints too; off, only Infobip's fail (one process playing both, make run).
    second_faults: bool = True
    #: Per channel, the share of accepted messages reported UNDELIVERABLE whatever their number (a channel outage).
    undeliverable_share: dict[str, float] = dataclasses.field(default_factory=dict)
    #: Per channel, the share of accepted messages never reported (PENDING in the logs for ever): "not delivered".
    silent_share: dict[str, float] = dataclasses.field(default_factory=dict)

    def share_hit(self, name: str, channel: str, message_id: str) -> bool:
        """Whether ``message_id`` falls in the channel's share ``name``: a stable draw from the id (reproducible)."""
        share = getattr(self, name).get(channel, 0.0)
        return share > 0 and zlib.crc32(message_id.encode()) % 1_000_000 < share * 1_000_000

    def validate(self) -> None:
        for name in RATE_FIELDS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        faults = self.fail_rate + self.throttle_rate + self.timeout_rate + self.accept_then_fail_rate
        if faults > 1.0:
            raise ValueError("fail_rate + throttle_rate + timeout_rate + accept_then_fail_rate must not exceed 1")
        for name in SHARE_FIELDS:
            shares = getattr(self, name)
            if not isinstance(shares, dict) or not all(
                channel in SHARE_CHANNELS
                and not isinstance(share, bool)
                and isinstance(share, int | float)
                and 0.0 <= share <= 1.0
                for channel, share in shares.items()
            ):
                raise ValueError(f"{name} maps channels ({', '.join(SHARE_CHANNELS)}) to shares between 0 and 1")
        if not 1 <= self.report_batch <= 100:
            raise ValueError("report_batch must be between 1 and 100 (Infobip's bucket size)")
        for name in (
            "report_delay",
            "slow_seconds",
            "hang_seconds",
            "retry_after",
            "idempotency_grace",
            "logs_delay",
            "fail_from_message",
            "timeout_from_message",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    def updated(self, changes: dict[str, Any]) -> SandboxConfig:
        """A copy with ``changes`` applied, type-checked; unknown or ill-typed keys raise ``ValueError``."""
        fields = {item.name: item for item in dataclasses.fields(self)}
        values = dataclasses.asdict(self)
        for key, value in changes.items():
            if key not in fields or key in ("api_key", "report_workers"):
                raise ValueError(f"unknown or read-only setting {key!r}")
            current = values[key]
            if isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
            elif key in SHARE_FIELDS:
                if not isinstance(value, dict):
                    raise ValueError(f"{key} must be an object of channel shares")
            elif isinstance(current, str):
                if not isinstance(value, str) or len(value) > 2000:
                    raise ValueError(f"{key} must be text")
            elif key == "seed":
                if value is not None and not isinstance(value, int):
                    raise ValueError("seed must be an integer or null")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            values[key] = value
        config = SandboxConfig(**values)
        config.validate()
        return config


class FaultDice:
    """Seeded, thread-safe draws deciding each request's fate."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self, config: SandboxConfig) -> tuple[str, bool]:
        """``(fault, slow)``: fault is "", "fail", "throttle", "timeout" or "accept_then_fail"."""
        with self._lock:
            roll, slow_roll = self._random.random(), self._random.random()
        slow = slow_roll < config.slow_rate
        for fault in ("fail", "throttle", "timeout", "accept_then_fail"):
            rate = getattr(config, f"{fault}_rate")
            if roll < rate:
                return fault, slow
            roll -= rate
        return "", slow

"""``python -m infobip_sandbox --port 8025``: the local Infobip stand-in (docs/sandbox.md).

A development tool beside the apps, not part of them: it needs no Django, so it starts in a blink and can run
anywhere the portal's workers can reach. Its API key defaults to ``INFOBIP_API_KEY`` from the environment (the same
variable the portal reads), so a laptop, the tests and the compose ``dev`` profile agree without extra settings.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from infobip_sandbox.config import SandboxConfig
from infobip_sandbox.server import SandboxServer

DEFAULT_API_KEY = "sandbox-key"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the server as Ctrl-C does."""
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infobip_sandbox",
        description="Serve a local Infobip sandbox (SMS v3, email v4, reports, logs) with optional fault injection.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025, help="0 picks a free port (printed at start)")
    parser.add_argument("--api-key", default=None, help="defaults to $INFOBIP_API_KEY, else 'sandbox-key'")
    parser.add_argument("--report-delay", type=float, default=0.5, help="seconds before reports are POSTed")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of sends answered 500, not recorded")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="share answered 429 with Retry-After")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds on 429")
    parser.add_argument("--slow-rate", type=float, default=0.0, help="share answered after --slow-seconds")
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    parser.add_argument(
        "--timeout-rate", type=float, default=0.0, help="share that hang --hang-seconds and then drop the connection"
    )
    parser.add_argument(
        "--hang-seconds", type=float, default=None, help="defaults to $INFOBIP_TIMEOUT_READ (30) + 5 seconds"
    )
    parser.add_argument(
        "--timeout-drops", action="store_true", help="timed-out sends are not recorded (default: recorded, then hang)"
    )
    parser.add_argument(
        "--accept-then-fail-rate", type=float, default=0.0, help="share recorded and reported, but answered 500"
    )
    parser.add_argument("--faults-on-reads", action="store_true", help="inject faults into logs/reports too")
    parser.add_argument(
        "--idempotency",
        action="store_true",
        help="refuse a messageId accepted less than --idempotency-grace seconds ago, as Infobip's idempotent sending",
    )
    parser.add_argument("--idempotency-grace", type=float, default=3600.0, help="seconds (default 3600)")
    parser.add_argument(
        "--logs-delay", type=float, default=0.0, help="seconds before an accepted message shows in the logs"
    )
    parser.add_argument(
        "--postmark-webhook-url", default="", help="where the Postmark-like API posts Delivery/Bounce webhooks"
    )
    parser.add_argument(
        "--no-second-faults", action="store_true", help="faults hit the Infobip endpoints only, not Twilio/Postmark"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault dice")
    parser.add_argument("--report-workers", type=int, default=4, help="threads POSTing reports")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    read_timeout = float(os.environ.get("INFOBIP_TIMEOUT_READ") or 30)
    return SandboxConfig(
        api_key=args.api_key or os.environ.get("INFOBIP_API_KEY") or DEFAULT_API_KEY,
        report_delay=args.report_delay,
        fail_rate=args.fail_rate,
        throttle_rate=args.throttle_rate,
        retry_after=args.retry_after,
        slow_rate=args.slow_rate,
        slow_seconds=args.slow_seconds,
        timeout_rate=args.timeout_rate,
        hang_seconds=args.hang_seconds if args.hang_seconds is not None else read_timeout + 5,
        timeout_accepts=not args.timeout_drops,
        accept_then_fail_rate=args.accept_then_fail_rate,
        faults_on_reads=args.faults_on_reads,
        idempotency=args.idempotency,
        idempotency_grace=args.idempotency_grace,
        logs_delay=args.logs_delay,
        seed=args.seed,
        postmark_webhook_url=args.postmark_webhook_url,
        second_faults=not args.no_second_faults,
        report_workers=args.report_workers,
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = config_from_args(args)
        config.validate()
        server = SandboxServer(config, host=args.host, port=args.port, verbose=args.verbose)
    except (ValueError, OSError) as err:
        print(f"infobip_sandbox: {err}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"Infobip sandbox listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Infobip sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``manage.py infobip_sandbox --port 8025``: the local Infobip stand-in (docs/sandbox.md)."""

from __future__ import annotations

import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from notifications.sandbox import SandboxConfig, SandboxServer


def _interrupt(signum, frame) -> None:
    """SIGTERM stops the server as Ctrl-C does."""
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Serve a local Infobip sandbox (SMS v3, email v4, reports, logs) with optional fault injection."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025, help="0 picks a free port (printed at start)")
        parser.add_argument("--api-key", default=None, help="defaults to settings.INFOBIP_API_KEY")
        parser.add_argument("--report-delay", type=float, default=0.5, help="seconds before reports are POSTed")
        parser.add_argument("--fail-rate", type=float, default=0.0, help="share of sends answered 500, not recorded")
        parser.add_argument("--throttle-rate", type=float, default=0.0, help="share answered 429 with Retry-After")
        parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds on 429")
        parser.add_argument("--slow-rate", type=float, default=0.0, help="share answered after --slow-seconds")
        parser.add_argument("--slow-seconds", type=float, default=2.0)
        parser.add_argument(
            "--timeout-rate",
            type=float,
            default=0.0,
            help="share that hang --hang-seconds and then drop the connection",
        )
        parser.add_argument(
            "--hang-seconds", type=float, default=None, help="defaults to settings.INFOBIP_TIMEOUT_READ + 5"
        )
        parser.add_argument(
            "--timeout-drops",
            action="store_true",
            help="timed-out sends are not recorded (default: recorded, then the hang)",
        )
        parser.add_argument(
            "--accept-then-fail-rate", type=float, default=0.0, help="share recorded and reported, but answered 500"
        )
        parser.add_argument("--faults-on-reads", action="store_true", help="inject faults into logs/reports too")
        parser.add_argument("--seed", type=int, default=None, help="seed of the fault dice")
        parser.add_argument("--report-workers", type=int, default=4, help="threads POSTing reports")
        parser.add_argument("--verbose", action="store_true", help="log every request")

    def handle(self, *args, **options) -> None:
        hang = options["hang_seconds"]
        config = SandboxConfig(
            api_key=options["api_key"] or settings.INFOBIP_API_KEY,
            report_delay=options["report_delay"],
            fail_rate=options["fail_rate"],
            throttle_rate=options["throttle_rate"],
            retry_after=options["retry_after"],
            slow_rate=options["slow_rate"],
            slow_seconds=options["slow_seconds"],
            timeout_rate=options["timeout_rate"],
            hang_seconds=hang if hang is not None else settings.INFOBIP_TIMEOUT_READ + 5,
            timeout_accepts=not options["timeout_drops"],
            accept_then_fail_rate=options["accept_then_fail_rate"],
            faults_on_reads=options["faults_on_reads"],
            seed=options["seed"],
            report_workers=options["report_workers"],
        )
        try:
            config.validate()
            server = SandboxServer(config, host=options["host"], port=options["port"], verbose=options["verbose"])
        except (ValueError, OSError) as err:
            raise CommandError(str(err)) from err
        signal.signal(signal.SIGTERM, _interrupt)
        self.stdout.write(f"Infobip sandbox listening on {server.url}", ending="\n")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Infobip sandbox stopped")

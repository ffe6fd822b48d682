"""``manage.py import_clients PATH [--dry-run] [--sync [--yes]]``: import a clients CSV and print what happened to
each row. ``--sync`` also deactivates the active clients the file does not name: it first says how many (a dry run)
and asks before it writes, unless ``--yes``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.importing import ImportReport, clients_import_csv


class Command(BaseCommand):
    help = "Import clients from a CSV file (upsert by external_ref). Columns: see docs/clients.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV file, UTF-8 (with or without BOM), comma or semicolon separated")
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
        parser.add_argument("--sync", action="store_true", help="also deactivate active clients the file does not name")
        parser.add_argument("--yes", action="store_true", help="with --sync: do not ask before deactivating")

    def handle(self, *args: Any, path: str, dry_run: bool, sync: bool, yes: bool, **options: Any) -> None:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        if sync and not dry_run:
            preview = clients_import_csv(path=file, filename=file.name, dry_run=True, sync=True)
            if not preview.usable:
                raise CommandError(preview.summary())
            self.stdout.write(
                f"Sync: {preview.deactivated} active client(s) are not in {file.name} and will be deactivated."
            )
            if preview.deactivated and not yes and not self._confirmed():
                raise CommandError("Nothing imported (not confirmed). Run again with --yes to skip the question.")
        self._import(file, dry_run=dry_run, sync=sync, verbosity=int(options.get("verbosity", 1)))

    def _confirmed(self) -> bool:
        if not sys.stdin.isatty():
            return False
        return input("Type yes to import and deactivate them: ").strip().lower() == "yes"

    def _import(self, file: Path, *, dry_run: bool, sync: bool, verbosity: int) -> ImportReport:
        outcomes: list[tuple[int, str]] = []

        def heard(line: int, ref: str, outcome: str) -> None:
            outcomes.append((line, f"line {line} ({ref}): {outcome}"))

        # Read as a stream, in chunks: memory does not grow with the file (no size limit here, unlike the admin).
        report = clients_import_csv(
            path=file, filename=file.name, dry_run=dry_run, sync=sync, on_outcome=heard if verbosity >= 2 else None
        )
        if not report.usable:
            raise CommandError(report.summary())
        lines = [(problem.line, self.style.WARNING(f"{problem} — rejected")) for problem in report.errors]
        for _line, text in sorted([*lines, *outcomes], key=lambda item: item[0]):
            self.stdout.write(text)
        if report.errors_not_shown:
            self.stdout.write(self.style.WARNING(f"… and {report.errors_not_shown} more rejected rows"))
        style = self.style.WARNING if report.errors else self.style.SUCCESS
        self.stdout.write(style(("DRY RUN, nothing written. " if dry_run else "") + report.summary()))
        return report

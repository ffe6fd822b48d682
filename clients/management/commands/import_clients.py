"""``manage.py import_clients PATH [--dry-run]``: import a clients CSV and print what happened to each row."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clients.importing import clients_import_csv


class Command(BaseCommand):
    help = "Import clients from a CSV file (upsert by external_ref). Columns: see docs/clients.md."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="CSV file, UTF-8 (with or without BOM), comma or semicolon separated")
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")

    def handle(self, *args, path: str, dry_run: bool, verbosity: int, **options) -> None:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        report = clients_import_csv(data=file.read_bytes(), filename=file.name, dry_run=dry_run)
        if not report.usable:
            raise CommandError(report.summary())
        lines = [(problem.line, self.style.WARNING(f"{problem} — rejected")) for problem in report.errors]
        if verbosity >= 2:
            lines += [(line, f"line {line} ({ref}): {outcome}") for line, ref, outcome in report.outcomes]
        for _line, text in sorted(lines, key=lambda item: item[0]):
            self.stdout.write(text)
        style = self.style.WARNING if report.errors else self.style.SUCCESS
        self.stdout.write(style(("DRY RUN, nothing written. " if dry_run else "") + report.summary()))

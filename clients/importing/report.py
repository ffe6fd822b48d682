"""What an import did (or, in a dry run, would do): totals, the rows it changes, and each bad row's reason.

A report stays small whatever the file: it counts every row but keeps only the first ``KEEP_PROBLEMS`` problems and
the first ``KEEP_CHANGES`` changes for display (a command that wants every row passes ``on_outcome``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

KEEP_PROBLEMS = 1000
KEEP_CHANGES = 500


@dataclass(frozen=True)
class RowProblem:
    line: int
    external_ref: str
    reason: str

    def __str__(self) -> str:
        ref = f" ({self.external_ref})" if self.external_ref else ""
        return f"line {self.line}{ref}: {self.reason}"


@dataclass
class ImportReport:
    filename: str
    dry_run: bool
    sync: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    consent_withdrawn: int = 0
    consent_not_restored: int = 0
    memberships_added: int = 0
    # With sync: active clients the file does not name, deactivated (or, in a dry run, to be).
    deactivated: int = 0
    buckets_created: list[str] = field(default_factory=list)
    # The first KEEP_PROBLEMS bad rows, in file order; error_count counts them all.
    errors: list[RowProblem] = field(default_factory=list)
    error_count: int = 0
    # (line, external_ref, "created" | "updated") of the first KEEP_CHANGES rows that change something.
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    fatal: str = ""
    seconds: float = 0.0

    @property
    def usable(self) -> bool:
        """False when the whole file was refused (not UTF-8, a required column missing…)."""
        return not self.fatal

    @property
    def good_rows(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def errors_not_shown(self) -> int:
        return self.error_count - len(self.errors)

    def add_problem(self, problem: RowProblem) -> None:
        self.error_count += 1
        if len(self.errors) < KEEP_PROBLEMS:
            self.errors.append(problem)

    def add_outcome(self, line: int, external_ref: str, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome != "unchanged" and len(self.changes) < KEEP_CHANGES:
            self.changes.append((line, external_ref, outcome))

    def summary(self) -> str:
        if self.fatal:
            return f"{self.filename}: not imported: {self.fatal}"
        verb = "would be" if self.dry_run else "were"
        parts = [
            f"{self.created} created",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
            f"{self.error_count} rejected",
        ]
        extra = []
        if self.consent_withdrawn:
            extra.append(f"{self.consent_withdrawn} consent withdrawals recorded")
        if self.consent_not_restored:
            extra.append(f"{self.consent_not_restored} withdrawn consents kept (an import never gives consent back)")
        if self.sync:
            extra.append(f"{self.deactivated} active clients not in the file {verb} deactivated")
        if self.buckets_created:
            extra.append(f"new buckets: {', '.join(self.buckets_created)}")
        tail = f"; {'; '.join(extra)}" if extra else ""
        return f"{self.filename}: rows {verb} {', '.join(parts)}{tail} ({self.seconds:.2f} s)."

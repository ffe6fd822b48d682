"""What an import did (or, in a dry run, would do): totals, the outcome of each row, and each bad row's reason."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    consent_withdrawn: int = 0
    consent_not_restored: int = 0
    memberships_added: int = 0
    buckets_created: list[str] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    # (line, external_ref, "created" | "updated" | "unchanged") for every good row, in file order.
    outcomes: list[tuple[int, str, str]] = field(default_factory=list)
    fatal: str = ""
    seconds: float = 0.0

    @property
    def usable(self) -> bool:
        """False when the whole file was refused (not UTF-8, a required column missing…)."""
        return not self.fatal

    @property
    def good_rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        if self.fatal:
            return f"{self.filename}: not imported: {self.fatal}"
        verb = "would be" if self.dry_run else "were"
        parts = [
            f"{self.created} created",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
            f"{len(self.errors)} rejected",
        ]
        extra = []
        if self.consent_withdrawn:
            extra.append(f"{self.consent_withdrawn} consent withdrawals recorded")
        if self.consent_not_restored:
            extra.append(f"{self.consent_not_restored} withdrawn consents kept (an import never gives consent back)")
        if self.buckets_created:
            extra.append(f"new buckets: {', '.join(self.buckets_created)}")
        tail = f"; {'; '.join(extra)}" if extra else ""
        return f"{self.filename}: rows {verb} {', '.join(parts)}{tail} ({self.seconds:.2f} s)."

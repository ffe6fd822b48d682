"""A measured figure: its runs, median and spread, and whether it meets its target."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Figure:
    key: str
    label: str
    unit: str
    values: list[float] = field(default_factory=list)
    target: float | None = None
    higher_is_better: bool = True
    target_text: str = ""
    note: str = ""
    error: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def spread(self) -> tuple[float, float] | None:
        return (min(self.values), max(self.values)) if self.values else None

    @property
    def met(self) -> bool | None:
        if self.target is None or self.median is None:
            return None
        return self.median >= self.target if self.higher_is_better else self.median < self.target

    @property
    def target_label(self) -> str:
        if self.target_text:
            return self.target_text
        if self.target is None:
            return "—"
        return f"{'≥' if self.higher_is_better else '<'} {fmt(self.target)} {self.unit}"


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def ratio_figure(
    key: str, label: str, top: Figure, bottom: Figure, *, target: float | None = None, unit: str = "×", note: str = ""
) -> Figure:
    """Paired ratios run by run (run i of ``top`` over run i of ``bottom``)."""
    figure = Figure(key=key, label=label, unit=unit, target=target, note=note)
    if top.error or bottom.error:
        figure.error = top.error or bottom.error
    figure.values = [a / b for a, b in zip(top.values, bottom.values, strict=False) if b]
    return figure

"""What the processes cost while a phase runs: the workers' resident memory (sampled) and CPU seconds per component.

``RssSampler`` reads the RSS of every process of the worker trees (main process and pool child) a few times a second
and keeps the peak of the largest single process per label. ``cpu_snapshot`` / ``cpu_delta`` read the CPU seconds
of named groups of processes (workers, sandbox, PostgreSQL backends of the run's database, Redis, this process), so
a phase can say where the machine's two cores went.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psutil


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class RssSampler:
    """A daemon thread sampling the worker trees every ``interval`` seconds; ``label`` names the current phase."""

    def __init__(self, roots: Callable[[], list[int]], *, interval: float = 0.2) -> None:
        self.roots = roots
        self.interval = interval
        self.label = "idle"
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> int:
        largest = 0
        for root in self.roots():
            for process in tree(root):
                try:
                    largest = max(largest, process.memory_info().rss)
                except psutil.Error:
                    continue
        return largest

    def _loop(self) -> None:
        while not self._stop.is_set():
            rss = self.sample()
            label = self.label
            self.peaks[label] = max(self.peaks.get(label, 0), rss)
            time.sleep(self.interval)

    def measure(self, label: str) -> _Label:
        return _Label(self, label)


class _Label:
    def __init__(self, sampler: RssSampler, label: str) -> None:
        self.sampler = sampler
        self.label = label

    def __enter__(self) -> _Label:
        self.sampler.peaks.pop(self.label, None)
        self.sampler.label = self.label
        return self

    def __exit__(self, *exc) -> None:
        rss = self.sampler.sample()
        self.sampler.peaks[self.label] = max(self.sampler.peaks.get(self.label, 0), rss)
        self.sampler.label = "idle"

    @property
    def peak_mb(self) -> float:
        return self.sampler.peaks.get(self.label, 0) / 1024 / 1024


def cpu_snapshot(groups: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    """CPU seconds (user + system) of every process of each group, keyed by pid."""
    snapshot: dict[str, dict[int, float]] = {}
    for name, pids in groups.items():
        seen: dict[int, float] = {}
        for pid in pids:
            try:
                times = psutil.Process(pid).cpu_times()
                seen[pid] = times.user + times.system
            except psutil.Error:
                continue
        snapshot[name] = seen
    return snapshot


def cpu_delta(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """CPU seconds each group used between two snapshots (a process that appeared in between counts in full)."""
    return {
        name: sum(seconds - before.get(name, {}).get(pid, 0.0) for pid, seconds in pids.items())
        for name, pids in after.items()
    }

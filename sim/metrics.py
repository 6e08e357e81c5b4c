"""Per-phase transaction metrics in Hyperledger Caliper's columns, plus latency percentiles.

A phase is a named stretch of a scenario (``issuance``, ``trading``, ``redemption``). Every
transaction event recorded while a phase is open counts for it: succeeded or failed, and its
latency from submission to inclusion in simulated seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rwasim.engine.events import Event


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not sorted_values:
        return 0.0
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


@dataclass
class PhaseMetrics:
    """Transactions observed during one phase of a run."""

    name: str
    started_at: float
    ended_at: float | None = None
    succeeded: int = 0
    failed: int = 0
    first_submit: float | None = None
    last_submit: float | None = None
    last_commit: float | None = None
    latencies: list[float] = field(default_factory=list)
    by_chain: dict[str, list[int]] = field(default_factory=dict)

    def observe(self, chain: str, ok: bool, submitted_at: float, committed_at: float) -> None:
        """Count one transaction that was submitted and then included (ok or rejected)."""
        if ok:
            self.succeeded += 1
        else:
            self.failed += 1
        counts = self.by_chain.setdefault(chain, [0, 0])
        counts[0 if ok else 1] += 1
        self.first_submit = submitted_at if self.first_submit is None else min(self.first_submit, submitted_at)
        self.last_submit = submitted_at if self.last_submit is None else max(self.last_submit, submitted_at)
        self.last_commit = committed_at if self.last_commit is None else max(self.last_commit, committed_at)
        self.latencies.append(committed_at - submitted_at)

    def to_json(self) -> dict[str, Any]:
        """Caliper's columns (succ, fail, send rate, throughput, min/avg/max latency) plus p50/p95/p99."""
        total = self.succeeded + self.failed
        lat = sorted(self.latencies)
        send_window = commit_window = 0.0
        first, last_submit, last_commit = self.first_submit, self.last_submit, self.last_commit
        if first is not None and last_submit is not None and last_commit is not None:  # set by the first observe()
            commit_window = last_commit - first
            if total > 1:
                send_window = last_submit - first
        return {
            "succ": self.succeeded,
            "fail": self.failed,
            "send_rate_tps": round(total / send_window, 6) if send_window > 0 else None,
            "throughput_tps": round(self.succeeded / commit_window, 6) if commit_window > 0 else None,
            "latency_min_s": round(lat[0], 6) if lat else None,
            "latency_avg_s": round(sum(lat) / len(lat), 6) if lat else None,
            "latency_max_s": round(lat[-1], 6) if lat else None,
            "latency_p50_s": round(percentile(lat, 50), 6) if lat else None,
            "latency_p95_s": round(percentile(lat, 95), 6) if lat else None,
            "latency_p99_s": round(percentile(lat, 99), 6) if lat else None,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "by_chain": {chain: {"succ": c[0], "fail": c[1]} for chain, c in sorted(self.by_chain.items())},
        }


class MetricsCollector:
    """Listens to the event log and files every transaction event under the open phase.

    A transaction event is one whose kind ends in ``.tx`` and that carries ``status``
    (true/"ok" for success) and ``submitted_at`` (simulated seconds); its own time is the
    inclusion time.
    """

    def __init__(self, default_phase: str = "run") -> None:
        self.phases: dict[str, PhaseMetrics] = {}
        self._current: PhaseMetrics | None = None
        self._default = default_phase

    def open_phase(self, name: str, now: float) -> None:
        """Start counting transactions for ``name`` (ends the open phase, if any)."""
        self.close_phase(now)
        phase = self.phases.get(name)
        if phase is None:
            phase = PhaseMetrics(name=name, started_at=now)
            self.phases[name] = phase
        phase.ended_at = None
        self._current = phase

    def close_phase(self, now: float) -> None:
        if self._current is not None:
            self._current.ended_at = now
            self._current = None

    def on_event(self, event: Event) -> None:
        """Event-log listener: count ``*.tx`` events."""
        if not event.kind.endswith(".tx"):
            return
        status = event.data.get("status")
        ok = status is True or status == "ok" or status == 1
        submitted = event.data.get("submitted_at", event.time)
        if self._current is None:
            self.open_phase(self._default, event.time)
        assert self._current is not None
        self._current.observe(event.kind.split(".", 1)[0], ok, float(submitted), event.time)

    def to_json(self) -> dict[str, Any]:
        return {name: phase.to_json() for name, phase in self.phases.items()}

    def observe_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.on_event(event)

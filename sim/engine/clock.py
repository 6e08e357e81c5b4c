"""The simulation: one SimPy environment, one seed, one event log for the whole run."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from rwasim.engine.events import EventLog
from rwasim.engine.rng import SeededRandom


class Simulation:
    """The shared context of a run: clock, randomness and event log.

    Parameters
    ----------
    seed : int, default 0
        Base seed of the run; every random draw in the run derives from it.
    start_time : float, default 0.0
        Simulated seconds at the start of the run.
    epoch : int, default 1_767_225_600
        Unix timestamp that simulated time zero corresponds to (2026-01-01T00:00:00Z), used
        for block timestamps on both chains so they never read the wall clock.
    """

    def __init__(self, seed: int = 0, start_time: float = 0.0, epoch: int = 1_767_225_600) -> None:
        self.seed = int(seed)
        self.epoch = int(epoch)
        self.env = simpy.Environment(initial_time=start_time)
        self.rng = SeededRandom(self.seed)
        self.log = EventLog(lambda: self.env.now)

    @property
    def now(self) -> float:
        """Simulated seconds since time zero."""
        return float(self.env.now)

    def timestamp(self) -> int:
        """The Unix timestamp (whole seconds) of the current simulated time."""
        return self.epoch + int(self.env.now)

    def process(self, generator: Generator[Any, Any, Any]) -> simpy.Process:
        """Start a SimPy process on this simulation's clock."""
        return self.env.process(generator)

    def timeout(self, delay: float, value: Any = None) -> simpy.Timeout:
        """An event that fires ``delay`` simulated seconds from now."""
        return self.env.timeout(delay, value)

    def run(self, until: float | simpy.Event | None = None) -> Any:
        """Advance the clock until ``until`` (a time or an event), or until nothing is scheduled."""
        return self.env.run(until=until)

    def record(self, kind: str, source: str = "sim", **data: Any):
        """Shorthand for ``self.log.record``."""
        return self.log.record(kind, source, **data)

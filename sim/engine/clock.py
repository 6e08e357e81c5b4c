"""The simulation: one SimPy environment, one seed, one event log for the whole run."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from rwasim.engine.events import EventLog
from rwasim.engine.rng import SeededRandom


class _CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules: the run's work, independent
    of the machine, so a test can say that idle simulated time costs nothing."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.scheduled = 0

    def schedule(self, event: simpy.Event, priority: int = 1, delay: float = 0) -> None:
        self.scheduled += 1
        super().schedule(event, priority, delay)  # type: ignore[arg-type]


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
        self.env = _CountingEnvironment(initial_time=start_time)
        self.rng = SeededRandom(self.seed)
        self.log = EventLog(lambda: self.env.now)
        self.running = False  # True while run() advances the clock: driver-only calls must not nest

    @property
    def now(self) -> float:
        """Simulated seconds since time zero."""
        return float(self.env.now)

    @property
    def events_scheduled(self) -> int:
        """SimPy events scheduled so far: what the run cost, on any machine (idle time adds none)."""
        return self.env.scheduled

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
        if self.running:
            raise RuntimeError(
                "Simulation.run() called while the simulation is running (from a process or a callback); "
                "a process yields events instead of driving the clock"
            )
        self.running = True
        try:
            return self.env.run(until=until)
        finally:
            self.running = False

    def complete(self, generator: Generator[Any, Any, Any]) -> Any:
        """Run ``generator`` as a process from driver code until it ends; return its value.

        Lets a scenario step or a test use a process-side API (one that waits for an Ethereum
        slot or a consortium commit) without writing a process of its own.
        """
        return self.run(until=self.env.process(generator))

    def record(self, kind: str, source: str = "sim", **data: Any):
        """Shorthand for ``self.log.record``."""
        return self.log.record(kind, source, **data)


class Doorbell:
    """Wakes a sleeping process when something it cares about happened.

    Idle time must cost nothing, so relayers and watchers do not poll: they sleep on a
    doorbell (and the earliest deadline they know of) and whoever changes what they read
    rings it. A ring while nobody sleeps is remembered until the next :meth:`wait`.
    """

    def __init__(self, sim: Simulation) -> None:
        self._env = sim.env
        self._event: simpy.Event | None = None
        self.rung = False

    def ring(self) -> None:
        """Something changed: wake the sleeper (now) or let its next wait return at once."""
        self.rung = True
        if self._event is not None and not self._event.triggered:
            self._event.succeed()

    def wait(self, deadline: float | None = None) -> simpy.Event:
        """An event for the next ring, or for ``deadline`` (absolute simulated time) if sooner."""
        if self.rung:
            return self._env.timeout(0)
        if self._event is None or self._event.triggered:
            self._event = self._env.event()
        if deadline is None:
            return self._event
        return self._env.any_of([self._event, self._env.timeout(max(0.0, deadline - self._env.now))])

    def clear(self) -> None:
        """The sleeper is awake and about to read everything: forget rings so far."""
        self.rung = False

"""The simulation engine: one SimPy clock, seeded randomness and the run's event log.

Every part of a run (both chains, the bridge, the agents) shares one :class:`Simulation`,
so latencies are simulated seconds and one seed reproduces the event log byte for byte.
"""

from rwasim.engine.clock import Doorbell, Simulation
from rwasim.engine.events import Event, EventLog, canonical_json
from rwasim.engine.rng import SeededRandom, derive_seed

__all__ = ["Doorbell", "Simulation", "Event", "EventLog", "canonical_json", "SeededRandom", "derive_seed"]

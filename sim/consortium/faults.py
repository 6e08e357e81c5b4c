"""Named faults a scenario injects into a consortium ledger, now or at a simulated time.

Each fault is recorded in the event log (``consortium.fault``) with its arguments, so a run's
log says what was done to the network as well as what followed.

=================  ==========================================================================
name               effect
=================  ==========================================================================
crash              stop a validator at once (memory lost, SQLite file kept)
restart            bring it back from its file; it catches up by block sync
crash_mid_write    the validator dies inside its next block write (``stage``: after_block
                   or after_diff); SQLite rolls the write back (``enabled=False`` disarms)
partition          split the graph into groups that cannot reach each other
heal               end the partition
delay              add ``seconds`` to every message between two validators
drop               lose messages between two validators with ``probability``
reorder            give messages between two validators a random extra delay up to ``window``
clear_link         remove delay/drop/reorder from a link
equivocate         the validator, when proposer, sends two different blocks for one round
offline            crash ``count`` validators (the last ones by name): more than f halts the chain
=================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rwasim.consortium.ledger import ConsortiumLedger


class FaultError(ValueError):
    """A fault that cannot be applied as asked (unknown name, node or argument)."""


class FaultInjector:
    """Applies named faults to one ledger; see the module docstring for the list."""

    def __init__(self, ledger: ConsortiumLedger) -> None:
        self.ledger = ledger
        self._faults: dict[str, Callable[..., None]] = {
            "crash": self.crash,
            "restart": self.restart,
            "crash_mid_write": self.crash_mid_write,
            "partition": self.partition,
            "heal": self.heal,
            "delay": self.delay,
            "drop": self.drop,
            "reorder": self.reorder,
            "clear_link": self.clear_link,
            "equivocate": self.equivocate,
            "offline": self.offline,
        }

    @property
    def names(self) -> list[str]:
        return sorted(self._faults)

    def inject(self, name: str, **args: Any) -> None:
        """Apply fault ``name`` now."""
        if name not in self._faults:
            raise FaultError(f"unknown fault {name!r}; known: {', '.join(self.names)}")
        try:
            self._faults[name](**args)
        except TypeError as exc:
            raise FaultError(f"fault {name!r}: {exc}") from None

    def schedule(self, at: float, name: str, **args: Any) -> None:
        """Apply fault ``name`` at simulated time ``at`` (seconds)."""
        if name not in self._faults:
            raise FaultError(f"unknown fault {name!r}; known: {', '.join(self.names)}")
        delay = at - self.ledger.sim.now
        if delay < 0:
            raise FaultError(f"cannot schedule {name!r} at t={at}: the clock is already at {self.ledger.sim.now}")
        event = self.ledger.sim.timeout(delay)
        event.callbacks.append(lambda _e: self.inject(name, **args))

    def _node(self, node: str):
        if node not in self.ledger.nodes:
            raise FaultError(f"unknown validator {node!r}; validators are {', '.join(self.ledger.nodes)}")
        return self.ledger.nodes[node]

    def _record(self, fault: str, **args: Any) -> None:
        self.ledger.sim.record("consortium.fault", self.ledger.name, fault=fault, **args)

    # ---- the faults ---------------------------------------------------------------------------
    def crash(self, node: str) -> None:
        target = self._node(node)
        self._record("crash", node=node)
        if target.online:
            target.crash()
        self.ledger.rescue_orphans()

    def restart(self, node: str) -> None:
        target = self._node(node)
        self._record("restart", node=node)
        target.restart()
        self.ledger.rescue_orphans()

    def crash_mid_write(self, node: str, stage: str = "after_block", enabled: bool = True) -> None:
        """Arm (or, with ``enabled=False``, disarm: a nemesis lifting its faults) a crash in the next write."""
        target = self._node(node)
        self._record("crash_mid_write", node=node, stage=stage, **({} if enabled else {"enabled": False}))
        try:
            target.store.crash_during_next_write(stage if enabled else None)
        except ValueError as exc:
            raise FaultError(str(exc)) from None

    def partition(self, groups: list[list[str]]) -> None:
        seen: set[str] = set()
        for group in groups:
            for node in group:
                self._node(node)
                if node in seen:
                    raise FaultError(f"validator {node!r} is in two partition groups")
                seen.add(node)
        self._record("partition", groups=[sorted(g) for g in groups])
        self.ledger.network.partition(groups)

    def heal(self) -> None:
        self._record("heal")
        self.ledger.network.heal()

    def _link(self, a: str, b: str, **fault: float) -> None:
        self._node(a)
        self._node(b)
        try:
            self.ledger.network.fault_link(a, b, **fault)
        except ValueError as exc:
            raise FaultError(str(exc)) from None

    def delay(self, a: str, b: str, seconds: float) -> None:
        self._record("delay", a=a, b=b, seconds=seconds)
        self._link(a, b, delay=seconds)

    def drop(self, a: str, b: str, probability: float = 1.0) -> None:
        self._record("drop", a=a, b=b, probability=probability)
        self._link(a, b, drop=probability)

    def reorder(self, a: str, b: str, window: float) -> None:
        self._record("reorder", a=a, b=b, window=window)
        self._link(a, b, reorder=window)

    def clear_link(self, a: str, b: str) -> None:
        self._record("clear_link", a=a, b=b)
        self._link(a, b)

    def equivocate(self, node: str, enabled: bool = True) -> None:
        self._record("equivocate", node=node, enabled=enabled)
        self._node(node).equivocating = enabled

    def offline(self, count: int) -> None:
        names = list(self.ledger.nodes)
        if not 0 <= count <= len(names):
            raise FaultError(f"cannot take {count} of {len(names)} validators offline")
        victims = names[len(names) - count :]
        self._record("offline", count=count, nodes=victims, f=self.ledger.validator_set.f)
        for node in victims:
            if self.ledger.nodes[node].online:
                self.ledger.nodes[node].crash()
        self.ledger.rescue_orphans()

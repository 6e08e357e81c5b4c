"""Message delivery between validators over a networkx graph, in simulated time.

A message from ``a`` to ``b`` takes the lowest-latency path through nodes that are up and
on ``a``'s side of any partition; its delay is the path's latency plus uniform jitter per
hop, and it is lost with the path's combined loss. Faults injected on a pair of endpoints
(extra delay, drop probability, a reorder window) apply on top. Every draw comes from the
run seed, and counters record what was sent, delivered and lost, per message kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import networkx as nx

from rwasim.engine import Simulation


class Message(Protocol):
    kind: str

    @property
    def size(self) -> int: ...


@dataclass
class LinkFault:
    """Extra behaviour of the messages between two endpoints (both directions)."""

    delay: float = 0.0
    drop: float = 0.0
    reorder: float = 0.0  # each message gets an extra uniform delay in [0, reorder): later ones can overtake


@dataclass(frozen=True)
class _Route:
    latency: float
    jitter: tuple[float, ...]
    survive: float  # probability of crossing every hop


class Network:
    """The links between validators.

    Parameters
    ----------
    sim : Simulation
        Clock and randomness.
    graph : networkx.Graph
        Nodes are validator names; edges carry ``latency``, ``jitter`` and ``loss``.
    name : str
        Names the random stream, so two networks in one run draw independently.
    """

    def __init__(self, sim: Simulation, graph: nx.Graph, name: str = "consortium") -> None:
        self.sim = sim
        self.graph = graph
        self._names = sorted(graph.nodes)
        self._rng = sim.rng.stream("network", name)
        self._handlers: dict[str, Callable[[str, Any], None]] = {}
        self.down: set[str] = set()
        self.groups: list[frozenset[str]] | None = None
        self.link_faults: dict[frozenset[str], LinkFault] = {}
        self._routes: dict[tuple[str, str], _Route | None] = {}
        self._reconnect_listeners: list[Callable[[], None]] = []
        self.sent: Counter[str] = Counter()
        self.bytes_sent: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        self.lost: Counter[str] = Counter()

    # ---- wiring -----------------------------------------------------------------------------
    def attach(self, name: str, handler: Callable[[str, Any], None]) -> None:
        """Deliver messages addressed to ``name`` to ``handler(sender, message)``."""
        if name not in self.graph:
            raise ValueError(f"{name!r} is not a node of the network graph")
        self._handlers[name] = handler

    @property
    def nodes(self) -> list[str]:
        return self._names

    def on_reconnect(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` whenever connectivity may have come back: a partition healed or
        redrawn, a link fault changed or lifted, a down node up again. Nodes use it to catch
        up at once (event-driven, no polling)."""
        self._reconnect_listeners.append(listener)

    def _reconnected(self) -> None:
        for listener in self._reconnect_listeners:
            listener()

    # ---- faults -----------------------------------------------------------------------------
    def set_down(self, name: str, down: bool) -> None:
        """A down node neither receives nor relays messages."""
        was_down = name in self.down
        (self.down.add if down else self.down.discard)(name)
        self._routes.clear()
        if was_down and not down:
            self._reconnected()

    def partition(self, groups: list[list[str]]) -> None:
        """Only nodes in the same group can reach each other; nodes in no group are isolated."""
        self.groups = [frozenset(g) for g in groups]
        self._routes.clear()
        self._reconnected()  # a new split may join nodes the previous one kept apart

    def heal(self) -> None:
        self.groups = None
        self._routes.clear()
        self._reconnected()

    def fault_link(self, a: str, b: str, *, delay: float = 0.0, drop: float = 0.0, reorder: float = 0.0) -> None:
        """Delay, drop or reorder the messages between ``a`` and ``b``; all zero clears it."""
        for node in (a, b):
            if node not in self.graph:
                raise ValueError(f"{node!r} is not a node of the network graph")
        if delay < 0 or reorder < 0 or not 0 <= drop <= 1:
            raise ValueError("delay and reorder must be >= 0 and drop in [0, 1]")
        key = frozenset((a, b))
        previous = self.link_faults.pop(key, None)
        if delay or drop or reorder:
            self.link_faults[key] = LinkFault(delay, drop, reorder)
        if previous is not None:
            self._reconnected()  # lifted or replaced: what the old fault lost may now get through

    def _group_of(self, name: str) -> frozenset[str] | None:
        for group in self.groups or ():
            if name in group:
                return group
        return None

    def _route(self, a: str, b: str) -> _Route | None:
        key = (a, b)
        if key not in self._routes:
            self._routes[key] = self._compute_route(a, b)
        return self._routes[key]

    def _compute_route(self, a: str, b: str) -> _Route | None:
        allowed = set(self.graph.nodes) - self.down
        if self.groups is not None:
            group = self._group_of(a)
            if group is None or b not in group:
                return None
            allowed &= group
        view = self.graph.subgraph(allowed)
        try:
            path = nx.shortest_path(view, a, b, weight="latency")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return None
        edges = [self.graph.edges[u, v] for u, v in zip(path, path[1:])]
        survive = 1.0
        for e in edges:
            survive *= 1.0 - e.get("loss", 0.0)
        return _Route(sum(e.get("latency", 0.0) for e in edges), tuple(e.get("jitter", 0.0) for e in edges), survive)

    # ---- sending ----------------------------------------------------------------------------
    def send(self, sender: str, receiver: str, message: Message) -> None:
        """Put ``message`` on the wire; it arrives later, or never."""
        kind = message.kind
        self.sent[kind] += 1
        self.bytes_sent[kind] += message.size
        if sender in self.down:
            self.lost[kind] += 1
            return
        route = self._route(sender, receiver)
        if route is None:
            self.lost[kind] += 1
            return
        rng = self._rng
        if route.survive < 1.0 and rng.random() >= route.survive:
            self.lost[kind] += 1
            return
        delay = route.latency
        for spread in route.jitter:
            if spread:
                delay += rng.random() * spread
        if self.link_faults:
            fault = self.link_faults.get(frozenset((sender, receiver)))
            if fault is not None:
                if fault.drop and rng.random() < fault.drop:
                    self.lost[kind] += 1
                    return
                delay += fault.delay + (rng.random() * fault.reorder if fault.reorder else 0.0)
        event = self.sim.env.timeout(delay)
        event.callbacks.append(lambda _event: self._deliver(sender, receiver, message))

    def broadcast(self, sender: str, message: Message, receivers: list[str] | None = None) -> None:
        """Send to every other node (or to ``receivers``), in name order."""
        for receiver in receivers if receivers is not None else self._names:
            if receiver != sender:
                self.send(sender, receiver, message)

    def _deliver(self, sender: str, receiver: str, message: Message) -> None:
        if receiver in self.down:
            self.lost[message.kind] += 1
            return
        if self.groups is not None and self._route(sender, receiver) is None:
            self.lost[message.kind] += 1  # a partition raised while it was in flight
            return
        handler = self._handlers.get(receiver)
        if handler is None:
            self.lost[message.kind] += 1
            return
        self.delivered[message.kind] += 1
        handler(sender, message)

    def counters(self) -> dict[str, Any]:
        """Totals so far: messages and bytes sent, delivered and lost, by kind (sorted)."""
        return {
            "sent": dict(sorted(self.sent.items())),
            "bytes": dict(sorted(self.bytes_sent.items())),
            "delivered": dict(sorted(self.delivered.items())),
            "lost": dict(sorted(self.lost.items())),
        }

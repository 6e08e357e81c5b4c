"""The bridge's invariants, checked after every observation, with alerts when they break.

* Conservation, per lane: units in the lane's consortium escrow = its wrapped supply on Ethereum + inbound
  messages not yet delivered or refunded + outbound messages burned but not yet released or
  refunded. A forged mint (a stolen committee key, a verifier bug) shows up here as value at
  risk: wrapped units with nothing behind them.
* No message executed twice.
* Every message reaches a final state (delivered, or rejected and then refunded) within the
  bound its lane states (:meth:`~rwasim.bridge.bridge.Bridge.finality_bound`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rwasim.bridge.book import TO_CONSORTIUM, TO_ETHEREUM
from rwasim.bridge.ledger_module import lane_escrow

if TYPE_CHECKING:
    from rwasim.bridge.bridge import Bridge


class BridgeMonitor:
    """Checks the bridge's invariants and raises alerts (each alert once per incident)."""

    def __init__(self, bridge: Bridge, on_alert: Callable[..., None] | None = None) -> None:
        self.bridge = bridge
        self.alerts: list[dict[str, Any]] = []
        self._on_alert = on_alert
        self._open_mismatch: int | None = None
        self.overdue: set[bytes] = set()
        self._doubled: set[bytes] = set()
        self.max_value_at_risk = 0
        self.checks = 0
        self._supply = 0
        self._supply_read: tuple[int, bytes] | None = None  # (block, hash) of the last supply read

    def balances(self) -> dict[str, int]:
        """The four terms of the conservation invariant, now."""
        bridge = self.bridge
        escrow = lane_escrow(bridge.ledger.state, bridge.end.lane, bridge.end.asset_id)  # this lane's share only
        wrapped = self._wrapped_supply()
        inbound = sum(r.message.amount for r in bridge.book.in_flight(TO_ETHEREUM))
        outbound = sum(r.message.amount for r in bridge.book.in_flight(TO_CONSORTIUM))
        return {
            "escrow": escrow,
            "wrapped_supply": wrapped,
            "inbound_in_flight": inbound,
            "outbound_in_flight": outbound,
        }

    def _wrapped_supply(self) -> int:
        """The wrapped token's total supply, re-read only when a block since the last read moved it.

        A total supply changes only with a Transfer log of the token, so a block without one
        (most of them) needs no EVM call; a reorg under the last read forces one.
        """
        chain, token = self.bridge.chain, self.bridge.end.token
        head = chain.block_number
        known = self._supply_read
        if (
            known is None
            or head < known[0]
            or chain.get_block_hash(known[0]) != known[1]
            or chain.get_logs(token, "Transfer", known[0] + 1, head)
        ):
            self._supply = token.call("totalSupply")
        self._supply_read = (head, chain.get_block_hash(head))
        return self._supply

    def conserved(self) -> bool:
        b = self.balances()
        return b["escrow"] == b["wrapped_supply"] + b["inbound_in_flight"] + b["outbound_in_flight"]

    def check(self) -> None:
        self.checks += 1
        self.bridge.sync()  # the book must have read the same Ethereum head as the supply below
        b = self.balances()
        at_risk = b["wrapped_supply"] + b["inbound_in_flight"] + b["outbound_in_flight"] - b["escrow"]
        if at_risk != 0 and at_risk != self._open_mismatch:
            self.alert("bridge_supply_mismatch", value_at_risk=at_risk, **b)
        self._open_mismatch = at_risk if at_risk != 0 else None
        self.max_value_at_risk = max(self.max_value_at_risk, at_risk)
        now = self.bridge.sim.now
        book = self.bridge.book
        while book.doubled:
            record = book.doubled.pop(0)
            if record.executions > 1 and record.id not in self._doubled:
                self._doubled.add(record.id)
                self.alert(
                    "bridge_double_execution",
                    id=record.id,
                    executions=record.executions,
                    value_at_risk=record.message.amount * (record.executions - 1),
                )
        bounds: dict[str, float] = {}  # read from the gateway only when a message is still open
        for record in book.open.values():  # open = in flight, or rejected and not yet refunded
            if record.id in self.overdue:
                continue
            if record.direction not in bounds:
                bounds[record.direction] = self.bridge.finality_bound(record.direction)
            bound = bounds[record.direction]
            if now - record.created_at > bound:
                self.overdue.add(record.id)
                self.alert(
                    "bridge_message_overdue",
                    id=record.id,
                    direction=record.direction,
                    state=record.state,
                    age=now - record.created_at,
                    bound=bound,
                    value_at_risk=0,
                )

    def alert(self, name: str, **data: Any) -> None:
        """Record an alert stamped with the simulated time and pass it to ``on_alert``."""
        entry = {"name": name, "time": self.bridge.sim.now, **data}
        self.alerts.append(entry)
        if self._on_alert is not None:
            self._on_alert(name, **data)
        else:
            self.bridge.sim.record("monitor.alert", "bridge", name=name, **data)

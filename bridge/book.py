"""The message book: every bridge message and the state it is in, from both chains' records.

States: ``in_flight`` until the destination decides, then ``delivered``, or ``rejected``
(with the destination's reason; the units can be refunded) and then ``refunded``. Delivered
and refunded are final; a rejected message is final once refunded. A burn erased by an
Ethereum reorg before the lane's finality is ``reorged_out``: final, nothing moved. The book is built by
reading both chains (committed consortium blocks, gateway logs), as an auditor would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rwasim.bridge.codec import BridgeMessage, rejection_id

TO_ETHEREUM = "to_ethereum"
TO_CONSORTIUM = "to_consortium"
FINAL_STATES = ("delivered", "refunded", "reorged_out")


@dataclass
class MessageRecord:
    message: BridgeMessage
    direction: str
    created_at: float
    state: str = "in_flight"
    reason: str | None = None
    code: int | None = None
    decided_at: float | None = None
    finalised_at: float | None = None
    executions: int = 0  # deliveries or releases seen: more than one is a double execution
    source_height: int | None = None  # consortium height of an inbound message's lock
    history: list[tuple[float, str]] = field(default_factory=list)

    @property
    def id(self) -> bytes:
        return self.message.id

    @cached_property
    def rejection_id(self) -> bytes:
        """Id of the consortium event that would record this message's rejection (hashed once)."""
        return rejection_id(self.message.id)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "direction": self.direction,
            "lane": self.message.lane,
            "nonce": self.message.nonce,
            "amount": self.message.amount,
            "state": self.state,
            "reason": self.reason,
            "code": self.code,
            "created_at": self.created_at,
            "decided_at": self.decided_at,
            "finalised_at": self.finalised_at,
        }


class MessageBook:
    """Every message seen, by id, in the order first seen."""

    def __init__(self, sim) -> None:
        self.sim = sim
        self.records: dict[bytes, MessageRecord] = {}
        # records not final yet, in the order first seen: what relayers and the monitor walk on
        # each pass, so a pass scales with the open messages, not every message ever sent
        self.open: dict[bytes, MessageRecord] = {}
        self.doubled: list[MessageRecord] = []  # records that just reached a second execution
        self.by_nonce: dict[tuple[str, int], MessageRecord] = {}  # (direction, nonce) -> record
        self._changed: Any = None  # fires at the next change of any record (followers wait on it)

    def changed(self) -> Any:
        """An event that fires when any record is added or changes state (waiters need not poll)."""
        if self._changed is None or self._changed.triggered:
            self._changed = self.sim.env.event()
        return self._changed

    def _notify(self) -> None:
        if self._changed is not None and not self._changed.triggered:
            self._changed.succeed()

    def add(self, message: BridgeMessage, direction: str) -> MessageRecord:
        record = self.records.get(message.id)
        if record is None:
            record = MessageRecord(message, direction, self.sim.now, history=[(self.sim.now, "in_flight")])
            self.records[message.id] = record
            self.open[message.id] = record
            self.by_nonce[(direction, message.nonce)] = record
            self._notify()
            self.sim.record(
                "bridge.message",
                "bridge",
                id=message.id,
                direction=direction,
                lane=message.lane,
                nonce=message.nonce,
                amount=message.amount,
                state="in_flight",
            )
        return record

    def transition(self, message_id: bytes, state: str, *, reason: str | None = None, code: int | None = None) -> None:
        record = self.records.get(message_id)
        if record is None:
            self.sim.record("bridge.unknown_message", "bridge", id=message_id, state=state)
            return
        if state in ("delivered", "released"):
            record.executions += 1
            if record.executions == 2:
                self.doubled.append(record)
            state = "delivered"
        if record.state == state:
            return
        record.state = state
        if record.final:
            self.open.pop(message_id, None)
        else:
            self.open[message_id] = record
        record.history.append((self.sim.now, state))
        if state in ("delivered", "rejected") and record.decided_at is None:
            record.decided_at = self.sim.now
        if state in ("rejected",):
            record.reason, record.code = reason, code
        if state in FINAL_STATES:
            record.finalised_at = self.sim.now
        self._log(record, reason)
        self._notify()

    def undo(self, message_id: bytes, state: str) -> None:
        """A reorg erased the decision that moved the message on: it goes back to ``state``
        (``in_flight`` for an erased delivery or gateway rejection, ``rejected`` for an erased
        refund), and an erased delivery no longer counts as an execution."""
        record = self.records[message_id]
        if record.state == "delivered":
            record.executions = max(0, record.executions - 1)
        if state == "in_flight":
            record.decided_at = None
            record.reason = record.code = None
        record.finalised_at = None
        record.state = state
        record.history.append((self.sim.now, state))
        self.open[message_id] = record
        self._log(record, "undone by an Ethereum reorg")
        self._notify()

    def _log(self, record: MessageRecord, reason: str | None) -> None:
        """One ``bridge.message`` event line for the record's new state."""
        self.sim.record(
            "bridge.message",
            "bridge",
            id=record.id,
            direction=record.direction,
            lane=record.message.lane,
            nonce=record.message.nonce,
            amount=record.message.amount,
            state=record.state,
            reason=reason,
        )

    def in_flight(self, direction: str | None = None) -> list[MessageRecord]:
        """Messages not yet final (in flight, or rejected and not yet refunded)."""
        return [r for r in self.open.values() if direction is None or r.direction == direction]

    def listing(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self.records.values()]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for record in self.records.values():
            out[record.state] = out.get(record.state, 0) + 1
        return dict(sorted(out.items()))

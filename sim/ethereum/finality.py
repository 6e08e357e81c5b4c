"""Casper FFG finality on the slot grid, and the finality policies a reader of the chain picks.

Ethereum's beacon chain groups slots into epochs of 32. At each epoch boundary the epoch
just ended is justified when two thirds of the stake attested to it, and the epoch before it
becomes finalized when both are justified (the k = 1 rule of Gasper). So in the normal case,
at the start of epoch ``E`` the justified checkpoint is epoch ``E - 1`` and the finalized one
is ``E - 2``; a checkpoint covers every block up to and including its first slot. A block in
slot ``s`` is therefore *safe* (covered by the justified checkpoint) 32 to 64 slots after it
was proposed and *finalized* 64 to 96 slots after, 12.8 to 19.2 minutes with 12-second slots:
the "2 epochs, approximately 12.8–19 minutes" Chainlink's CCIP documents for Ethereum.

A :class:`Casper` is a pure function of time and of the stalls injected into it, so asking for
the heads costs nothing and nothing runs per slot or per epoch. A stall (the ``finality_delay``
fault) stands for attestations that do not reach two thirds, as on mainnet on 11 and 12 May
2023 when finality was delayed by 4 and then 9 epochs (Prysm's post-mortem): no boundary
inside it justifies anything, and finality resumes two boundaries after it ends.

A :class:`FinalityPolicy` is what a bridge lane waits for before it acts on an Ethereum event:
``finalized`` (the default, as CCIP's), ``safe``, or ``confirmations=N`` (N slots on top of the
block's own, faster than finality and exposed to reorgs deeper than N).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SLOTS_PER_EPOCH = 32  # consensus specs, phase0 SLOTS_PER_EPOCH
#: The policies scenarios offer as a parameter (any ``confirmations=N`` works in code).
FINALITY_CHOICES = ("finalized", "safe", "confirmations=1", "confirmations=2", "confirmations=6", "confirmations=12")


@dataclass(frozen=True)
class Stall:
    """Epochs ``first`` .. ``first + epochs - 1`` are not justified at their boundaries."""

    first: int
    epochs: int

    def covers(self, epoch: int) -> bool:
        return self.first <= epoch < self.first + self.epochs


class Casper:
    """Justified and finalized checkpoints of a chain whose slots start at ``genesis_time``.

    Parameters
    ----------
    slot_seconds : float
        Seconds per slot (12 on mainnet).
    genesis_time : float
        Simulated time of slot 0.
    slots_per_epoch : int, default 32
    """

    def __init__(self, slot_seconds: float, genesis_time: float = 0.0, slots_per_epoch: int = SLOTS_PER_EPOCH) -> None:
        if slot_seconds <= 0 or slots_per_epoch < 1:
            raise ValueError("slot_seconds must be > 0 and slots_per_epoch >= 1")
        self.slot_seconds = float(slot_seconds)
        self.genesis_time = float(genesis_time)
        self.slots_per_epoch = int(slots_per_epoch)
        self.stalls: list[Stall] = []

    # -- the grid ---------------------------------------------------------------------------
    def slot_at(self, time: float) -> int:
        """The slot running at ``time`` (slot k spans [genesis + k·slot, genesis + (k+1)·slot))."""
        return max(0, math.floor((time - self.genesis_time) / self.slot_seconds + 1e-9))

    def slot_time(self, slot: int) -> float:
        """The start of ``slot`` in simulated seconds."""
        return self.genesis_time + slot * self.slot_seconds

    def epoch_of(self, slot: int) -> int:
        return slot // self.slots_per_epoch

    # -- faults -----------------------------------------------------------------------------
    def stall(self, first_epoch: int, epochs: int) -> Stall:
        """Attestations miss two thirds for ``epochs`` epochs from ``first_epoch``: no justification."""
        if epochs < 1 or first_epoch < 0:
            raise ValueError("a finality stall needs epochs >= 1 and a first epoch >= 0")
        stall = Stall(int(first_epoch), int(epochs))
        self.stalls.append(stall)
        return stall

    def _stalled(self, epoch: int) -> Stall | None:
        for stall in self.stalls:
            if stall.covers(epoch):
                return stall
        return None

    def _last_justified(self, epoch: int) -> int:
        """The highest epoch <= ``epoch`` that was justified at its own boundary (0 is genesis)."""
        while epoch > 0:
            stall = self._stalled(epoch)
            if stall is None:
                return epoch
            epoch = stall.first - 1
        return 0

    # -- checkpoints ------------------------------------------------------------------------
    def justified_epoch(self, time: float) -> int:
        """The justified checkpoint's epoch at ``time``: the last epoch processed and attested."""
        current = self.epoch_of(self.slot_at(time))
        return self._last_justified(current - 1) if current >= 1 else 0

    def finalized_epoch(self, time: float) -> int:
        """The finalized checkpoint's epoch: the older of the last two consecutive justified epochs."""
        current = self.epoch_of(self.slot_at(time))
        epoch = current - 1
        while epoch >= 1:
            epoch = self._last_justified(epoch)
            if epoch <= 1:
                return 0
            if self._stalled(epoch - 1) is None:
                return epoch - 1
            epoch -= 1
        return 0

    def safe_slot(self, time: float) -> int:
        """The last slot covered by the justified checkpoint (the ``safe`` head)."""
        return self.justified_epoch(time) * self.slots_per_epoch

    def finalized_slot(self, time: float) -> int:
        """The last slot covered by the finalized checkpoint (the ``finalized`` head)."""
        return self.finalized_epoch(time) * self.slots_per_epoch

    def time_covered(self, slot: int, tag: str, after: float) -> float:
        """The first epoch boundary at or after ``after`` where ``tag``'s head covers ``slot``.

        Walks epoch boundaries, so it ends even across stalls (each is finite).
        """
        head = self.safe_slot if tag == "safe" else self.finalized_slot
        epoch = max(self.epoch_of(self.slot_at(after)), 0)
        while True:
            boundary = self.slot_time(epoch * self.slots_per_epoch)
            if boundary >= after - 1e-9 and head(boundary) >= slot:
                return max(boundary, after)
            epoch += 1


@dataclass(frozen=True)
class FinalityPolicy:
    """What a reader of Ethereum waits for before it treats an event as settled.

    ``kind`` is ``"finalized"``, ``"safe"`` or ``"confirmations"`` (then ``depth`` slots on top
    of the block's own slot).
    """

    kind: str
    depth: int = 0

    @classmethod
    def parse(cls, text: str | FinalityPolicy) -> FinalityPolicy:
        """``"finalized"``, ``"safe"`` or ``"confirmations=N"`` (N >= 0)."""
        if isinstance(text, FinalityPolicy):
            return text
        value = str(text).strip()
        if value in ("finalized", "safe"):
            return cls(value)
        if value.startswith("confirmations="):
            raw = value.split("=", 1)[1]
            if raw.isdigit():
                return cls("confirmations", int(raw))
        raise ValueError(f"finality policy {text!r}: use 'finalized', 'safe' or 'confirmations=N' (N a whole number)")

    @property
    def fast(self) -> bool:
        """Faster than finality: a reorg shallower than finality can undo what it acted on."""
        return self.kind != "finalized"

    def __str__(self) -> str:
        return f"confirmations={self.depth}" if self.kind == "confirmations" else self.kind

    def covers(self, casper: Casper, slot: int, now: float) -> bool:
        """Whether an event in ``slot`` is settled under this policy at ``now``."""
        if self.kind == "confirmations":
            return casper.slot_at(now) >= slot + self.depth
        head = casper.safe_slot(now) if self.kind == "safe" else casper.finalized_slot(now)
        return head >= slot

    def settles_at(self, casper: Casper, slot: int, now: float) -> float:
        """The earliest time at or after ``now`` when an event in ``slot`` is settled (stalls known so far)."""
        if self.kind == "confirmations":
            return max(now, casper.slot_time(slot + self.depth))
        return casper.time_covered(slot, self.kind, now)

    def worst_case_s(self, casper: Casper) -> float:
        """The longest an event can wait to be settled under this policy, in seconds.

        Finalized: three epochs (an event just after a checkpoint) plus, for each finality
        stall injected so far, its epochs and one more to justify again. Safe: two epochs.
        Confirmations: the depth plus the slot the event waits to be included in.
        """
        slot, epoch = casper.slot_seconds, casper.slots_per_epoch * casper.slot_seconds
        if self.kind == "confirmations":
            return (self.depth + 1) * slot
        stalled = sum(s.epochs + 1 for s in casper.stalls)
        return (3 if self.kind == "finalized" else 2) * epoch + stalled * epoch

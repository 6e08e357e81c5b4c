"""Consortium validators' own reading of Ethereum, signed.

Each validator runs an :class:`Attestor` that reads the gateway's logs itself, only up to
the head the lane's finality policy settles (``finalized`` by default), and signs what it saw:
a burn (``MessageSent``) or a refused delivery (``MessageRejected``). Under a faster policy an
event the lane's fast bucket does not cover is set aside until the finalized head reaches it. A release or refund on
the consortium needs a quorum (ceil(2n/3)) of such signatures, checked by the ledger's state machine; a crashed
validator attests nothing, so with fewer than a quorum up, messages wait.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from rwasim.bridge.codec import BridgeMessage, attestation_digest
from rwasim.consortium.node import ValidatorNode


class AttestationPool:
    """Signatures gathered per (kind, message id); relayers read it.

    ``ready`` lists the entries that have a quorum of signatures and whose release or refund
    the consortium has not yet committed: a relayer's pass walks those, not every message the
    lane ever carried.
    """

    def __init__(self, quorum: Callable[[], int] | None = None) -> None:
        self.signatures: dict[tuple[str, bytes], dict[bytes, bytes]] = defaultdict(dict)
        self.messages: dict[bytes, BridgeMessage] = {}
        self.rejections: dict[bytes, tuple[int, str]] = {}
        self.ready: dict[tuple[str, bytes], None] = {}  # insertion-ordered set
        self._quorum = quorum or (lambda: 1)
        self._quorum_seen = self._quorum()

    def add(self, kind: str, message_id: bytes, validator: bytes, signature: bytes) -> None:
        found = self.signatures[(kind, message_id)]
        found.setdefault(validator, signature)
        if len(found) >= self._quorum():
            self.ready.setdefault((kind, message_id), None)

    def pending(self) -> list[tuple[str, bytes]]:
        """Entries with a quorum, not yet committed (re-read in full only when the quorum changed)."""
        quorum = self._quorum()
        if quorum != self._quorum_seen:  # a rotation changed the validator set: recount everything
            self._quorum_seen = quorum
            for key, found in self.signatures.items():
                if len(found) >= quorum:
                    self.ready.setdefault(key, None)
        return list(self.ready)

    def settled(self, kind: str, message_id: bytes) -> None:
        """The consortium committed the release (``sent``) or refund (``rejected``): nothing left to relay."""
        self.ready.pop((kind, message_id), None)

    def forget(self, kind: str, message_id: bytes) -> None:
        """A reorg erased the event these signatures were about."""
        self.signatures.pop((kind, message_id), None)
        self.ready.pop((kind, message_id), None)
        if kind == "sent":
            self.messages.pop(message_id, None)

    def attestations(self, kind: str, message_id: bytes) -> list[list[str]]:
        """``[[validator, signature], ...]`` sorted by validator (0x-hex), the ledger's payload format."""
        found = self.signatures.get((kind, message_id), {})
        return [["0x" + v.hex(), "0x" + s.hex()] for v, s in sorted(found.items())]

    def count(self, kind: str, message_id: bytes) -> int:
        return len(self.signatures.get((kind, message_id), {}))


class Attestor:
    """One validator's watcher of the Ethereum gateway.

    Parameters
    ----------
    node : ValidatorNode
        The validator whose key signs (nothing is signed while it is down).
    bridge : Bridge
        Gives the chain, the gateway, the lane and the pool.
    """

    def __init__(self, node: ValidatorNode, bridge) -> None:
        self.node = node
        self.bridge = bridge
        self.cursor = 0  # last Ethereum block read
        # events read under a fast policy that must wait for finality: (block, kind, id)
        self._waiting: list[tuple[int, str, bytes]] = []

    def waiting_blocks(self) -> list[int]:
        """Blocks of events set aside until finality."""
        return [block for block, _, _ in self._waiting]

    def rewind(self, head: int) -> None:
        """A reorg: read again from ``head`` (what was set aside above it may be gone)."""
        self.cursor = min(self.cursor, max(head, 0))
        self._waiting = [w for w in self._waiting if w[0] <= self.cursor]

    def poll(self) -> int:
        """Read newly settled gateway logs and attest them; returns how many were signed."""
        if not self.node.online:
            return 0
        bridge = self.bridge
        chain, end = bridge.chain, bridge.end
        signed = 0
        if self._waiting:
            finalized = chain.head("finalized")
            ready = [w for w in self._waiting if w[0] <= finalized]
            self._waiting = [w for w in self._waiting if w[0] > finalized]
            for _, kind, message_id in ready:
                self._sign(kind, message_id)
                signed += 1
        final = chain.settled_head(bridge.policy)
        if final <= self.cursor:
            return signed
        for log in chain.get_logs(end.gateway, "MessageSent", self.cursor + 1, final):
            if log["lane"] != end.lane:
                continue
            message = bridge.outbound_message(log)
            bridge.pool.messages[message.id] = message
            signed += self._attest(log["_block"], "sent", message.id, message.amount)
        for log in chain.get_logs(end.gateway, "MessageRejected", self.cursor + 1, final):
            if log["lane"] != end.lane:
                continue
            bridge.pool.rejections[log["id"]] = (log["code"], log["reason"])
            record = bridge.book.records.get(log["id"])
            signed += self._attest(log["_block"], "rejected", log["id"], record.message.amount if record else 0)
        self.cursor = final
        return signed

    def _attest(self, block: int, kind: str, message_id: bytes, amount: int) -> int:
        """Sign now, or set aside until finality when the lane's fast bucket refuses it."""
        bridge = self.bridge
        if bridge.policy.fast and block > bridge.chain.head("finalized"):
            if not bridge.fast_admit(message_id, amount):
                self._waiting.append((block, kind, message_id))
                return 0
        self._sign(kind, message_id)
        return 1

    def _sign(self, kind: str, message_id: bytes) -> None:
        signature = self.node.key.sign(attestation_digest(kind, message_id))
        self.bridge.pool.add(kind, message_id, self.node.address, signature)

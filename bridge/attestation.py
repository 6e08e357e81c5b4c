"""Consortium validators' own reading of Ethereum, signed.

Each validator runs an :class:`Attestor` that reads the gateway's logs itself, only up to
``confirmations`` blocks below the head (the lane's finality policy), and signs what it saw:
a burn (``MessageSent``) or a refused delivery (``MessageRejected``). A release or refund on
the consortium needs a quorum (ceil(2n/3)) of such signatures, checked by the ledger's state machine; a crashed
validator attests nothing, so with fewer than a quorum up, messages wait.
"""

from __future__ import annotations

from collections import defaultdict

from rwasim.bridge.codec import BridgeMessage, attestation_digest
from rwasim.consortium.node import ValidatorNode


class AttestationPool:
    """Signatures gathered per (kind, message id); relayers read it."""

    def __init__(self) -> None:
        self.signatures: dict[tuple[str, bytes], dict[bytes, bytes]] = defaultdict(dict)
        self.messages: dict[bytes, BridgeMessage] = {}
        self.rejections: dict[bytes, tuple[int, str]] = {}

    def add(self, kind: str, message_id: bytes, validator: bytes, signature: bytes) -> None:
        self.signatures[(kind, message_id)].setdefault(validator, signature)

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

    def poll(self) -> int:
        """Read newly final gateway logs and attest them; returns how many were signed."""
        if not self.node.online:
            return 0
        chain, end = self.bridge.chain, self.bridge.end
        final = chain.block_number - self.bridge.confirmations
        if final <= self.cursor:
            return 0
        signed = 0
        for log in chain.get_logs(end.gateway, "MessageSent", self.cursor + 1, final):
            if log["lane"] != end.lane:
                continue
            message = self.bridge.outbound_message(log)
            self.bridge.pool.messages[message.id] = message
            self._sign("sent", message.id)
            signed += 1
        for log in chain.get_logs(end.gateway, "MessageRejected", self.cursor + 1, final):
            if log["lane"] != end.lane:
                continue
            self.bridge.pool.rejections[log["id"]] = (log["code"], log["reason"])
            self._sign("rejected", log["id"])
            signed += 1
        self.cursor = final
        return signed

    def _sign(self, kind: str, message_id: bytes) -> None:
        signature = self.node.key.sign(attestation_digest(kind, message_id))
        self.bridge.pool.add(kind, message_id, self.node.address, signature)

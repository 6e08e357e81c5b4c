"""The bridge message format, shared by both chains and by the Solidity contracts.

A message says: *amount* units of *token* go from *sender* on *source chain* to *receiver* on
*destination chain*, on *lane*, as that lane's *nonce*-th message, with an optional payload.
Its id is ``keccak256(abi.encode(MESSAGE_TAG, sourceChain, destinationChain, lane, nonce,
token, sender, receiver, amount, payloadHash))`` — the tag separates it from every other
hash in the system, and chain ids and lane inside it mean a message for one lane or chain is
never valid on another. ``BridgeGateway`` and the consortium ledger compute the same id.

Attestations (Ethereum → consortium) are validator signatures over
``keccak256(abi.encode(ATTEST_TAG, keccak256(kind), id))`` with kind ``"sent"`` (the burn
happened) or ``"rejected"`` (the gateway refused the delivery); a refund on Ethereum is
proven with the consortium event whose id is ``keccak256(abi.encode(REJECTED_TAG, id))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rwasim.consortium.block import asset_key, word  # the ABI words and asset key the ledger hashes with

__all__ = [
    "ATTEST_TAG",
    "MESSAGE_TAG",
    "REJECTED_TAG",
    "BridgeMessage",
    "address_bytes",
    "asset_key",
    "attestation_digest",
    "message_id",
    "rejection_id",
    "word",
]
from rwasim.consortium.crypto import keccak

MESSAGE_TAG = keccak(b"rwasim.bridge.message.v1")
REJECTED_TAG = keccak(b"rwasim.bridge.rejected.v1")
ATTEST_TAG = keccak(b"rwasim.bridge.attest.v1")
ZERO32 = b"\0" * 32


def address_bytes(address: str | bytes) -> bytes:
    """20 bytes from a 0x-hex address (any case) or bytes."""
    if isinstance(address, bytes):
        if len(address) != 20:
            raise ValueError(f"an address is 20 bytes, not {len(address)}")
        return address
    if not (isinstance(address, str) and address.startswith("0x") and len(address) == 42):
        raise ValueError(f"not a 0x address: {address!r}")
    return bytes.fromhex(address[2:])


@dataclass(frozen=True)
class BridgeMessage:
    """One cross-chain transfer; see the module docstring for the id."""

    source_chain: int
    destination_chain: int
    lane: int
    nonce: int
    token: bytes  # bytes32 asset key
    sender: bytes  # 20 bytes
    receiver: bytes  # 20 bytes
    amount: int
    payload_hash: bytes = ZERO32

    @cached_property
    def id(self) -> bytes:
        """Computed once: the book, relayers and monitor ask for it on every pass."""
        return message_id(
            self.source_chain,
            self.destination_chain,
            self.lane,
            self.nonce,
            self.token,
            self.sender,
            self.receiver,
            self.amount,
            self.payload_hash,
        )

    def as_tuple(self) -> tuple:
        """The ``BridgeTypes.Message`` struct as eth-abi wants it."""
        return (
            self.source_chain,
            self.destination_chain,
            self.lane,
            self.nonce,
            self.token,
            "0x" + self.sender.hex(),
            "0x" + self.receiver.hex(),
            self.amount,
            self.payload_hash,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source_chain": self.source_chain,
            "destination_chain": self.destination_chain,
            "lane": self.lane,
            "nonce": self.nonce,
            "token": self.token,
            "sender": self.sender,
            "receiver": self.receiver,
            "amount": self.amount,
        }


def message_id(
    source_chain: int,
    destination_chain: int,
    lane: int,
    nonce: int,
    token: bytes,
    sender: bytes,
    receiver: bytes,
    amount: int,
    payload_hash: bytes = ZERO32,
) -> bytes:
    return keccak(
        b"".join(
            word(v)
            for v in (
                MESSAGE_TAG,
                source_chain,
                destination_chain,
                lane,
                nonce,
                token,
                sender,
                receiver,
                amount,
                payload_hash,
            )
        )
    )


def rejection_id(message_id_: bytes) -> bytes:
    """Id of the consortium event recording that ``message_id_`` was rejected there."""
    return keccak(REJECTED_TAG + message_id_)


def attestation_digest(kind: str, message_id_: bytes) -> bytes:
    """What a consortium validator signs after reading ``kind`` ("sent"/"rejected") on Ethereum."""
    if kind not in ("sent", "rejected"):
        raise ValueError(f"unknown attestation kind {kind!r}")
    return keccak(ATTEST_TAG + keccak(kind.encode()) + message_id_)

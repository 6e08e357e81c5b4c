"""Blocks, their headers and quorum certificates, encoded so Solidity can check them.

Every hash here is keccak256 over ``abi.encode`` of static 32-byte words, packed by hand
(it is the hot path and the layout is trivial):

* header hash = ``keccak256(abi.encode(HEADER_TAG, chainId, height, round, parentHash,
  txRoot, eventRoot, stateRoot, timestamp, validatorSetHash, proposer))``;
* what a validator signs to commit = ``keccak256(abi.encode(COMMIT_TAG, headerHash))``;
* an event's payload hash = ``keccak256(abi.encode(keccak256(bytes(kind)), keccak256(canonical
  JSON of its fields)))``, unless an installed ledger module names another id for its kind
  (:mod:`rwasim.consortium.modules`: a bridge proves its message id, for instance);
* a transaction's payload hash is its id; leaves and roots follow :mod:`rwasim.consortium.merkle`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rwasim.consortium.crypto import InvalidSignature, keccak, recover_address
from rwasim.consortium.membership import ValidatorSet
from rwasim.consortium.transactions import Transaction

HEADER_TAG = keccak(b"rwasim.consortium.header.v1")
COMMIT_TAG = keccak(b"rwasim.consortium.commit.v1")


class InvalidCertificate(ValueError):
    """A quorum certificate that does not prove the block was committed."""


def word(value: int | bytes) -> bytes:
    """One ABI word: an unsigned integer, or bytes (bytes32 as is, an address left-padded)."""
    if isinstance(value, int):
        return value.to_bytes(32, "big")
    return value.rjust(32, b"\0")


def asset_key(asset_id: str) -> bytes:
    """The bytes32 an asset id is known by on Ethereum."""
    return keccak(asset_id.encode())


@dataclass(frozen=True, slots=True)
class BlockHeader:
    chain_id: int
    height: int
    round: int
    parent_hash: bytes
    tx_root: bytes
    event_root: bytes
    state_root: bytes
    timestamp: int
    validator_set_hash: bytes
    proposer: bytes
    hash: bytes = field(default=b"", compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", keccak(self.abi_encoded()))

    def abi_encoded(self) -> bytes:
        return b"".join(
            word(v)
            for v in (
                HEADER_TAG,
                self.chain_id,
                self.height,
                self.round,
                self.parent_hash,
                self.tx_root,
                self.event_root,
                self.state_root,
                self.timestamp,
                self.validator_set_hash,
                self.proposer,
            )
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "height": self.height,
            "round": self.round,
            "parent_hash": self.parent_hash,
            "tx_root": self.tx_root,
            "event_root": self.event_root,
            "state_root": self.state_root,
            "timestamp": self.timestamp,
            "validator_set_hash": self.validator_set_hash,
            "proposer": self.proposer,
            "hash": self.hash,
        }


def commit_digest(header_hash: bytes) -> bytes:
    """What a validator signs to commit a block."""
    return keccak(COMMIT_TAG + header_hash)


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """Something a transaction did that other chains may need proof of."""

    kind: str
    fields: dict

    def content_hash(self) -> bytes:
        """The payload hash of an event whose kind no installed module gives its own id."""
        body = json.dumps(self.fields, sort_keys=True, separators=(",", ":")).encode()
        return keccak(word(keccak(self.kind.encode())) + word(keccak(body)))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.fields}


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of one transaction in a block; a rejected one is kept with its reason."""

    tx_hash: bytes
    ok: bool
    reason: str | None
    events: tuple[LedgerEvent, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"tx": self.tx_hash, "status": "ok" if self.ok else "rejected", "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Block:
    header: BlockHeader
    transactions: tuple[Transaction, ...]

    @property
    def size(self) -> int:
        return 352 + sum(tx.size for tx in self.transactions)


@dataclass(frozen=True, slots=True)
class QuorumCertificate:
    """Commit seals of at least a quorum (ceil(2n/3)) of validators over one header hash, sorted by signer."""

    header_hash: bytes
    signatures: tuple[tuple[bytes, bytes], ...]

    def verify(self, validator_set: ValidatorSet) -> None:
        """Raise InvalidCertificate unless >= quorum distinct members of the set signed."""
        digest = commit_digest(self.header_hash)
        seen: set[bytes] = set()
        for claimed, signature in self.signatures:
            try:
                signer = recover_address(digest, signature)
            except InvalidSignature as exc:
                raise InvalidCertificate(f"bad signature: {exc}") from None
            if signer != claimed:
                raise InvalidCertificate(f"signature of 0x{claimed.hex()} recovers to 0x{signer.hex()}")
            if not validator_set.contains(signer):
                raise InvalidCertificate(f"signer 0x{signer.hex()} is not in the validator set")
            if signer in seen:
                raise InvalidCertificate(f"signer 0x{signer.hex()} appears twice")
            seen.add(signer)
        if len(seen) < validator_set.quorum:
            raise InvalidCertificate(f"{len(seen)} signatures, the quorum is {validator_set.quorum}")

    @property
    def size(self) -> int:
        return 32 + 85 * len(self.signatures)

    def to_json(self) -> dict[str, Any]:
        return {"header_hash": self.header_hash, "signers": [s for s, _ in self.signatures]}


@dataclass(frozen=True, slots=True)
class CommittedBlock:
    """A block, what its transactions did, and the certificate that made it final."""

    block: Block
    receipts: tuple[Receipt, ...]
    qc: QuorumCertificate

    @property
    def header(self) -> BlockHeader:
        return self.block.header

    @property
    def height(self) -> int:
        return self.block.header.height

    def events(self) -> list[LedgerEvent]:
        return [event for receipt in self.receipts for event in receipt.events]

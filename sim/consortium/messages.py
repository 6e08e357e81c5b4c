"""The messages validators exchange: QBFT consensus, transaction gossip and block sync.

Consensus messages are signed by their sender over a typed digest (keccak256 of ABI words),
so a relayed or forged message is caught by recovering its signer. A commit message carries
the sender's commit seal, the signature that goes into the block's quorum certificate.
Sizes approximate the wire encoding, for the bytes-per-block figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from rwasim.consortium.block import Block, CommittedBlock, word
from rwasim.consortium.crypto import InvalidSignature, KeyPair, keccak, recover_address
from rwasim.consortium.transactions import Transaction

PROPOSAL_TAG = keccak(b"rwasim.consortium.proposal.v1")
PREPARE_TAG = keccak(b"rwasim.consortium.prepare.v1")
ROUND_CHANGE_TAG = keccak(b"rwasim.consortium.round_change.v1")
_SIG = 65
_HEADER = 352


def proposal_digest(height: int, round_: int, block_hash: bytes) -> bytes:
    return keccak(PROPOSAL_TAG + word(height) + word(round_) + block_hash)


def prepare_digest(height: int, round_: int, block_hash: bytes) -> bytes:
    return keccak(PREPARE_TAG + word(height) + word(round_) + block_hash)


def round_change_digest(height: int, round_: int, prepared_round: int, prepared_hash: bytes) -> bytes:
    return keccak(ROUND_CHANGE_TAG + word(height) + word(round_) + word(prepared_round + 1) + prepared_hash)


def signer_of(digest: bytes, signature: bytes) -> bytes | None:
    """The address that signed, or None for a malformed signature."""
    try:
        return recover_address(digest, signature)
    except InvalidSignature:
        return None


@dataclass(frozen=True, slots=True)
class Prepare:
    height: int
    round: int
    block_hash: bytes
    sender: bytes
    signature: bytes
    kind = "prepare"

    @classmethod
    def make(cls, key: KeyPair, height: int, round_: int, block_hash: bytes) -> Prepare:
        return cls(height, round_, block_hash, key.address, key.sign(prepare_digest(height, round_, block_hash)))

    def valid(self) -> bool:
        return signer_of(prepare_digest(self.height, self.round, self.block_hash), self.signature) == self.sender

    @property
    def size(self) -> int:
        return 3 * 32 + 20 + _SIG


@dataclass(frozen=True, slots=True)
class Commit:
    height: int
    round: int
    block_hash: bytes
    sender: bytes
    seal: bytes  # signature of block.commit_digest(block_hash): goes into the quorum certificate
    kind = "commit"

    @property
    def size(self) -> int:
        return 3 * 32 + 20 + _SIG


@dataclass(frozen=True, slots=True)
class RoundChange:
    """A validator gives up on ``round - 1`` (or earlier) and reports the block it prepared, if any."""

    height: int
    round: int
    sender: bytes
    prepared_round: int  # -1 when nothing was prepared
    prepared_block: Block | None
    prepared_certificate: tuple[Prepare, ...]
    signature: bytes
    kind = "round_change"

    @classmethod
    def make(cls, key: KeyPair, height: int, round_: int, prepared: tuple[int, Block, tuple[Prepare, ...]] | None):
        pr, block, cert = prepared if prepared else (-1, None, ())
        digest = round_change_digest(height, round_, pr, block.header.hash if block else b"\0" * 32)
        return cls(height, round_, key.address, pr, block, cert, key.sign(digest))

    def valid(self) -> bool:
        prepared_hash = self.prepared_block.header.hash if self.prepared_block else b"\0" * 32
        digest = round_change_digest(self.height, self.round, self.prepared_round, prepared_hash)
        return signer_of(digest, self.signature) == self.sender

    @property
    def size(self) -> int:
        block = self.prepared_block.size if self.prepared_block else 0
        return 4 * 32 + 20 + _SIG + block + sum(p.size for p in self.prepared_certificate)


@dataclass(frozen=True, slots=True)
class Proposal:
    """A block proposed for ``(height, round)``; after round 0 it carries the round changes that justify it."""

    height: int
    round: int
    block: Block
    sender: bytes
    signature: bytes
    justification: tuple[RoundChange, ...] = ()
    kind = "proposal"

    @classmethod
    def make(cls, key: KeyPair, block: Block, round_: int, justification: tuple[RoundChange, ...] = ()):
        h = block.header.height
        return cls(
            h, round_, block, key.address, key.sign(proposal_digest(h, round_, block.header.hash)), justification
        )

    def valid(self) -> bool:
        return (
            signer_of(proposal_digest(self.height, self.round, self.block.header.hash), self.signature) == self.sender
        )

    @property
    def size(self) -> int:
        return 2 * 32 + 20 + _SIG + self.block.size + sum(rc.size for rc in self.justification)


@dataclass(frozen=True, slots=True)
class TxGossip:
    """Transactions a node passes on to its peers, batched per gossip interval."""

    transactions: tuple[Transaction, ...]
    kind = "tx_gossip"

    @property
    def size(self) -> int:
        return 8 + sum(tx.size for tx in self.transactions)


@dataclass(frozen=True, slots=True)
class Status:
    """A node's committed height, sent to its peers when links come back (after a partition
    heals, a link fault is lifted or a node restarts), so a peer left behind asks for the
    blocks it lacks at once instead of at the next proposal. Unsigned: a false height only
    triggers a sync request, and synced blocks are checked against their certificates."""

    height: int
    kind = "status"

    @property
    def size(self) -> int:
        return 8


@dataclass(frozen=True, slots=True)
class SyncRequest:
    from_height: int
    limit: int
    kind = "sync_request"

    @property
    def size(self) -> int:
        return 16


@dataclass(frozen=True, slots=True)
class SyncResponse:
    blocks: tuple[CommittedBlock, ...]
    tip: int
    kind = "sync_response"

    @property
    def size(self) -> int:
        return 8 + sum(b.block.size + b.qc.size for b in self.blocks)

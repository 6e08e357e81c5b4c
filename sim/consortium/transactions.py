"""Signed consortium transactions.

A transaction's id is the digest its sender signs:
``keccak256("RWASIM_TX" || canonical JSON of [chain_id, kind, sender, nonce, payload])``.
Canonical JSON (sorted keys, no spaces, bytes as 0x-hex) makes the encoding unambiguous and
cheap to produce; transactions are proven on Ethereum by their leaf hash only, so Solidity
never needs to parse it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakValueDictionary

from rwasim.consortium.crypto import InvalidSignature, KeyPair, keccak, recover_address

TX_DOMAIN = b"RWASIM_TX"


def _plain(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise TypeError(f"transaction payload values must be JSON-able, not {type(value).__name__}")


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Transaction:
    """A signed request to the consortium ledger.

    Attributes
    ----------
    chain_id : int
        The consortium ledger it is meant for (a transaction for one ledger is invalid on another).
    kind : str
        The operation, e.g. ``"token.transfer"``; permissions are per kind.
    payload : dict
        The operation's arguments (JSON-able; bytes as 0x-hex).
    sender : bytes
        20-byte address of the signing key.
    nonce : int
        The sender's sequence number; each nonce is used once.
    signature : bytes
        65-byte signature of :attr:`hash`.
    """

    chain_id: int
    kind: str
    payload: dict
    sender: bytes
    nonce: int
    signature: bytes = b""
    encoded: bytes = field(default=b"", compare=False, repr=False)
    hash: bytes = field(default=b"", compare=False, repr=False)

    @property
    def size(self) -> int:
        """Bytes on the wire: the encoding plus the signature."""
        return len(self.encoded) + len(self.signature)

    def to_json(self) -> dict[str, Any]:
        return {
            "hash": "0x" + self.hash.hex(),
            "kind": self.kind,
            "sender": "0x" + self.sender.hex(),
            "nonce": self.nonce,
            "payload": self.payload,
        }


def encode_transaction(chain_id: int, kind: str, sender: bytes, nonce: int, payload: dict) -> bytes:
    return json.dumps(
        [chain_id, kind, "0x" + sender.hex(), nonce, payload], sort_keys=True, separators=(",", ":")
    ).encode()


# Transactions whose encoding and hash were computed here from their own fields: checking
# them again would only re-encode the same payload. Anything built otherwise (the dataclass
# constructor, dataclasses.replace) gets the full check.
_WELL_FORMED: WeakValueDictionary[int, Transaction] = WeakValueDictionary()


def _well_formed(tx: Transaction) -> Transaction:
    _WELL_FORMED[id(tx)] = tx
    return tx


def make_transaction(
    chain_id: int, kind: str, payload: Mapping[str, Any], sender: bytes, nonce: int, signature: bytes = b""
) -> Transaction:
    """Build a transaction with its encoding and hash (unsigned unless ``signature`` is given)."""
    plain = _plain(dict(payload))
    encoded = encode_transaction(chain_id, kind, sender, nonce, plain)
    return _well_formed(
        Transaction(chain_id, kind, plain, sender, nonce, signature, encoded, keccak(TX_DOMAIN + encoded))
    )


def sign_transaction(key: KeyPair, kind: str, payload: Mapping[str, Any], nonce: int, chain_id: int) -> Transaction:
    """A transaction signed by ``key``."""
    plain = _plain(dict(payload))
    encoded = encode_transaction(chain_id, kind, key.address, nonce, plain)
    digest = keccak(TX_DOMAIN + encoded)
    return _well_formed(Transaction(chain_id, kind, plain, key.address, nonce, key.sign(digest), encoded, digest))


_VERIFIED: OrderedDict[int, tuple[Transaction, bool]] = OrderedDict()
_VERIFIED_MAX = 1 << 18


def verify_signature(tx: Transaction) -> bool:
    """Whether the signature recovers to the sender and the hash matches the content.

    The answer is cached per transaction object (holding a reference, so an id is never
    reused while cached): every validator of a simulation checks the same object, and the
    full check re-encodes the payload.
    """
    cached = _VERIFIED.get(id(tx))
    if cached is not None and cached[0] is tx:
        return cached[1]
    result = _verify(tx)
    _VERIFIED[id(tx)] = (tx, result)
    if len(_VERIFIED) > _VERIFIED_MAX:
        _VERIFIED.popitem(last=False)
    return result


def _verify(tx: Transaction) -> bool:
    try:  # a transaction built by hand may hold anything: it is refused, never a crash
        if (
            _WELL_FORMED.get(id(tx)) is not tx
            and keccak(TX_DOMAIN + encode_transaction(tx.chain_id, tx.kind, tx.sender, tx.nonce, tx.payload)) != tx.hash
        ):
            return False
        return recover_address(tx.hash, tx.signature) == tx.sender
    except (InvalidSignature, TypeError, ValueError, AttributeError):
        return False

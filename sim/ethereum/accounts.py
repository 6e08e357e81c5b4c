"""Accounts the simulation owns: keys derived from the run seed, and transaction signing.

Every backend sees the same addresses for the same seed (they are funded at genesis, by
``anvil_setBalance`` or from a node's unlocked account), so a scenario's results do not
depend on which EVM runs it. Transactions are legacy EIP-155 transactions signed here with
coincurve, which is both backend-neutral and fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from coincurve import PrivateKey
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from rwasim.engine.rng import derive_seed

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class LocalAccount:
    """A key the simulation holds, its checksum address and a label for reports."""

    label: str
    private_key: bytes
    address: str

    @classmethod
    def from_seed(cls, seed: int, label: str) -> LocalAccount:
        """The account for ``label`` under ``seed`` (never the wall clock or os.urandom)."""
        secret = derive_seed(seed, "ethereum-account", label).to_bytes(8, "big")
        key = int.from_bytes(keccak(b"rwasim-account" + secret + label.encode()), "big") % (SECP256K1_N - 1) + 1
        return cls.from_key(key.to_bytes(32, "big"), label)

    @classmethod
    def from_key(cls, private_key: bytes, label: str = "") -> LocalAccount:
        public = PrivateKey(private_key).public_key.format(compressed=False)[1:]
        return cls(label, private_key, to_checksum_address(keccak(public)[12:]))


def sign_legacy_transaction(
    account: LocalAccount,
    *,
    nonce: int,
    gas_price: int,
    gas: int,
    to: str | None,
    value: int,
    data: bytes,
    chain_id: int,
) -> tuple[bytes, bytes]:
    """Sign an EIP-155 legacy transaction; returns ``(raw_transaction, tx_hash)``."""
    to_bytes = bytes.fromhex(to[2:]) if to else b""
    unsigned = rlp.encode([nonce, gas_price, gas, to_bytes, value, data, chain_id, 0, 0])
    signature = PrivateKey(account.private_key).sign_recoverable(keccak(unsigned), hasher=None)
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64] + chain_id * 2 + 35
    raw = rlp.encode([nonce, gas_price, gas, to_bytes, value, data, v, r, s])
    return raw, keccak(raw)


def contract_address(sender: str, nonce: int) -> str:
    """The address a CREATE from ``sender`` at ``nonce`` deploys to."""
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])

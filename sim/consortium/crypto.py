"""Keys and hashing of the consortium ledger: secp256k1 and keccak256, as on Ethereum.

Signatures are 65 bytes ``r || s || v`` with ``v`` in {27, 28}, over a 32-byte digest, so a
Solidity contract recovers the same signer with ``ecrecover``. Verified (digest, signature)
pairs are cached: every validator of the simulation checks the same transaction, and in one
process that work need only be done once (real clients keep the same kind of cache for
their mempool).
"""

from __future__ import annotations

from functools import lru_cache

from coincurve import PrivateKey, PublicKey
from Crypto.Hash import keccak as _pycryptodome_keccak

from rwasim.engine.rng import derive_seed

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class InvalidSignature(ValueError):
    """A signature that does not recover to a public key."""


def keccak(data: bytes) -> bytes:
    """keccak256 of ``data`` (Ethereum's hash, not NIST SHA3-256).

    pycryptodome directly: eth-hash's wrapper around the same C code costs about as much
    again on the short inputs hashed here (headers, leaves, message ids).
    """
    return _pycryptodome_keccak.new(digest_bits=256, data=data).digest()


class KeyPair:
    """A secp256k1 key and its 20-byte Ethereum-style address."""

    __slots__ = ("_key", "address")

    def __init__(self, secret: bytes) -> None:
        self._key = PrivateKey(secret)
        self.address: bytes = keccak(self._key.public_key.format(compressed=False)[1:])[12:]

    @classmethod
    def from_seed(cls, seed: int, *name: object) -> KeyPair:
        """The key for ``name`` under the run seed: same seed and name, same key."""
        material = derive_seed(seed, "consortium-key", *name).to_bytes(8, "big") + repr(name).encode()
        secret = int.from_bytes(keccak(material), "big") % (SECP256K1_N - 1) + 1
        return cls(secret.to_bytes(32, "big"))

    def sign(self, digest: bytes) -> bytes:
        """A 65-byte ecrecover-compatible signature of a 32-byte digest (deterministic, RFC 6979)."""
        raw = self._key.sign_recoverable(digest, hasher=None)
        return raw[:64] + bytes((raw[64] + 27,))

    def __repr__(self) -> str:
        return f"KeyPair(0x{self.address.hex()})"


@lru_cache(maxsize=1 << 18)
def recover_address(digest: bytes, signature: bytes) -> bytes:
    """The address that signed ``digest`` (cached); raises InvalidSignature."""
    if len(signature) != 65 or signature[64] not in (27, 28):
        raise InvalidSignature("signature must be 65 bytes with v in {27, 28}")
    try:
        public = PublicKey.from_signature_and_message(
            signature[:64] + bytes((signature[64] - 27,)), digest, hasher=None
        )
    except Exception as exc:  # coincurve raises plain exceptions for malformed points
        raise InvalidSignature(f"signature does not recover: {exc}") from None
    return keccak(public.format(compressed=False)[1:])[12:]

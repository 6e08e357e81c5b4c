"""Keys, hashes, signatures and Merkle proofs agree with Ethereum's conventions."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_keys import keys
from hypothesis import given, settings
from hypothesis import strategies as st

from rwasim.consortium.block import QuorumCertificate, commit_digest
from rwasim.consortium.crypto import InvalidSignature, KeyPair, keccak, recover_address
from rwasim.consortium.membership import ValidatorSet
from rwasim.consortium.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    merkle_levels,
    merkle_proof,
    merkle_root,
    proof_from_levels,
    verify_proof,
)


def test_keccak_is_ethereums_not_nist_sha3():
    assert keccak(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_keys_are_deterministic_per_seed_and_name():
    assert KeyPair.from_seed(1, "issuer").address == KeyPair.from_seed(1, "issuer").address
    assert KeyPair.from_seed(1, "issuer").address != KeyPair.from_seed(2, "issuer").address
    assert KeyPair.from_seed(1, "issuer").address != KeyPair.from_seed(1, "bank").address


def test_signature_recovers_like_ecrecover_in_eth_keys():
    key = KeyPair.from_seed(3, "validator")
    digest = keccak(b"block")
    signature = key.sign(digest)
    assert signature[64] in (27, 28)
    assert recover_address(digest, signature) == key.address
    vrs = keys.Signature(signature[:64] + bytes([signature[64] - 27]))
    assert vrs.recover_public_key_from_msg_hash(digest).to_canonical_address() == key.address
    assert Account._recover_hash(digest, signature=signature).lower() == "0x" + key.address.hex()


def test_malformed_signatures_are_rejected():
    with pytest.raises(InvalidSignature):
        recover_address(keccak(b"x"), b"\x01" * 64 + bytes([29]))
    with pytest.raises(InvalidSignature):
        recover_address(keccak(b"x"), b"\x00" * 65)


def test_empty_tree_root_is_zero_and_single_leaf_is_its_own_root():
    assert merkle_root([]) == EMPTY_ROOT
    leaf = leaf_hash(keccak(b"a"))
    assert merkle_root([leaf]) == leaf
    assert merkle_proof([leaf], 0) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=8), min_size=1, max_size=40), st.data())
def test_every_leaf_proves_and_a_wrong_leaf_does_not(items, data):
    leaves = [leaf_hash(keccak(item)) for item in items]
    root = merkle_root(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle_proof(leaves, index)
    assert verify_proof(leaves[index], proof, root)
    assert not verify_proof(leaf_hash(keccak(b"not-in-the-tree")), proof, root)
    if proof:
        tampered = [bytes(32)] + proof[1:]
        assert not verify_proof(leaves[index], tampered, root)


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70))
def test_proofs_read_from_the_levels_match_proofs_built_alone(leaves):
    levels = merkle_levels(leaves)
    assert levels[-1] == [merkle_root(leaves)]
    for index in range(len(leaves)):
        assert proof_from_levels(levels, index) == merkle_proof(leaves, index)


def test_proof_index_out_of_range():
    with pytest.raises(IndexError):
        merkle_proof([leaf_hash(keccak(b"a"))], 1)


def test_bft_arithmetic():
    for n, f, quorum in [(1, 0, 1), (4, 1, 3), (7, 2, 5), (16, 5, 11), (31, 10, 21), (64, 21, 43)]:
        vs = ValidatorSet(tuple(KeyPair.from_seed(0, "v", i).address for i in range(n)))
        assert (vs.n, vs.f, vs.quorum) == (n, f, quorum)


def test_quorum_certificate_checks():
    keys_ = [KeyPair.from_seed(0, "v", i) for i in range(4)]
    vs = ValidatorSet(tuple(k.address for k in keys_))
    header_hash = keccak(b"header")
    seals = sorted((k.address, k.sign(commit_digest(header_hash))) for k in keys_[:3])
    QuorumCertificate(header_hash, tuple(seals)).verify(vs)
    with pytest.raises(ValueError, match="quorum is 3"):
        QuorumCertificate(header_hash, tuple(seals[:2])).verify(vs)
    with pytest.raises(ValueError, match="twice"):
        QuorumCertificate(header_hash, tuple(seals[:2] + seals[:1])).verify(vs)
    outsider = KeyPair.from_seed(0, "outsider")
    with pytest.raises(ValueError, match="not in the validator set"):
        QuorumCertificate(
            header_hash, tuple(seals[:2]) + ((outsider.address, outsider.sign(commit_digest(header_hash))),)
        ).verify(vs)
    with pytest.raises(ValueError, match="recovers to"):
        QuorumCertificate(keccak(b"other header"), tuple(seals)).verify(vs)

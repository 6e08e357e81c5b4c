"""Binary keccak256 Merkle trees with inclusion proofs that Solidity checks cheaply.

Conventions (those of OpenZeppelin's ``MerkleProof``):

* a leaf is ``keccak256(bytes.concat(keccak256(payload)))`` — hashed twice, so no 64-byte
  internal node can pass for a leaf (second-preimage safety);
* an internal node is ``keccak256(min(a, b) || max(a, b))`` — pairs are sorted, so a proof is
  just the list of sibling hashes, with no left/right flags;
* an odd node at the end of a level is carried up unchanged;
* the root of an empty tree is 32 zero bytes.
"""

from __future__ import annotations

from rwasim.consortium.crypto import keccak

EMPTY_ROOT = b"\0" * 32


def leaf_hash(payload_hash: bytes) -> bytes:
    """The leaf of an item whose own keccak256 is ``payload_hash``."""
    return keccak(payload_hash)


def _parent(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def merkle_root(leaves: list[bytes]) -> bytes:
    """The root over ``leaves`` (already leaf-hashed)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        nxt = [_parent(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def merkle_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root last: hashed once, then any number of
    proofs read from it (a relayer proves many events of one block)."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        nxt = [_parent(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        levels.append(nxt)
    return levels


def proof_from_levels(levels: list[list[bytes]], index: int) -> list[bytes]:
    """Sibling hashes from leaf ``index`` up to the root, read from :func:`merkle_levels`."""
    if not levels or not 0 <= index < len(levels[0]):
        raise IndexError(f"leaf index {index} out of range for {len(levels[0]) if levels else 0} leaves")
    proof = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def merkle_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """Sibling hashes from leaf ``index`` up to the root."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf index {index} out of range for {len(leaves)} leaves")
    return proof_from_levels(merkle_levels(leaves), index)


def verify_proof(leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    """Whether ``leaf`` with ``proof`` hashes up to ``root``."""
    node = leaf
    for sibling in proof:
        node = _parent(node, sibling)
    return node == root

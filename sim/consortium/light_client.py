"""A light client of the consortium ledger: it holds only the validator set.

It accepts a header when a quorum of that set signed its commit digest, and an item (a
transaction or an event) when a Merkle path leads from the item's leaf to the matching root
of an accepted header. It follows validator-set changes only through a proven
``governance.enacted`` event, certified by the set it already trusts. These are the checks
the bridge contract on Ethereum performs with ``ecrecover`` and ``MerkleProof``.
"""

from __future__ import annotations

from rwasim.consortium.block import BlockHeader, InvalidCertificate, LedgerEvent, QuorumCertificate, Transaction
from rwasim.consortium.membership import ValidatorSet
from rwasim.consortium.merkle import leaf_hash, verify_proof
from rwasim.consortium.modules import LedgerModules
from rwasim.consortium.state import core_modules


class InvalidProof(ValueError):
    """A header, certificate or inclusion path that does not check out."""


class LightClient:
    """Verifies headers, certificates and inclusion proofs of one consortium chain.

    Parameters
    ----------
    chain_id : int
        The consortium chain it follows.
    validator_set : ValidatorSet
        The set it trusts (from genesis, or handed over through governance events).
    modules : LedgerModules, optional
        The chain's installed ledger modules (``ledger.modules``), which say what id an event of
        a module's kind is proven by; default the base state machine only.
    """

    def __init__(self, chain_id: int, validator_set: ValidatorSet, modules: LedgerModules | None = None) -> None:
        self.chain_id = chain_id
        self.validator_set = validator_set
        self.modules = modules if modules is not None else core_modules()
        self.highest: BlockHeader | None = None

    def verify_header(self, header: BlockHeader, qc: QuorumCertificate) -> None:
        """Raise InvalidProof unless ``header`` is of this chain, by this set, and certified by a quorum."""
        if header.chain_id != self.chain_id:
            raise InvalidProof(f"header of chain {header.chain_id}, expected {self.chain_id}")
        if header.validator_set_hash != self.validator_set.hash:
            raise InvalidProof("header names another validator set than the one this client trusts")
        if qc.header_hash != header.hash:
            raise InvalidProof("certificate is for another header")
        try:
            qc.verify(self.validator_set)
        except InvalidCertificate as exc:
            raise InvalidProof(f"certificate rejected: {exc}") from None
        if self.highest is None or header.height > self.highest.height:
            self.highest = header

    def verify(self, proof) -> Transaction | LedgerEvent:
        """Check an :class:`~rwasim.consortium.ledger.InclusionProof`; return the proven item."""
        self.verify_header(proof.header, proof.qc)
        if proof.kind == "transaction":
            expected_leaf, root = leaf_hash(proof.item.hash), proof.header.tx_root
        elif proof.kind == "event":
            expected_leaf, root = leaf_hash(self.modules.event_id(proof.item, self.chain_id)), proof.header.event_root
        else:
            raise InvalidProof(f"unknown proof kind {proof.kind!r}")
        if proof.leaf != expected_leaf:
            raise InvalidProof(f"the leaf is not the hash of the {proof.kind} it claims to prove")
        if not verify_proof(proof.leaf, list(proof.path), root):
            raise InvalidProof(f"Merkle path does not lead to the header's {proof.kind} root")
        return proof.item

    def follow_validator_change(self, proof) -> ValidatorSet:
        """Adopt the set enacted by a proven ``governance.enacted`` validator event; return it."""
        event = self.verify(proof)
        if not isinstance(event, LedgerEvent):
            raise InvalidProof("not a validator-set change: the proof is of a transaction, not an event")
        action = event.fields.get("action")
        if event.kind != "governance.enacted" or "validator_set_hash" not in event.fields:
            raise InvalidProof("not a validator-set change")
        current = set(self.validator_set.validators)
        if action == "remove_organisation":
            current -= {bytes.fromhex(a[2:]) for a in event.fields["validators_removed"]}
        else:
            address = bytes.fromhex(event.fields["args"]["address"][2:])
            current = current | {address} if action == "add_validator" else current - {address}
        new_set = ValidatorSet(tuple(sorted(current)))
        if "0x" + new_set.hash.hex() != event.fields.get("validator_set_hash"):
            raise InvalidProof("the enacted set does not match the event's validator-set hash")
        self.validator_set = new_set
        return new_set

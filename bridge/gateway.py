"""The Ethereum end of the bridge: deploying the gateway, its verifiers and the wrapped token,
and encoding the evidence each verifier checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_abi import encode

from rwasim.bridge import ledger_module
from rwasim.consortium.crypto import KeyPair
from rwasim.consortium.ledger import ConsortiumLedger, InclusionProof
from rwasim.consortium.membership import ValidatorSet
from rwasim.ethereum.chain import Contract, EthereumChain
from rwasim.ethereum.suite import TokenSuite, deploy_token_suite

HEADER_TYPE = "(uint256,uint256,uint256,bytes32,bytes32,bytes32,bytes32,uint256,bytes32,address)"
VERIFIER_KINDS = ("quorum", "committee", "optimistic")


def checksum(address: bytes) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(address)


def header_tuple(header) -> tuple:
    return (
        header.chain_id,
        header.height,
        header.round,
        header.parent_hash,
        header.tx_root,
        header.event_root,
        header.state_root,
        header.timestamp,
        header.validator_set_hash,
        checksum(header.proposer),
    )


def encode_quorum_evidence(header, seals: Sequence[bytes], paths: Sequence[Sequence[bytes]]) -> bytes:
    """``abi.encode(Header, bytes[] seals, bytes32[][] paths)``: what ``QuorumVerifier`` decodes."""
    return encode(
        [HEADER_TYPE, "bytes[]", "bytes32[][]"], [header_tuple(header), list(seals), [list(p) for p in paths]]
    )


def quorum_evidence(proofs: Sequence[InclusionProof]) -> bytes:
    """``abi.encode(Header, bytes[] seals sorted by signer, bytes32[][] paths)`` for one header."""
    if not proofs:
        raise ValueError("evidence needs at least one proof")
    header, qc = proofs[0].header, proofs[0].qc
    if any(p.header.hash != header.hash for p in proofs):
        raise ValueError("a batch's proofs must all come from one block")
    seals = [signature for _, signature in sorted(qc.signatures)]
    return encode_quorum_evidence(header, seals, [p.path for p in proofs])


def committee_evidence(signatures: Sequence[tuple[bytes, bytes]]) -> bytes:
    """``abi.encode(bytes[])`` of (member address, signature) pairs, sorted by member."""
    return encode(["bytes[]"], [[sig for _, sig in sorted(signatures)]])


def rotation_digest(chain_id: int, epoch: int, new_set: ValidatorSet) -> bytes:
    """What the current validators sign to hand the verifier over to ``new_set``."""
    from rwasim.bridge.codec import word
    from rwasim.consortium.crypto import keccak

    rotate_tag = keccak(b"rwasim.bridge.rotate.v1")
    return keccak(rotate_tag + word(chain_id) + word(epoch) + new_set.hash)  # hash = abi.encode(validators, quorum)


@dataclass
class EthereumEnd:
    """What the bridge deployed on Ethereum for one lane."""

    gateway: Contract
    verifier: Contract
    verifier_kind: str
    suite: TokenSuite
    lane: int
    asset_id: str
    guardian: str = ""
    committee: list[KeyPair] = field(default_factory=list)  # the signers of a committee verifier, else empty

    @property
    def token(self) -> Contract:
        return self.suite.token


def deploy_ethereum_end(
    chain: EthereumChain,
    ledger: ConsortiumLedger,
    *,
    asset_id: str,
    lane: int,
    issuer: str,
    guardian: str,
    verifier: str = "quorum",
    name: str = "Wrapped Note",
    symbol: str = "wNOTE",
    modules: dict | None = None,
    committee_size: int = 9,
    committee_threshold: int = 5,
    fraud_window: int = 1800,
    watchers: Sequence[str] = (),
) -> EthereumEnd:
    """Deploy gateway, verifier and wrapped token for ``asset_id`` on ``lane`` and wire them.

    Parameters
    ----------
    verifier : {"quorum", "committee", "optimistic"}
        ``quorum``: an on-chain light client of the consortium's validator set (ceil(2n/3) seals);
        ``committee``: an external ``committee_threshold``-of-``committee_size`` multisig;
        ``optimistic``: accepted after ``fraud_window`` seconds unless a watcher challenges.
    """
    from rwasim.bridge.codec import asset_key

    if verifier not in VERIFIER_KINDS:
        raise ValueError(f"unknown verifier {verifier!r}; choose one of {', '.join(VERIFIER_KINDS)}")
    ledger_module.install(ledger)  # the consortium end of the lane: locks, releases, refunds, halts
    gateway = chain.deploy("BridgeGateway", guardian, sender=issuer)
    committee: list[KeyPair] = []
    if verifier == "quorum":
        vs = ledger.validator_set
        contract = chain.deploy(
            "QuorumVerifier", ledger.chain_id, [checksum(v) for v in vs.validators], vs.quorum, sender=issuer
        )
    elif verifier == "committee":
        committee = sorted(
            (KeyPair.from_seed(chain.sim.seed, "bridge-committee", lane, i) for i in range(committee_size)),
            key=lambda k: k.address,
        )
        contract = chain.deploy(
            "CommitteeVerifier", [checksum(k.address) for k in committee], committee_threshold, sender=issuer
        )
    else:
        contract = chain.deploy("OptimisticVerifier", fraud_window, list(watchers), sender=issuer)
    suite = deploy_token_suite(
        chain, name=name, symbol=symbol, issuer=issuer, agents=[gateway.address], modules=modules or {}
    )
    chain.transact(
        gateway,
        "configureLane",
        lane,
        suite.token.address,
        asset_key(asset_id),
        ledger.chain_id,
        contract.address,
        sender=issuer,
    )
    return EthereumEnd(gateway, contract, verifier, suite, lane, asset_id, guardian, committee)

"""The consortium ledger: a permissioned BFT chain (the AntChain / Besu-QBFT role).

Modules, one concept each: ``crypto`` (secp256k1, keccak256), ``membership`` (organisations,
roles, validator sets), ``transactions`` (signed requests), ``state`` (the state machine), ``modules`` (how other
packages teach a ledger more transaction kinds), ``shapes`` (validator network graphs),
``merkle`` and ``block`` (headers, certificates, Solidity-checkable encodings), ``messages``
and ``network`` (what validators send and how it travels), ``node`` (QBFT, commit, sync),
``storage`` (SQLite per node), ``light_client`` (proof checking), ``faults`` (named fault
injection) and ``ledger`` (the facade scenarios use).
"""

from rwasim.consortium.block import BlockHeader, CommittedBlock, LedgerEvent, QuorumCertificate, Receipt
from rwasim.consortium.crypto import KeyPair, keccak
from rwasim.consortium.faults import FaultError, FaultInjector
from rwasim.consortium.ledger import ConsortiumLedger, InclusionProof, LedgerClient, SafetyViolation, TxHandle
from rwasim.consortium.light_client import InvalidProof, LightClient
from rwasim.consortium.membership import OrgRole, ValidatorSet
from rwasim.consortium.node import ConsensusConfig, ValidatorNode
from rwasim.consortium.storage import NodeStore, SimulatedCrash, StorageError
from rwasim.consortium.transactions import Transaction, sign_transaction

__all__ = [
    "BlockHeader",
    "CommittedBlock",
    "LedgerEvent",
    "QuorumCertificate",
    "Receipt",
    "KeyPair",
    "keccak",
    "FaultError",
    "FaultInjector",
    "ConsortiumLedger",
    "InclusionProof",
    "LedgerClient",
    "SafetyViolation",
    "TxHandle",
    "InvalidProof",
    "LightClient",
    "OrgRole",
    "ValidatorSet",
    "ConsensusConfig",
    "ValidatorNode",
    "NodeStore",
    "SimulatedCrash",
    "StorageError",
    "Transaction",
    "sign_transaction",
]

"""Who takes part in the consortium: organisations, their validators and their clients.

Every key belongs to an organisation. What a key may do is a permission of its organisation's
role (an issuer registers assets, a bank mints cash, a regulator only reads and orders
freezes); joining or removing an organisation or a validator is a governance decision that
needs two thirds of the organisations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from rwasim.consortium.crypto import keccak


class OrgRole(str, Enum):
    TECH_PROVIDER = "tech_provider"
    ISSUER = "issuer"
    BANK = "bank"
    CUSTODIAN = "custodian"
    REGULATOR = "regulator"
    BRIDGE = "bridge"
    INVESTOR = "investor"


# Transaction kinds of the ledger's own state machine each role may submit (installed ledger
# modules grant their own kinds). Governance votes need an organisation admin key.
ROLE_PERMISSIONS: dict[OrgRole, frozenset[str]] = {
    OrgRole.TECH_PROVIDER: frozenset({"governance.propose", "governance.vote", "identity.register"}),
    OrgRole.ISSUER: frozenset(
        {
            "governance.propose",
            "governance.vote",
            "asset.register",
            "asset.document",
            "asset.fixing",
            "asset.corporate_action",
            "token.mint",
            "token.burn",
            "token.transfer",
            "token.pause",
            "token.freeze",
            "token.freeze_partial",
            "token.forced_transfer",
            "identity.register",
            "htlc.lock",
            "htlc.claim",
            "htlc.refund",
            "dvp.propose",
            "dvp.accept",
            "dvp.cancel",
        }
    ),
    OrgRole.BANK: frozenset(
        {
            "governance.propose",
            "governance.vote",
            "asset.register",
            "token.mint",
            "token.burn",
            "token.transfer",
            "identity.register",
            "htlc.lock",
            "htlc.claim",
            "htlc.refund",
            "dvp.propose",
            "dvp.accept",
            "dvp.cancel",
        }
    ),
    OrgRole.CUSTODIAN: frozenset(
        {
            "governance.propose",
            "governance.vote",
            "token.transfer",
            "htlc.lock",
            "htlc.claim",
            "htlc.refund",
            "dvp.propose",
            "dvp.accept",
            "dvp.cancel",
        }
    ),
    OrgRole.REGULATOR: frozenset({"governance.vote", "token.freeze", "token.pause"}),
    OrgRole.BRIDGE: frozenset(),  # the operator of a bridge; its kinds come with the bridge module
    OrgRole.INVESTOR: frozenset(
        {
            "token.transfer",
            "htlc.lock",
            "htlc.claim",
            "htlc.refund",
            "dvp.propose",
            "dvp.accept",
            "dvp.cancel",
        }
    ),
}
GOVERNANCE_ROLES = frozenset(
    {OrgRole.TECH_PROVIDER, OrgRole.ISSUER, OrgRole.BANK, OrgRole.CUSTODIAN, OrgRole.REGULATOR}
)


@dataclass(frozen=True)
class Organisation:
    """A member of the consortium with its admin key's address."""

    org_id: str
    role: OrgRole
    address: bytes


def bft_quorum(n: int) -> int:
    """Signatures a decision of ``n`` validators needs: ``ceil(2n / 3)``, as Besu's QBFT.

    ``2f + 1`` with ``f = (n - 1) // 3`` is too small unless n = 3f+1 (n = 6 gives 3, and a
    3|3 partition then commits two blocks at one height). With ``ceil(2n / 3)`` two quorums
    overlap in at least ``2q - n >= f + 1`` validators, one of them honest, and the ``n - f``
    honest validators still make a quorum.
    """
    if n < 1:
        raise ValueError("a validator set needs at least one validator")
    return -(-2 * n // 3)


@dataclass(frozen=True)
class ValidatorSet:
    """The validators (sorted addresses) and the BFT arithmetic on them.

    ``f = (n - 1) // 3`` faults are tolerated; a quorum is ``ceil(2n / 3)`` signatures
    (:func:`bft_quorum`), so any two quorums share an honest validator for every n, not only
    for n = 3f+1.
    """

    validators: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if len(self.validators) == 0:
            raise ValueError("a validator set needs at least one validator")
        if list(self.validators) != sorted(set(self.validators)):
            object.__setattr__(self, "validators", tuple(sorted(set(self.validators))))

    @property
    def n(self) -> int:
        return len(self.validators)

    @property
    def f(self) -> int:
        return (self.n - 1) // 3

    @property
    def quorum(self) -> int:
        return bft_quorum(self.n)

    @property
    def hash(self) -> bytes:
        """keccak256(abi.encode(address[] validators, uint256 quorum)): Solidity can recompute it."""
        words = [(32 * 2).to_bytes(32, "big"), self.quorum.to_bytes(32, "big"), self.n.to_bytes(32, "big")]
        words += [v.rjust(32, b"\0") for v in self.validators]
        return keccak(b"".join(words))

    def proposer(self, height: int, round_: int) -> bytes:
        """Round-robin proposer: a new validator every height and every round change."""
        return self.validators[(height + round_) % self.n]

    def contains(self, address: bytes) -> bool:
        return address in self.validators

    def index(self, address: bytes) -> int:
        return self.validators.index(address)


def governance_threshold(n_organisations: int) -> int:
    """Approvals a governance proposal needs: two thirds of the organisations, rounded up."""
    return math.ceil(2 * n_organisations / 3)


@dataclass
class Membership:
    """Organisations, validators and client keys, each tied to an organisation."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    clients: dict[bytes, str] = field(default_factory=dict)  # address -> org_id
    validators: dict[bytes, str] = field(default_factory=dict)  # address -> org_id

    def add_organisation(self, org: Organisation) -> None:
        self.organisations[org.org_id] = org
        self.clients[org.address] = org.org_id

    def remove_organisation(self, org_id: str) -> None:
        self.organisations.pop(org_id, None)
        for table in (self.clients, self.validators):
            for address in [a for a, o in table.items() if o == org_id]:
                del table[address]

    def org_of(self, address: bytes) -> Organisation | None:
        org_id = self.clients.get(address)
        return self.organisations.get(org_id) if org_id is not None else None

    def may(self, address: bytes, kind: str) -> bool:
        org = self.org_of(address)
        return org is not None and kind in ROLE_PERMISSIONS[org.role]

    def governance_members(self) -> list[str]:
        return sorted(o.org_id for o in self.organisations.values() if o.role in GOVERNANCE_ROLES)

    def validator_set(self) -> ValidatorSet:
        return ValidatorSet(tuple(sorted(self.validators)))

    def copy(self) -> Membership:
        return Membership(dict(self.organisations), dict(self.clients), dict(self.validators))

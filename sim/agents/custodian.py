"""A custodian: one omnibus account on the consortium for many beneficial owners.

The chain sees one holder, the custodian; who owns what inside the omnibus account lives in
the custodian's own books. That is exactly what a regulator's see-through view has to look
into, and what a payment run must pass on to the right people: the custodian receives
coupons and redemptions for the omnibus account and credits each beneficial owner by the
units on its books.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rwasim.agents.investors import InvestorProfile
from rwasim.consortium.ledger import ConsortiumLedger


@dataclass
class CustodyAccount:
    """One beneficial owner's sub-account in the custodian's books."""

    profile: InvestorProfile
    units: int = 0
    cash_cents: int = 0


class Custodian:
    """Holds units for its clients in an omnibus account (the ``custodian`` organisation's key).

    It subscribes as one investor (professional, in its own country) for the sum of its
    clients' orders, and keeps the split in :attr:`accounts`.
    """

    def __init__(
        self, ledger: ConsortiumLedger, *, name: str = "custodian", country: int = 344, registrar: Any = None
    ) -> None:
        self.ledger = ledger
        self.sim = ledger.sim
        self.name = name
        self.client = ledger.org_client("custodian")
        self.wallet = None
        self.country = country
        self.investor_class = "professional"
        self.accounts: dict[str, CustodyAccount] = {}
        if registrar is not None:  # the omnibus account needs an identity to hold anything
            handle = registrar.submit(
                "identity.register",
                {"holder": self.client.holder, "country": country, "investor_class": "professional"},
            )
            ledger.settle(handle)
            if not handle.ok:
                raise RuntimeError(f"could not register the custodian's identity: {handle.reason}")

    @property
    def chain(self) -> str:
        return "consortium"

    @property
    def holder(self) -> str:
        return self.client.holder

    def take_clients(self, profiles: list[InvestorProfile]) -> None:
        """Open a sub-account for each client."""
        for profile in profiles:
            self.accounts[profile.name] = CustodyAccount(profile)
        self.sim.record("custodian.clients", "custodian", custodian=self.name, clients=len(profiles))

    def orders(self, eligible: Any) -> int:
        """The omnibus order: the sum of the clients' appetites that ``eligible(profile)`` admits."""
        return sum(a.profile.appetite for a in self.accounts.values() if eligible(a.profile))

    def book_allocation(self, units: int, eligible: Any) -> None:
        """Split the omnibus allocation over the eligible clients pro rata to their orders."""
        from rwasim.agents.offer import allocate_pro_rata

        requests = [(name, a.profile.appetite) for name, a in self.accounts.items() if eligible(a.profile)]
        for name, share in allocate_pro_rata(requests, units).items():
            self.accounts[name].units += share
        self.sim.record("custodian.booked", "custodian", custodian=self.name, units=units, clients=len(requests))

    def distribute(self, per_unit_cents: int, kind: str) -> int:
        """Credit a payment received for the omnibus account to each client by units held; returns cents."""
        paid = 0
        for account in self.accounts.values():
            account.cash_cents += account.units * per_unit_cents
            paid += account.units * per_unit_cents
        self.sim.record("custodian.distributed", "custodian", custodian=self.name, payment=kind, cents=paid)
        return paid

    def retire(self) -> None:
        """Units redeemed: the books hold none any more."""
        for account in self.accounts.values():
            account.units = 0

    def beneficial_owners(self) -> dict[str, int]:
        """Client -> units, as the see-through view shows them (sorted)."""
        return {name: a.units for name, a in sorted(self.accounts.items()) if a.units}

    def books_match(self, asset_id: str) -> bool:
        """The sub-accounts add up to the omnibus balance on the ledger."""
        return sum(a.units for a in self.accounts.values()) == self.ledger.state.balance_of(asset_id, self.holder)

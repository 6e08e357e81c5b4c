"""The licensed issuer agent: every regulated action checks its licences first.

This is the part of the issuer that exists today: licences, and onboarding investors on both
chains (KYC, investor class and country written to the consortium ledger's identity records
and to the Ethereum token's identity registry). The offer, DvP issuance and the product
lifecycle build on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.agents.investors import InvestorProfile
from sim.agents.licences import LicenceError, Licences
from sim.consortium.ledger import ConsortiumLedger, LedgerClient
from sim.engine import Simulation


@dataclass
class OnboardedInvestor:
    """An investor after KYC: its consortium client and its Ethereum wallet, both registered."""

    profile: InvestorProfile
    client: LedgerClient | None
    wallet: str | None

    @property
    def name(self) -> str:
        return self.profile.name


class LicensedIssuer:
    """A regulated broker issuing structured notes.

    Parameters
    ----------
    sim : Simulation
    name : str
    licences : Licences
    ledger : ConsortiumLedger, optional
        The consortium ledger it is a member of (as organisation ``org_id``).
    chain : EthereumChain, optional
        The public chain; ``eth_account`` signs there (default ``chain.accounts[0]``).
    jurisdiction : str
        Where it acts (licences are checked there).
    """

    def __init__(self, sim: Simulation, name: str, licences: Licences, *, ledger: ConsortiumLedger | None = None,
                 org_id: str = "issuer", chain: Any = None, eth_account: str | None = None,
                 jurisdiction: str = "HK") -> None:
        self.sim = sim
        self.name = name
        self.licences = licences
        self.ledger = ledger
        self.client = ledger.org_client(org_id) if ledger is not None else None
        self.org_id = org_id
        self.chain = chain
        self.eth_account = eth_account or (chain.accounts[0] if chain is not None else None)
        self.jurisdiction = jurisdiction
        sim.record("agent.issuer", "issuer", name=name, licences=licences.to_json(), jurisdiction=jurisdiction)

    def require(self, activity: str) -> None:
        """Check the licences for ``activity``; a refusal is recorded and raised as LicenceError."""
        try:
            self.licences.require(activity, self.jurisdiction)
        except LicenceError as exc:
            self.sim.record("agent.refused", "issuer", issuer=self.name, activity=activity, reason=str(exc))
            raise

    def onboard(self, profiles: list[InvestorProfile], *, suite: Any = None) -> list[OnboardedInvestor]:
        """KYC each investor and write identity, class and country to both chains.

        On the consortium each investor gets a client key admitted by this issuer and an
        identity record; on Ethereum a wallet registered in ``suite``'s identity registry
        with KYC and investor-class claims. Either chain may be absent.
        """
        self.require("onboard_investor")
        if self.ledger is None and (self.chain is None or suite is None):
            raise ValueError("onboarding needs a consortium ledger, or an Ethereum chain and a token suite")
        onboarded: list[OnboardedInvestor] = []
        handles = []
        for profile in profiles:
            client = None
            if self.ledger is not None:
                client, joined = self.ledger.add_client(profile.name, self.org_id)
                handles.append(joined)
            onboarded.append(OnboardedInvestor(profile, client, None))
        if handles:
            self.ledger.settle(*handles)
            identities = [self.client.submit("identity.register", {
                "holder": investor.client.holder, "country": investor.profile.country,
                "investor_class": investor.profile.investor_class}) for investor in onboarded]
            self.ledger.settle(*identities)
            refused = [h.reason for h in handles + identities if not h.ok]
            if refused:
                raise RuntimeError(f"onboarding on {self.ledger.name} failed: {refused[:3]}")
        if self.chain is not None and suite is not None:
            from sim.ethereum.suite import register_investor

            for investor in onboarded:
                investor.wallet = self.chain.new_account(investor.profile.name)
                register_investor(self.chain, suite, investor.wallet, country=investor.profile.country,
                                  investor_class=investor.profile.investor_class)
        self.sim.record("agent.onboarded", "issuer", issuer=self.name, investors=len(onboarded),
                        consortium=self.ledger is not None, ethereum=suite is not None)
        return onboarded

"""The licensed issuer agent: every regulated action checks its licences first.

The issuer onboards investors on both chains (KYC, investor class and country written to
the consortium ledger's identity records and to the Ethereum token's identity registry),
registers a note on the consortium and lists it on Ethereum over a bridge lane. The offer
(:mod:`rwasim.agents.offer`) and the lifecycle (:mod:`rwasim.agents.lifecycle`) act for it and
check its licences through :meth:`LicensedIssuer.require`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rwasim.agents.investors import InvestorProfile
from rwasim.agents.licences import LicenceError, Licences
from rwasim.consortium.ledger import ConsortiumLedger, LedgerClient
from rwasim.engine import Simulation

if TYPE_CHECKING:
    from rwasim.agents.note import IssuedNote


@dataclass
class OnboardedInvestor:
    """An investor after KYC: its consortium client and its Ethereum wallet, both registered."""

    profile: InvestorProfile
    client: LedgerClient | None
    wallet: str | None

    @property
    def name(self) -> str:
        return self.profile.name

    def consortium_client(self) -> LedgerClient:
        """Its client on the consortium ledger; ValueError if it was onboarded without one."""
        if self.client is None:
            raise ValueError(f"investor {self.name} has no consortium client")
        return self.client

    def ethereum_wallet(self) -> str:
        """Its registered Ethereum wallet; ValueError if it has none."""
        if self.wallet is None:
            raise ValueError(f"investor {self.name} has no Ethereum wallet")
        return self.wallet

    @property
    def chain(self) -> str:
        """Where it holds the note: Ethereum if it has a wallet and prefers Ethereum, else the consortium."""
        return "ethereum" if self.wallet is not None and self.profile.chain == "ethereum" else "consortium"

    @property
    def investor_class(self) -> str:
        return self.profile.investor_class

    @property
    def country(self) -> int:
        return self.profile.country


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

    def __init__(
        self,
        sim: Simulation,
        name: str,
        licences: Licences,
        *,
        ledger: ConsortiumLedger | None = None,
        org_id: str = "issuer",
        chain: Any = None,
        eth_account: str | None = None,
        jurisdiction: str = "HK",
        country_code: int = 344,
    ) -> None:
        self.sim = sim
        self.name = name
        self.licences = licences
        self.ledger = ledger
        self.client = ledger.org_client(org_id) if ledger is not None else None
        self.org_id = org_id
        self.chain = chain
        self.eth_account: str | None = eth_account or (chain.accounts[0] if chain is not None else None)
        self.jurisdiction = jurisdiction
        self.country_code = country_code
        sim.record("agent.issuer", "issuer", name=name, licences=licences.to_json(), jurisdiction=jurisdiction)

    def on_consortium(self, purpose: str) -> tuple[ConsortiumLedger, LedgerClient]:
        """The consortium ledger and this issuer's admin client on it; ValueError if it has no ledger."""
        if self.ledger is None or self.client is None:
            raise ValueError(f"{purpose} needs the consortium ledger")
        return self.ledger, self.client

    def ethereum_account(self) -> str:
        """The account it signs with on Ethereum; ValueError if it has no Ethereum chain."""
        if self.eth_account is None:
            raise ValueError(f"issuer {self.name} has no Ethereum account")
        return self.eth_account

    def require(self, activity: str) -> None:
        """Check the licences for ``activity``; a refusal is recorded and raised as LicenceError."""
        try:
            self.licences.require(activity, self.jurisdiction)
        except LicenceError as exc:
            self.sim.record("agent.refused", "issuer", issuer=self.name, activity=activity, reason=str(exc))
            raise

    def onboard(
        self, profiles: list[InvestorProfile], *, suite: Any = None, wallets: str = "all"
    ) -> list[OnboardedInvestor]:
        """KYC each investor and write identity, class and country to both chains.

        On the consortium each investor gets a client key admitted by this issuer and an
        identity record; on Ethereum a wallet registered in ``suite``'s identity registry
        with KYC and investor-class claims. Either chain may be absent. ``wallets="home"``
        gives Ethereum wallets only to investors whose profile's chain is Ethereum (the
        others hold on the consortium alone), ``"all"`` to everyone.
        """
        if wallets not in ("all", "home"):
            raise ValueError(f"wallets must be 'all' or 'home', not {wallets!r}")
        self.require("onboard_investor")
        if self.ledger is None and (self.chain is None or suite is None):
            raise ValueError("onboarding needs a consortium ledger, or an Ethereum chain and a token suite")
        onboarded: list[OnboardedInvestor] = []
        if self.ledger is None:
            onboarded = [OnboardedInvestor(profile, None, None) for profile in profiles]
        else:
            ledger, admin = self.on_consortium("onboarding")
            clients: list[LedgerClient] = []
            handles = []
            for profile in profiles:
                client, joined = ledger.add_client(profile.name, self.org_id)
                clients.append(client)
                handles.append(joined)
                onboarded.append(OnboardedInvestor(profile, client, None))
            if handles:
                ledger.settle(*handles)
                identities = [
                    admin.submit(
                        "identity.register",
                        {
                            "holder": client.holder,
                            "country": investor.profile.country,
                            "investor_class": investor.profile.investor_class,
                        },
                    )
                    for investor, client in zip(onboarded, clients)
                ]
                ledger.settle(*identities)
                refused = [h.reason for h in handles + identities if not h.ok]
                if refused:
                    raise RuntimeError(f"onboarding on {ledger.name} failed: {refused[:3]}")
        if self.chain is not None and suite is not None:
            from rwasim.ethereum.suite import register_investors

            on_ethereum = [
                i for i in onboarded if wallets == "all" or self.ledger is None or i.profile.chain == "ethereum"
            ]
            registered: list[tuple[str, int, str]] = []
            for investor in on_ethereum:
                wallet: str = self.chain.new_account(investor.profile.name)
                investor.wallet = wallet
                registered.append((wallet, investor.profile.country, investor.profile.investor_class))
            register_investors(self.chain, suite, registered)
        self.sim.record(
            "agent.onboarded",
            "issuer",
            issuer=self.name,
            investors=len(onboarded),
            consortium=self.ledger is not None,
            ethereum=suite is not None,
        )
        return onboarded

    def register_note(self, term_sheet: Any, *, document_uri: str = "") -> IssuedNote:
        """Register ``term_sheet`` as an asset on the consortium: its hash, its document hash, its eligibility.

        The issuer's own account gets an identity first, since it holds the units between
        minting and delivery.
        """
        from rwasim.agents.note import IssuedNote, eligibility_rules, term_sheet_hash

        self.require("register_product")
        ledger, admin = self.on_consortium("registering a note")
        if term_sheet.issuer != self.name:
            raise ValueError(f"term sheet {term_sheet.id} names issuer {term_sheet.issuer!r}, not {self.name!r}")
        handles = []
        if ledger.state.identity(admin.holder) is None:
            handles.append(
                admin.submit(
                    "identity.register",
                    {"holder": admin.holder, "country": self.country_code, "investor_class": "professional"},
                )
            )
        handles.append(
            admin.submit(
                "asset.register",
                {
                    "asset_id": term_sheet.id,
                    "name": term_sheet.id,
                    "term_sheet_hash": term_sheet_hash(term_sheet),
                    "rules": eligibility_rules(term_sheet),
                    "trusted_claim_issuers": [self.org_id],  # only the broker's own KYC counts for its note
                    "documents": [
                        ["term-sheet", document_uri or f"rwasim://{term_sheet.id}/term-sheet", term_sheet.document_hash]
                    ],
                },
            )
        )
        ledger.settle(*handles)
        refused = [h.reason for h in handles if not h.ok]
        if refused:
            raise RuntimeError(f"registering {term_sheet.id} failed: {refused}")
        self.sim.record(
            "agent.registered_note",
            "issuer",
            issuer=self.name,
            asset_id=term_sheet.id,
            product=term_sheet.kind,
            term_sheet_hash=term_sheet_hash(term_sheet),
            document_hash=term_sheet.document_hash,
        )
        return IssuedNote(term_sheet, term_sheet.id, ledger)

    def list_on_ethereum(self, note: IssuedNote, bridge: Any) -> None:
        """Attach the bridge lane: the wrapped token gets the term sheet's document hash, and the
        issuer's wallet an identity (it takes units back for redemption)."""
        from rwasim.agents.note import EthereumHolderIndex
        from rwasim.ethereum.suite import register_investors

        self.require("bridge_to_public_chain")
        if bridge.end.asset_id != note.asset_id:
            raise ValueError(f"lane {bridge.end.lane} carries {bridge.end.asset_id}, not {note.asset_id}")
        if self.chain is None or self.eth_account is None:
            raise ValueError("listing on Ethereum needs the Ethereum chain and an issuer account on it")
        note.bridge = bridge
        note.ethereum_index = EthereumHolderIndex(bridge.chain, bridge.end.token)
        suite = bridge.end.suite
        self.chain.transact(
            suite.token,
            "setDocument",
            b"term-sheet".ljust(32, b"\0"),
            f"rwasim://{note.asset_id}/term-sheet",
            bytes.fromhex(note.term_sheet.document_hash[2:]),
            sender=suite.issuer,
        )
        register_investors(self.chain, suite, [(self.eth_account, self.country_code, "professional")])
        self.sim.record(
            "agent.listed_on_ethereum",
            "issuer",
            issuer=self.name,
            asset_id=note.asset_id,
            token=bridge.end.token.address,
            lane=bridge.end.lane,
        )

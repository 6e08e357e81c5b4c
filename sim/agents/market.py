"""One note's whole market, assembled in one call, so a scenario reads as the story it tells.

:func:`open_note_market` puts the cast on the chains: the licensed issuer registers the note
on the consortium and lists it on Ethereum over a bridge lane whose guardian key the
regulator holds; the bank opens tokenized deposits on both chains; a seeded investor
population is onboarded (each on its home chain), some of it through a custodian's omnibus
account; investors get cash for their orders; the regulator starts supervising. The run's
report then lists the note, its wrapped token and the cash on both chains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rwasim.agents.cash import Bank, whole_cents
from rwasim.agents.custodian import Custodian
from rwasim.agents.investors import draw_investors
from rwasim.agents.issuer import LicensedIssuer, OnboardedInvestor
from rwasim.agents.licences import Licences
from rwasim.agents.lifecycle import LifecycleAgent, NoteCalendar
from rwasim.agents.note import EthereumHolderIndex, IssuedNote, wrapped_token_config
from rwasim.agents.offer import Offer
from rwasim.agents.regulator import Regulator
from rwasim.agents.trading import SecondaryMarket
from rwasim.products import PricePath, TermSheet


@dataclass
class NoteMarket:
    """Everyone and everything around one note in a run."""

    ctx: Any
    note: IssuedNote
    issuer: LicensedIssuer
    bank: Bank
    regulator: Regulator
    investors: list[OnboardedInvestor]
    custodian: Custodian | None = None
    settlement: Any = None
    calendar: NoteCalendar | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def price_cents(self) -> int:
        return whole_cents(self.note.term_sheet.denomination)

    def offer(self) -> Offer:
        """The primary offer, its book filled with every investor's appetite and the custodian's order."""
        offer = Offer(self.issuer, self.note, self.bank, htlc=self.settlement.htlc if self.settlement else None)
        for investor in self.investors:
            offer.subscribe(investor, investor.profile.appetite)
        if self.custodian is not None:
            order = self.custodian.orders(self.eligible)
            if order:
                offer.subscribe(self.custodian, order)
        return offer

    def eligible(self, profile: Any) -> bool:
        return self.note.term_sheet.admits(profile.investor_class, profile.country)

    def run_offer(self) -> Any:
        """Book, allocate, issue by DvP on both chains (the custodian books its clients' shares)."""
        offer = self.offer()
        return offer.issue(offer.allocate())

    def secondary_market(self) -> SecondaryMarket:
        return SecondaryMarket(
            self.note,
            self.bank,
            self.investors,
            escrow=self.settlement.dvp if self.settlement else None,
            price_cents=self.price_cents,
        )

    def lifecycle(self, path: PricePath | None) -> LifecycleAgent:
        if self.calendar is None:
            raise ValueError(f"the market of {self.note.asset_id} has no note calendar to run a lifecycle on")
        return LifecycleAgent(
            self.issuer,
            self.note,
            self.bank,
            self.calendar,
            path=path,
            custodians=[self.custodian] if self.custodian else [],
        )


def open_note_market(
    ctx: Any,
    term_sheet: TermSheet,
    *,
    investors: int,
    ethereum_share: float = 0.5,
    custodian_clients: int = 0,
    bridged: bool = True,
    verifier: str = "quorum",
    finality: str = "finalized",
    batch_size: int = 50,
    day_seconds: float = 86_400.0,
    cash_headroom: float = 1.2,
    lane: int = 1,
    name: str = "investor",
    alongside: NoteMarket | None = None,
) -> NoteMarket:
    """Assemble a note's market in ``ctx`` (a :class:`rwasim.runner.RunContext`).

    Parameters
    ----------
    investors : int
        Size of the seeded population onboarded by the issuer (``draw_investors``).
    ethereum_share : float
        Share of investors who hold on Ethereum (the rest on the consortium).
    custodian_clients : int
        Further investors who hold through the custodian's omnibus account on the consortium.
    bridged : bool
        List the note on Ethereum over a bridge lane (else consortium only).
    day_seconds : float
        Simulated seconds per note day (see :class:`NoteCalendar`).
    cash_headroom : float
        Each investor's deposit as a multiple of its order at par.
    lane, name : int, str
        The note's bridge lane and the name of its investor population (both must differ
        between two notes of one run).
    alongside : NoteMarket, optional
        A market already open in this run: the new note shares its ledger, issuer, bank and
        regulator (a second note of the same broker).
    """
    sim = ctx.sim
    if alongside is not None:
        ledger, issuer, bank = alongside.note.ledger, alongside.issuer, alongside.bank
        chain = issuer.chain
    else:
        ledger = ctx.consortium()
        chain = ctx.ethereum if bridged else None
        issuer = LicensedIssuer(sim, term_sheet.issuer, Licences.hong_kong_broker(), ledger=ledger, chain=chain)
        bank = Bank(sim, currency=term_sheet.currency, ledger=ledger, chain=chain)
    note = issuer.register_note(term_sheet)
    regulator_wallet = chain.accounts[3] if chain is not None else None
    settlement = None
    if bridged:
        from rwasim.ethereum.suite import deploy_settlement

        bridge = ctx.bridge(
            ledger,
            asset_id=note.asset_id,
            lane=lane,
            issuer=issuer.eth_account,
            guardian=regulator_wallet,
            verifier=verifier,
            finality=finality,
            batch_size=batch_size,
            token=wrapped_token_config(term_sheet),
        )
        issuer.list_on_ethereum(note, bridge)
        settlement = deploy_settlement(chain, sender=issuer.eth_account)
    regulator = (
        alongside.regulator
        if alongside is not None
        else Regulator(ledger, eth_account=regulator_wallet, on_alert=ctx.alert)
    )
    profiles = draw_investors(
        sim, investors + custodian_clients, ethereum_share=ethereum_share if bridged else 0.0, name=name
    )
    direct, custodied = profiles[:investors], profiles[investors:]
    onboarded = issuer.onboard(direct, suite=note.bridge.end.suite if bridged else None, wallets="home")
    custodian = None
    if custodied:
        custodian = Custodian(ledger, registrar=issuer.client)
        custodian.take_clients(custodied)
    price = whole_cents(term_sheet.denomination)
    deposit = {i.name: int(i.profile.appetite * price * cash_headroom) for i in onboarded}
    on_ethereum = [i for i in onboarded if i.chain == "ethereum"]
    consortium_cash = {i.consortium_client().holder: deposit[i.name] for i in onboarded if i.chain == "consortium"}
    if custodian is not None:
        consortium_cash[custodian.holder] = int(sum(p.appetite for p in custodied) * price * cash_headroom)
    bank.fund(consortium=consortium_cash)
    if settlement is not None:  # deployed when the note is bridged
        system = [issuer.ethereum_account(), settlement.htlc.address, settlement.dvp.address]
        wallets = [i.ethereum_wallet() for i in on_ethereum]
        bank.open_ethereum_accounts(wallets + (system if alongside is None else system[1:]))
        bank.fund(ethereum={i.ethereum_wallet(): deposit[i.name] for i in on_ethereum})
    regulator.supervise(note, issuer, [custodian] if custodian else [])
    calendar = NoteCalendar(sim, term_sheet.issue_date, day_seconds)
    market = NoteMarket(ctx, note, issuer, bank, regulator, onboarded, custodian, settlement, calendar)
    _track(ctx, market, cash=alongside is None)
    sim.record(
        "market.opened",
        "scenario",
        asset_id=note.asset_id,
        investors=len(onboarded),
        on_ethereum=len(on_ethereum),
        custodian_clients=len(custodied),
        bridged=bridged,
    )
    return market


def _track(ctx: Any, market: NoteMarket, *, cash: bool) -> None:
    note, bank = market.note, market.bank
    state = lambda: note.ledger.state  # noqa: E731 - read at report time, after the run
    ctx.track_token(
        "consortium", note.asset_id, lambda: state().holders(note.asset_id), lambda: state().total_supply(note.asset_id)
    )
    if cash:
        ctx.track_token(
            "consortium",
            bank.asset_id,
            lambda: state().holders(bank.asset_id),
            lambda: state().total_supply(bank.asset_id),
        )
    if note.bridge is not None:
        symbol = note.bridge.end.token.call("symbol")
        ctx.track_token("ethereum", symbol, note.ethereum_holders, lambda: note.wrapped.call("totalSupply"))
    if note.bridge is not None and cash:  # every holder of the deposit token, read from its Transfer logs
        deposits = EthereumHolderIndex(bank.chain, bank.ethereum_token())
        ctx.track_token("ethereum", bank.currency, deposits.refresh, lambda: bank.ethereum_token().call("totalSupply"))

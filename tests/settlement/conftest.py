"""Both chains on one clock, with a note and HKD cash on each: real validators, a real EVM."""

from __future__ import annotations

import pytest

from rwasim.bridge.htlc import HTLCDesk, Trader
from rwasim.consortium import ConsortiumLedger
from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain
from rwasim.ethereum.suite import deploy_cash_token, deploy_token_suite, register_investor

NOTE, CASH = "NOTE-S", "HKD-DEPOSIT"
RULES = {"investor_classes": ["professional"]}
UNITS, CENTS = 1_000, 10_000_000


class Venue:
    """A consortium ledger and an Ethereum chain sharing one simulation, each holding the note and cash.

    Parties by name: ``alice`` and ``bob`` (professional), ``rita`` (retail, excluded by the note).
    Everyone holds ``UNITS`` of the note (rita none) and ``CENTS`` of cash on both chains.
    """

    def __init__(self, seed: int = 5) -> None:
        self.sim = Simulation(seed=seed)
        self.ledger = ConsortiumLedger(self.sim, n_validators=4)
        self.chain = EthereumChain(self.sim)
        c, issuer, bank = self.chain, self.ledger.org_client("issuer"), self.ledger.org_client("bank")
        self.eth_issuer, self.eth_bank = c.accounts[0], c.accounts[2]
        self.names = ["alice", "bob", "rita"]
        handles = [
            issuer.submit("asset.register", {"asset_id": NOTE, "term_sheet_hash": "0x" + "ab" * 32, "rules": RULES}),
            bank.submit(
                "asset.register",
                {"asset_id": CASH, "term_sheet_hash": "0x" + "00" * 32, "trusted_claim_issuers": ["bank", "issuer"]},
            ),
        ]
        self.client = {}
        for name in self.names:
            self.client[name], joined = self.ledger.add_client(name, "issuer")
            handles.append(joined)
        for name in self.names:
            holder = self.client[name].holder
            handles.append(
                issuer.submit(
                    "identity.register", {"holder": holder, "country": 344, "investor_class": self.klass(name)}
                )
            )
            handles.append(bank.submit("token.mint", {"asset_id": CASH, "to": holder, "amount": CENTS}))
            if name != "rita":
                handles.append(issuer.submit("token.mint", {"asset_id": NOTE, "to": holder, "amount": UNITS}))
        self.ledger.settle(*handles)
        assert [h.reason for h in handles if not h.ok] == []

        self.suite = deploy_token_suite(c, name="Note", symbol="NOTE", issuer=self.eth_issuer, modules=RULES)
        self.token = self.suite.token
        self.cash = deploy_cash_token(c, symbol="HKD", bank=self.eth_bank)
        self.htlc = c.deploy("HashedTimelock")
        self.escrow = c.deploy("DvPEscrow")
        self.wallet = {name: c.new_account(name) for name in self.names}
        for name in self.names:
            register_investor(c, self.suite, self.wallet[name], country=344, investor_class=self.klass(name))
        c.transact(
            self.token, "batchMint", [self.wallet["alice"], self.wallet["bob"]], [UNITS, UNITS], sender=self.eth_issuer
        )
        c.transact(self.cash, "batchSetAllowed", [*self.wallet.values(), self.htlc.address], True, sender=self.eth_bank)
        for name in self.names:
            c.transact(self.cash, "mint", self.wallet[name], CENTS, sender=self.eth_bank)
        self.desk = HTLCDesk(self.ledger, c, self.htlc, self.cash)

    @staticmethod
    def klass(name: str) -> str:
        return "retail" if name == "rita" else "professional"

    def trader(self, name: str) -> Trader:
        return Trader(name, self.client[name], self.wallet[name])

    def close(self) -> None:
        self.ledger.stop()
        self.ledger.close()
        self.chain.close()


@pytest.fixture
def venue():
    v = Venue()
    yield v
    v.close()

"""Secondary trading: investors buy and sell units among themselves on either chain, and move them across.

Every trade is delivery versus payment. On the consortium it is one ``dvp.propose`` by the
seller and one atomic ``dvp.accept`` by the buyer; on Ethereum it goes through the
``DvPEscrow`` contract (propose, accept, settle, with both legs in the settling
transaction). Buyers are drawn from every onboarded investor on that chain, so some trades
meet an investor the note does not admit: those are refused by the chain's compliance and
recorded with their reason, and nothing moves. Counterparties, sizes and prices come from
the run's seed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rwasim.agents.cash import Bank
from rwasim.agents.note import IssuedNote

_MAX_UINT = 2**256 - 1


@dataclass
class TradingStats:
    """What a round of trading did."""

    attempted: int = 0
    settled: int = 0
    units_traded: int = 0
    refused: Counter = field(default_factory=Counter)  # reason -> count
    moved_to_consortium: int = 0
    moved_to_ethereum: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "attempted": self.attempted,
            "settled": self.settled,
            "units_traded": self.units_traded,
            "refused": dict(sorted(self.refused.items())),
            "moved_to_consortium": self.moved_to_consortium,
            "moved_to_ethereum": self.moved_to_ethereum,
        }


def _short(reason: Any) -> str:
    text = str(reason)
    return text.split(":")[0] if text.startswith("restricted") else text[:80]


class SecondaryMarket:
    """Trading among ``investors`` (onboarded, with a consortium client and, for some, a wallet).

    Parameters
    ----------
    note : IssuedNote
    bank : Bank
    investors : list of OnboardedInvestor
    escrow : Contract, optional
        The Ethereum ``DvPEscrow`` (needed for Ethereum trades).
    price_cents : int
        Reference price per unit; each trade is struck within +/-2% of it.
    """

    def __init__(
        self, note: IssuedNote, bank: Bank, investors: list[Any], *, escrow: Any = None, price_cents: int
    ) -> None:
        self.note = note
        self.bank = bank
        self.sim = note.ledger.sim
        self.escrow = escrow
        self.price_cents = price_cents
        self.consortium = [i for i in investors if i.client is not None and i.profile.chain == "consortium"]
        self.ethereum = [i for i in investors if i.wallet is not None]
        self._approved = False

    def _price(self, rng, units: int) -> int:
        return units * self.price_cents * (980 + rng.randint(0, 40)) // 1000

    def trade_round(self, trades: int, *, name: str = "round") -> TradingStats:
        """About ``trades`` trades on each chain that has investors; returns what happened."""
        rng = self.sim.rng.stream("trading", self.note.asset_id, name)
        stats = TradingStats()
        if len(self.consortium) >= 2:
            self._consortium_trades(rng, trades, stats)
        if len(self.ethereum) >= 2 and self.escrow is not None:
            self._ethereum_trades(rng, trades, stats)
        self.sim.record("trading.round", "market", asset_id=self.note.asset_id, round=name, **stats.to_json())
        return stats

    def _pairs(self, rng, people: list[Any], holdings: dict[str, int], key, trades: int):
        sellers = [p for p in people if holdings.get(key(p), 0) > 0]
        committed: Counter = Counter()
        for _ in range(trades if sellers else 0):
            seller = rng.choice(sellers)
            buyer = rng.choice([p for p in people if p is not seller])
            free = holdings[key(seller)] - committed[key(seller)]
            if free <= 0:
                continue
            units = rng.randint(1, max(1, min(free, 25)))
            committed[key(seller)] += units
            yield seller, buyer, units

    def _consortium_trades(self, rng, trades: int, stats: TradingStats) -> None:
        ledger, asset = self.note.ledger, self.note.asset_id
        holdings = ledger.state.holders(asset)
        deadline = self.sim.timestamp() + 3600
        proposals = []
        for seller, buyer, units in self._pairs(rng, self.consortium, holdings, lambda p: p.client.holder, trades):
            handle = seller.client.submit(
                "dvp.propose",
                {
                    "asset_id": asset,
                    "amount": units,
                    "cash_asset": self.bank.asset_id,
                    "cash_amount": self._price(rng, units),
                    "buyer": buyer.client.holder,
                    "deadline": deadline,
                },
            )
            proposals.append((seller, buyer, units, handle))
        ledger.settle(*(p[3] for p in proposals))
        accepts = []
        for seller, buyer, units, handle in proposals:
            stats.attempted += 1
            if not handle.ok:
                stats.refused[_short(handle.reason)] += 1
                continue
            trade_id = handle.events[-1].fields["trade_id"]
            accepts.append((seller, units, trade_id, buyer.client.submit("dvp.accept", {"trade_id": trade_id})))
        ledger.settle(*(a[3] for a in accepts))
        cancels = []
        for seller, units, trade_id, handle in accepts:
            if handle.ok:
                stats.settled += 1
                stats.units_traded += units
            else:
                stats.refused[_short(handle.reason)] += 1
                cancels.append(seller.client.submit("dvp.cancel", {"trade_id": trade_id}))
        ledger.settle(*cancels)

    def _ethereum_trades(self, rng, trades: int, stats: TradingStats) -> None:
        chain, token, cash = self.note.chain, self.note.wrapped, self.bank.ethereum_token()
        if not self._approved:  # standing approvals, as a trading venue's members give them once
            for investor in self.ethereum:
                chain.send(token, "approve", self.escrow.address, _MAX_UINT, sender=investor.wallet, gas=80_000)
                chain.send(cash, "approve", self.escrow.address, _MAX_UINT, sender=investor.wallet, gas=80_000)
                if chain.queued >= 200:
                    chain.mine()
            chain.mine()
            self._approved = True
        holdings = self.note.ethereum_holders()
        deadline = chain.next_timestamp() + 3600
        proposed = []
        for seller, buyer, units in self._pairs(rng, self.ethereum, holdings, lambda p: p.wallet, trades):
            tx = chain.send(
                self.escrow,
                "propose",
                buyer.wallet,
                token.address,
                units,
                cash.address,
                self._price(rng, units),
                deadline,
                sender=seller.wallet,
                gas=250_000,
            )
            proposed.append((seller, buyer, units, tx))
        chain.mine()
        accepted = []
        for seller, buyer, units, tx in proposed:
            stats.attempted += 1
            receipt = chain.receipt(tx)
            trade_id = dict(receipt.events)["TradeProposed"]["tradeId"]
            chain.send(self.escrow, "accept", trade_id, sender=buyer.wallet, gas=100_000)
            accepted.append((seller, buyer, units, trade_id))
        chain.mine()
        settling = [
            (seller, units, trade_id, chain.send(self.escrow, "settle", trade_id, sender=buyer.wallet, gas=400_000))
            for seller, buyer, units, trade_id in accepted
        ]
        chain.mine()
        for seller, units, trade_id, tx in settling:
            receipt = chain.receipt(tx)
            if receipt.status:
                stats.settled += 1
                stats.units_traded += units
            else:
                stats.refused[_short(receipt.revert.message if receipt.revert else "reverted")] += 1
                chain.send(self.escrow, "cancel", trade_id, sender=seller.wallet, gas=100_000)
        chain.mine()

    def move_across(self, count: int, *, name: str = "moves") -> TradingStats:
        """``count`` Ethereum investors each bring some units home to their consortium account and
        half of those send some back out again, over the bridge."""
        rng = self.sim.rng.stream("moves", self.note.asset_id, name)
        stats = TradingStats()
        bridge = self.note.bridge
        holdings = self.note.ethereum_holders()
        movers = [i for i in self.ethereum if holdings.get(i.wallet, 0) > 1][:count]
        for investor in movers:
            units = rng.randint(1, holdings[investor.wallet] // 2 or 1)
            bridge.send_back(investor.wallet, investor.client.holder, units)
            stats.moved_to_consortium += units
        self.note.chain.mine()
        bridge.settle(timeout=4 * bridge.finality_bound("to_consortium"))
        handles = []
        for investor in movers[::2]:
            held = self.note.ledger.state.balance_of(self.note.asset_id, investor.client.holder)
            if held:
                units = rng.randint(1, held)
                handles.append(bridge.lock(investor.client, units, investor.wallet))
                stats.moved_to_ethereum += units
        self.note.ledger.settle(*handles)
        bridge.settle(timeout=4 * bridge.finality_bound("to_ethereum"))
        self.sim.record("trading.moves", "market", asset_id=self.note.asset_id, **stats.to_json())
        return stats

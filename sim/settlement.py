"""Delivery versus payment on one chain, driven the same way on Ethereum and on the consortium.

A desk walks a trade through its chain's steps (propose, approvals, accept, settle, cancel)
and photographs both parties' positions in the asset and in cash before the trade and after
its last step. That photograph is what a settlement invariant is about: a settled trade
moved both legs exactly, a failed one moved neither, so nothing was lost whichever way it
went. Ethereum uses ``DvPEscrow`` (both legs by ``transferFrom`` in one call); the consortium
uses ``dvp.propose`` / ``dvp.accept`` / ``dvp.cancel`` (both legs in one transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rwasim.consortium.ledger import ConsortiumLedger, LedgerClient, TxHandle
from rwasim.engine import Simulation
from rwasim.ethereum.chain import Contract, EthereumChain, Receipt
from rwasim.ethereum.errors import RevertInfo

Positions = dict[str, tuple[int, int]]  # account -> (asset units, cash)
_RESTRICTED = re.compile(r"restricted \((\d)\): (.*)")


@dataclass
class DvPTrade:
    """One trade and what it did to its two parties (``before`` the proposal, ``after`` its last step)."""

    chain: str
    trade_id: Any
    seller: str
    buyer: str
    units: int
    cash: int
    deadline: int
    state: str = "proposed"  # proposed, accepted, settled, cancelled
    failures: list[str] = field(default_factory=list)  # why each refused settlement attempt was refused
    failures_moved_nothing: bool = True  # every refused attempt left both positions as they were
    before: Positions = field(default_factory=dict)
    after: Positions = field(default_factory=dict)

    def deltas(self) -> Positions:
        """Change of (units, cash) per party between ``before`` and ``after``."""
        return {
            who: (self.after[who][0] - self.before[who][0], self.after[who][1] - self.before[who][1])
            for who in (self.seller, self.buyer)
        }

    def moved_both_legs(self) -> bool:
        """The units went seller -> buyer and the cash buyer -> seller, both exactly."""
        return self.deltas() == {self.seller: (-self.units, self.cash), self.buyer: (self.units, -self.cash)}

    def moved_neither_leg(self) -> bool:
        """Both parties hold what they held before the trade was proposed."""
        return all(d == (0, 0) for d in self.deltas().values())


def restriction_of(reason: str | None) -> tuple[int, str] | None:
    """``(code, message)`` of a consortium rejection ``"restricted (6): compliance: ..."``, if it is one.

    The message is the Ethereum token's ``TransferRestricted`` reason for the same code, so the
    two chains' refusals can be compared as they are.
    """
    match = _RESTRICTED.match(reason or "")
    return (int(match.group(1)), match.group(2)) if match else None


@dataclass(frozen=True)
class TransferOutcome:
    """A plain transfer's result, with a photograph of the two balances around it."""

    code: int  # 0 done; else the restriction code (or -1 for a failure that is not a restriction)
    reason: str  # "ok", or the restriction message, worded alike on both chains
    exact: bool  # done: exactly ``amount`` moved; refused: nothing moved

    @property
    def refusal(self) -> tuple[int, str]:
        return self.code, self.reason


def consortium_transfer(
    ledger: ConsortiumLedger, asset_id: str, sender: LedgerClient, receiver: str, amount: int
) -> TransferOutcome:
    """``token.transfer`` on the consortium, decided before it returns."""

    def state() -> tuple[int, int]:
        return ledger.state.balance_of(asset_id, sender.holder), ledger.state.balance_of(asset_id, receiver)

    before = state()
    handle = sender.submit("token.transfer", {"asset_id": asset_id, "to": receiver, "amount": amount})
    ledger.settle(handle)
    code, reason = (0, "ok") if handle.ok else restriction_of(handle.reason) or (-1, str(handle.reason))
    return TransferOutcome(code, reason, state() == _expected(before, amount, code == 0))


def ethereum_transfer(
    chain: EthereumChain, token: Contract, sender: str, receiver: str, amount: int
) -> TransferOutcome:
    """``SecurityToken.transfer``, mined before it returns; a ``TransferRestricted`` revert gives its code."""

    def state() -> tuple[int, int]:
        return token.call("balanceOf", sender), token.call("balanceOf", receiver)

    before = state()
    receipt = chain.transact(token, "transfer", receiver, amount, sender=sender, check=False)
    revert = _revert_of(receipt)
    if receipt.status:
        code, reason = 0, "ok"
    elif revert.error == "TransferRestricted":
        code, reason = revert.args
    else:
        code, reason = -1, revert.message
    return TransferOutcome(code, reason, state() == _expected(before, amount, receipt.status))


def _revert_of(receipt: Receipt) -> RevertInfo:
    """Why ``receipt`` failed (the chain decodes a revert for every failed transaction)."""
    return receipt.revert or RevertInfo("Revert", (), "reverted")


def _expected(before: tuple[int, int], amount: int, done: bool) -> tuple[int, int]:
    return (before[0] - amount, before[1] + amount) if done else before


def run_until_timestamp(sim: Simulation, timestamp: int, offset: int = 0) -> None:
    """Advance the shared clock until a block stamped now would carry ``timestamp`` (or later)."""
    target = timestamp - sim.epoch - offset
    if target > sim.now:
        sim.run(until=target)


class EthereumDvP:
    """A trade desk over ``DvPEscrow``: the escrow never holds anything, so each party approves it.

    Parameters
    ----------
    chain : EthereumChain
    escrow : Contract
        The deployed ``DvPEscrow``.
    asset, cash : Contract
        The security token delivered and the cash token paid.
    """

    def __init__(self, chain: EthereumChain, escrow: Contract, asset: Contract, cash: Contract) -> None:
        self.chain, self.escrow, self.asset, self.cash = chain, escrow, asset, cash
        self.trades: list[DvPTrade] = []

    def positions(self, *accounts: str) -> Positions:
        return {a: (self.asset.call("balanceOf", a), self.cash.call("balanceOf", a)) for a in accounts}

    def propose(self, seller: str, buyer: str, units: int, cash: int, ttl: int = 600) -> DvPTrade:
        """Seller proposes and approves the units, buyer approves the cash and accepts."""
        c, escrow = self.chain, self.escrow
        deadline = c.next_timestamp() + ttl
        before = self.positions(seller, buyer)
        receipt = c.transact(
            escrow, "propose", buyer, self.asset.address, units, self.cash.address, cash, deadline, sender=seller
        )
        trade = DvPTrade(
            "ethereum", receipt.event("TradeProposed")["tradeId"], seller, buyer, units, cash, deadline, before=before
        )
        c.transact(self.asset, "approve", escrow.address, units, sender=seller)
        c.transact(self.cash, "approve", escrow.address, cash, sender=buyer)
        c.transact(escrow, "accept", trade.trade_id, sender=buyer)
        trade.state = "accepted"
        self.trades.append(trade)
        return trade

    def settle(self, trade: DvPTrade) -> bool:
        """Both legs in one call by the buyer; a revert is kept as the reason and changes nothing."""
        attempt = self.positions(trade.seller, trade.buyer)
        receipt = self.chain.transact(self.escrow, "settle", trade.trade_id, sender=trade.buyer, check=False)
        trade.after = self.positions(trade.seller, trade.buyer)
        if receipt.status:
            trade.state = "settled"
        else:
            trade.failures.append(_revert_of(receipt).message)
            trade.failures_moved_nothing &= trade.after == attempt
        return receipt.status

    def cancel(self, trade: DvPTrade, by: str) -> bool:
        """End an unsettled trade (after its deadline, or by the seller before acceptance)."""
        receipt = self.chain.transact(self.escrow, "cancel", trade.trade_id, sender=by, check=False)
        if receipt.status:
            trade.state = "cancelled"
            self.chain.transact(self.asset, "approve", self.escrow.address, 0, sender=trade.seller)
            self.chain.transact(self.cash, "approve", self.escrow.address, 0, sender=trade.buyer)
        trade.after = self.positions(trade.seller, trade.buyer)
        return receipt.status

    def wait_past(self, timestamp: int) -> None:
        """Run the clock until the next Ethereum block is stamped ``timestamp`` or later."""
        run_until_timestamp(self.chain.sim, timestamp, self.chain.time_offset)


class ConsortiumDvP:
    """A trade desk over the ledger's ``dvp.*`` transactions: the seller's units wait in ``dvp-escrow``.

    Parameters
    ----------
    ledger : ConsortiumLedger
    asset_id, cash_asset : str
        The asset delivered and the cash asset paid (both registered on ``ledger``).
    """

    def __init__(self, ledger: ConsortiumLedger, asset_id: str, cash_asset: str) -> None:
        self.ledger, self.asset_id, self.cash_asset = ledger, asset_id, cash_asset
        self.trades: list[DvPTrade] = []
        self._clients: dict[str, LedgerClient] = {}

    def positions(self, *holders: str) -> Positions:
        state = self.ledger.state
        return {h: (state.balance_of(self.asset_id, h), state.balance_of(self.cash_asset, h)) for h in holders}

    def _decide(self, client: LedgerClient, kind: str, payload: dict[str, Any]) -> TxHandle:
        handle = client.submit(kind, payload)
        self.ledger.settle(handle)
        return handle

    def propose(self, seller: LedgerClient, buyer: LedgerClient, units: int, cash: int, ttl: int = 600) -> DvPTrade:
        """The seller's units go into escrow; the trade id is the proposal's transaction hash."""
        self._clients.update({seller.holder: seller, buyer.holder: buyer})
        deadline = self.ledger.sim.timestamp() + ttl
        before = self.positions(seller.holder, buyer.holder)
        handle = self._decide(
            seller,
            "dvp.propose",
            {
                "asset_id": self.asset_id,
                "amount": units,
                "cash_asset": self.cash_asset,
                "cash_amount": cash,
                "buyer": buyer.holder,
                "deadline": deadline,
            },
        )
        if not handle.ok:
            raise RuntimeError(f"dvp.propose rejected: {handle.reason}")
        trade_id = next(e.fields["trade_id"] for e in handle.events if e.kind == "dvp.proposed")
        trade = DvPTrade("consortium", trade_id, seller.holder, buyer.holder, units, cash, deadline, before=before)
        self.trades.append(trade)
        return trade

    def settle(self, trade: DvPTrade) -> bool:
        """The buyer's ``dvp.accept``: both legs or, with the reason kept, neither."""
        attempt = self.positions(trade.seller, trade.buyer)
        handle = self._decide(self._clients[trade.buyer], "dvp.accept", {"trade_id": trade.trade_id})
        trade.after = self.positions(trade.seller, trade.buyer)
        if handle.ok:
            trade.state = "settled"
        else:
            trade.failures.append(handle.reason or handle.status)
            trade.failures_moved_nothing &= trade.after == attempt
        return handle.ok

    def cancel(self, trade: DvPTrade, by: str) -> bool:
        """Units back to the seller (the seller any time before acceptance, either party after the deadline)."""
        handle = self._decide(self._clients[by], "dvp.cancel", {"trade_id": trade.trade_id})
        if handle.ok:
            trade.state = "cancelled"
        trade.after = self.positions(trade.seller, trade.buyer)
        return handle.ok

    def wait_past(self, timestamp: int) -> None:
        """Run the clock until the next consortium block is stamped ``timestamp`` or later."""
        run_until_timestamp(self.ledger.sim, timestamp)

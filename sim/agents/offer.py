"""The primary offer: a subscription book, allocation, and issuance by delivery versus payment.

Investors subscribe during the offer period; the issuer refuses those the term sheet does
not admit (class or country), allocates pro rata when the book is oversubscribed, and
issues each allocation against cash on the chain where the investor is:

- on the consortium, atomically: the issuer puts the units up in a ``dvp.propose`` and the
  investor's ``dvp.accept`` pays and takes delivery in one transaction;
- on Ethereum, by bridge-coordinated escrow: the investor locks the price in a hash time
  lock payable to the issuer, the issuer sends the units over the bridge, and claims the
  cash only once the gateway has delivered them. If the gateway refuses the delivery the
  units come back to the issuer and the investor takes the cash back after the time lock.

Units not delivered are burned, so supply is exactly what investors paid for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from rwasim.agents.cash import Bank, whole_cents
from rwasim.agents.note import IssuedNote

#: Gas for the Ethereum legs, stated so eth-tester does not estimate each call.
_GAS = {"approve": 80_000, "lock": 250_000, "claim": 150_000, "refund": 150_000}
ETH_PER_BLOCK = 120  # transactions per mined block, well inside eth-tester's block gas limit


class Subscriber(Protocol):
    """Anything that can subscribe: an onboarded investor, or a custodian for its clients."""

    @property
    def name(self) -> str: ...

    @property
    def client(self) -> Any: ...

    @property
    def wallet(self) -> str | None: ...

    @property
    def chain(self) -> str: ...

    @property
    def investor_class(self) -> str: ...

    @property
    def country(self) -> int: ...


def allocate_pro_rata(requests: list[tuple[str, int]], available: int) -> dict[str, int]:
    """Allocate ``available`` units over ``(name, units)`` requests, in book order.

    Everyone gets what they asked for if the book is not oversubscribed. Otherwise each gets
    the floor of its pro-rata share and the units left over go one each by largest
    remainder, ties to the earlier subscription (so the result never depends on anything but
    the book). The allocations add up to ``min(available, demand)`` exactly.
    """
    if available < 0 or any(units <= 0 for _, units in requests):
        raise ValueError("available must be >= 0 and every request positive")
    demand = sum(units for _, units in requests)
    if demand <= available:
        return {name: units for name, units in requests}
    shares = {name: units * available // demand for name, units in requests}
    remainders = sorted(range(len(requests)), key=lambda i: (-(requests[i][1] * available % demand), i))
    for i in remainders[: available - sum(shares.values())]:
        shares[requests[i][0]] += 1
    return shares


@dataclass(frozen=True)
class Allocation:
    subscriber: str
    chain: str
    requested: int
    allocated: int


@dataclass
class IssuanceResult:
    """What the issuance delivered, per chain, and what failed with its reason."""

    delivered: dict[str, int] = field(default_factory=dict)  # subscriber -> units
    failed: dict[str, str] = field(default_factory=dict)  # subscriber -> reason
    cash_received: dict[str, int] = field(default_factory=dict)  # chain -> cents
    units_burned: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "delivered_units": sum(self.delivered.values()),
            "investors": len(self.delivered),
            "failed": dict(sorted(self.failed.items())),
            "cash_received_cents": dict(sorted(self.cash_received.items())),
            "unsold_units_burned": self.units_burned,
        }


class Offer:
    """One note's primary offer, run by its licensed issuer.

    Parameters
    ----------
    issuer : LicensedIssuer
    note : IssuedNote
    bank : Bank
        The cash on both chains.
    htlc : Contract, optional
        The Ethereum ``HashedTimelock`` used for the Ethereum investors' payment leg.
    price : Decimal, optional
        Issue price per unit (default: the denomination, i.e. issued at par).
    """

    def __init__(
        self, issuer: Any, note: IssuedNote, bank: Bank, *, htlc: Any = None, price: Decimal | None = None
    ) -> None:
        issuer.require("issue_security_token")
        self.issuer = issuer
        self.note = note
        self.bank = bank
        self.htlc = htlc
        self.price_cents = whole_cents(price if price is not None else note.term_sheet.denomination)
        self.units_available = note.term_sheet.units_issued
        self.book: list[tuple[Subscriber, int]] = []
        self.refused: dict[str, str] = {}
        self.sim = issuer.sim

    # ---- the book -----------------------------------------------------------------------------
    def subscribe(self, subscriber: Subscriber, units: int) -> bool:
        """Take a subscription into the book, or refuse it (recorded with its reason)."""
        sheet = self.note.term_sheet
        reason = None
        if units <= 0:
            reason = "a subscription must be for at least one unit"
        elif not sheet.admits(subscriber.investor_class, subscriber.country):
            reason = (
                f"not eligible: {subscriber.investor_class} investor in country {subscriber.country} "
                f"(the term sheet admits {sorted(sheet.eligible_investor_classes)} "
                f"in {sorted(sheet.eligible_countries) or 'any country'})"
            )
        elif subscriber.chain == "ethereum" and (self.note.bridge is None or subscriber.wallet is None):
            reason = "an Ethereum subscriber needs a bridged note and a registered wallet"
        elif any(s.name == subscriber.name for s, _ in self.book):
            reason = "already subscribed"
        if reason is not None:
            self.refused[subscriber.name] = reason
            self.sim.record(
                "offer.refused", "issuer", asset_id=self.note.asset_id, subscriber=subscriber.name, reason=reason
            )
            return False
        self.book.append((subscriber, units))
        self.sim.record(
            "offer.subscribed",
            "issuer",
            asset_id=self.note.asset_id,
            subscriber=subscriber.name,
            chain=subscriber.chain,
            units=units,
        )
        return True

    def allocate(self) -> list[Allocation]:
        """Close the book: allocations in book order, pro rata if oversubscribed."""
        shares = allocate_pro_rata([(s.name, units) for s, units in self.book], self.units_available)
        allocations = [Allocation(s.name, s.chain, units, shares[s.name]) for s, units in self.book]
        demand = sum(units for _, units in self.book)
        self.sim.record(
            "offer.allocated",
            "issuer",
            asset_id=self.note.asset_id,
            demand=demand,
            available=self.units_available,
            allocated=sum(a.allocated for a in allocations),
            oversubscribed=demand > self.units_available,
            subscribers=len(allocations),
        )
        return allocations

    # ---- issuance -------------------------------------------------------------------------------
    def issue(self, allocations: list[Allocation]) -> IssuanceResult:
        """Mint, deliver against payment on each chain, and burn what was not paid for."""
        subscribers = {s.name: s for s, _ in self.book}
        wanted = [a for a in allocations if a.allocated > 0]
        total = sum(a.allocated for a in wanted)
        issuer, ledger, asset = self.issuer, self.note.ledger, self.note.asset_id
        result = IssuanceResult()
        if total == 0:
            return result
        minted = issuer.client.submit("token.mint", {"asset_id": asset, "to": issuer.client.holder, "amount": total})
        ledger.settle(minted)
        if not minted.ok:
            raise RuntimeError(f"the issuer could not mint {total} units of {asset}: {minted.reason}")
        cash_before = self.bank.balance("consortium", issuer.client.holder)
        self._issue_on_consortium([a for a in wanted if a.chain == "consortium"], subscribers, result)
        result.cash_received["consortium"] = self.bank.balance("consortium", issuer.client.holder) - cash_before
        ethereum = [a for a in wanted if a.chain == "ethereum"]
        if ethereum:
            issuer.require("bridge_to_public_chain")
            self._issue_on_ethereum(ethereum, subscribers, result)
        sheet = self.note.term_sheet
        for name, units in result.delivered.items():  # a custodian splits its omnibus allocation over its clients
            book_allocation = getattr(subscribers[name], "book_allocation", None)  # a Custodian's
            if book_allocation is not None:
                book_allocation(units, lambda p: sheet.admits(p.investor_class, p.country))
        unsold = ledger.state.balance_of(asset, issuer.client.holder)
        if unsold:
            burned = issuer.client.submit(
                "token.burn", {"asset_id": asset, "from": issuer.client.holder, "amount": unsold}
            )
            ledger.settle(burned)
            result.units_burned = unsold if burned.ok else 0
        self.sim.record("offer.issued", "issuer", asset_id=asset, **result.to_json())
        return result

    def _issue_on_consortium(self, allocations: list[Allocation], subscribers: dict, result: IssuanceResult) -> None:
        ledger, client = self.note.ledger, self.issuer.client
        deadline = self.sim.timestamp() + 3600
        proposals = [
            client.submit(
                "dvp.propose",
                {
                    "asset_id": self.note.asset_id,
                    "amount": a.allocated,
                    "cash_asset": self.bank.asset_id,
                    "cash_amount": a.allocated * self.price_cents,
                    "buyer": subscribers[a.subscriber].client.holder,
                    "deadline": deadline,
                },
            )
            for a in allocations
        ]
        ledger.settle(*proposals)
        trades = {}
        for a, handle in zip(allocations, proposals):
            if handle.ok:
                trades[a.subscriber] = handle.events[-1].fields["trade_id"]
            else:
                result.failed[a.subscriber] = handle.reason
        accepts = {
            name: subscribers[name].client.submit("dvp.accept", {"trade_id": trade_id})
            for name, trade_id in trades.items()
        }
        ledger.settle(*accepts.values())
        cancels = []
        for a in allocations:
            handle = accepts.get(a.subscriber)
            if handle is None:
                continue
            if handle.ok:
                result.delivered[a.subscriber] = a.allocated
                self.sim.record(
                    "offer.delivered",
                    "issuer",
                    subscriber=a.subscriber,
                    chain="consortium",
                    units=a.allocated,
                    cents=a.allocated * self.price_cents,
                )
            else:
                result.failed[a.subscriber] = handle.reason
                cancels.append(client.submit("dvp.cancel", {"trade_id": trades[a.subscriber]}))
        ledger.settle(*cancels)

    def _issue_on_ethereum(self, allocations: list[Allocation], subscribers: dict, result: IssuanceResult) -> None:
        chain, bridge, cash = self.note.chain, self.note.bridge, self.bank.ethereum_token()
        issuer_wallet = self.issuer.eth_account
        rng = self.sim.rng.stream("offer-secrets", self.note.asset_id)
        secrets = {a.subscriber: rng.randbytes(32) for a in allocations}
        timelock = chain.next_timestamp() + 2 * int(bridge.finality_bound("to_ethereum")) + 3600
        locks: dict[str, bytes] = {}
        pending: list[tuple[str, str]] = []
        for a in allocations:
            wallet, cents = subscribers[a.subscriber].wallet, a.allocated * self.price_cents
            chain.send(cash, "approve", self.htlc.address, cents, sender=wallet, gas=_GAS["approve"])
            pending.append(
                (
                    a.subscriber,
                    chain.send(
                        self.htlc,
                        "lock",
                        issuer_wallet,
                        cash.address,
                        cents,
                        hashlib.sha256(secrets[a.subscriber]).digest(),
                        timelock,
                        sender=wallet,
                        gas=_GAS["lock"],
                    ),
                )
            )
            if chain.queued >= ETH_PER_BLOCK:
                chain.mine()
        chain.mine()
        for name, tx_hash in pending:
            receipt = chain.receipt(tx_hash)
            if receipt is None or not receipt.status:
                result.failed[name] = f"payment not locked: {receipt.revert if receipt else 'not mined'}"
                continue
            locks[name] = dict(receipt.events)["Locked"]["lockId"]
        by_name = {a.subscriber: a for a in allocations}
        sent = {}
        for name in locks:  # cash is locked for the issuer: send the units over the bridge
            handle = bridge.lock(self.issuer.client, by_name[name].allocated, subscribers[name].wallet)
            sent[name] = handle
        self.note.ledger.settle(*sent.values())
        nonces = {}
        for name, handle in sent.items():
            if handle.ok:
                nonces[handle.events[-1].fields["nonce"]] = name
            else:
                result.failed[name] = f"bridge lock refused: {handle.reason}"
        bridge.settle(timeout=4 * bridge.finality_bound("to_ethereum") + 3600)
        outcome = {
            nonces[r.message.nonce]: r
            for r in bridge.book.records.values()
            if r.direction == "to_ethereum" and r.message.lane == bridge.end.lane and r.message.nonce in nonces
        }
        claims, refunds = [], []
        for name in sorted(outcome, key=lambda n: outcome[n].message.nonce):
            record = outcome[name]
            if record.state == "delivered":
                chain.send(self.htlc, "claim", locks[name], secrets[name], sender=issuer_wallet, gas=_GAS["claim"])
                claims.append(name)
                result.delivered[name] = record.message.amount
                self.sim.record(
                    "offer.delivered",
                    "issuer",
                    subscriber=name,
                    chain="ethereum",
                    units=record.message.amount,
                    cents=record.message.amount * self.price_cents,
                )
            else:
                result.failed[name] = f"delivery {record.state}: {record.reason}"
                refunds.append(name)
            if chain.queued >= ETH_PER_BLOCK:
                chain.mine()
        claimed = chain.mine()
        result.cash_received["ethereum"] = sum(by_name[n].allocated * self.price_cents for n in claims)
        if any(not r.status for r in claimed):
            raise RuntimeError(
                f"the issuer could not claim payments: {[r.revert for r in claimed if not r.status][:3]}"
            )
        if refunds:  # the investors take their cash back once the time lock has run out
            self.sim.run(until=max(self.sim.now, timelock - self.sim.epoch - chain.time_offset + 1))
            for name in refunds:
                chain.send(self.htlc, "refund", locks[name], sender=subscribers[name].wallet, gas=_GAS["refund"])
            chain.mine()

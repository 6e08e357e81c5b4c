"""The regulator: a see-through view of one note across both chains, and the power to act on it.

It is a member of the consortium, so it sees every committed transfer as it happens; on
Ethereum it reads the wrapped token's Transfer logs (its own node). From both it:

- looks through custodians' omnibus accounts to the beneficial owners;
- reconciles holders and supply across the chains (every unit attributed once, the escrow
  backing the wrapped supply and the units in flight, custodians' books matching);
- flags transfers that should have been impossible: a unit reaching a holder the term
  sheet does not admit, or one with no identity, on either chain;
- orders a freeze, and halts or reopens cross-border movement (the bridge lane on the
  consortium, and the gateway's lane through the guardian key it holds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rwasim.agents.holdings import holders_of_record
from rwasim.agents.note import IssuedNote
from rwasim.bridge.ledger_module import ESCROW
from rwasim.consortium.ledger import ConsortiumLedger
from rwasim.consortium.state import DVP, HTLC
from rwasim.ethereum.suite import INVESTOR_CLASSES

_CLASS_NAMES = {v: k for k, v in INVESTOR_CLASSES.items()}
_MOVES = (
    "token.transfer",
    "token.forced_transfer",
    "token.mint",
    "dvp.delivery",
    "bridge.release",
    "htlc.claim",
    "bridge.refund",
    "dvp.return",
    "htlc.refund",
)
_SYSTEM = (ESCROW, HTLC, DVP)
_ZERO = "0x0000000000000000000000000000000000000000"


@dataclass
class Reconciliation:
    """The regulator's cross-chain reconciliation of one note at one moment."""

    holds: bool
    problems: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


class Regulator:
    """Supervises notes on a consortium ledger and, through their bridges, on Ethereum.

    Parameters
    ----------
    ledger : ConsortiumLedger
    eth_account : str, optional
        Its Ethereum account: the guardian of the bridge gateways it may pause.
    on_alert : callable, optional
        ``on_alert(name, **data)`` for each flag (a scenario passes ``ctx.alert``).
    """

    def __init__(
        self,
        ledger: ConsortiumLedger,
        *,
        eth_account: str | None = None,
        on_alert: Callable[..., None] | None = None,
        name: str = "SFC",
    ) -> None:
        self.ledger = ledger
        self.sim = ledger.sim
        self.name = name
        self.client = ledger.org_client("regulator")
        self.eth_account = eth_account
        self.on_alert = on_alert
        self.notes: dict[str, tuple[IssuedNote, Any, list[Any]]] = {}
        self.flags: list[dict[str, Any]] = []
        self.transfers_seen = {"consortium": 0, "ethereum": 0}
        self._pending: list[dict[str, Any]] = []
        self._eth_checked: dict[str, int] = {}
        ledger.on_commit(self._on_block)

    def supervise(self, note: IssuedNote, issuer: Any, custodians: Iterable[Any] = ()) -> None:
        """Watch ``note``; ``issuer`` executes orders on Ethereum, where the regulator is no token agent."""
        self.notes[note.asset_id] = (note, issuer, list(custodians))
        self._eth_checked[note.asset_id] = 0

    # ---- watching -----------------------------------------------------------------------------------
    def _on_block(self, committed: Any) -> None:
        for receipt in committed.receipts:
            for event in receipt.events:
                f = event.fields
                if event.kind in _MOVES and f.get("asset_id") in self.notes:
                    self._pending.append(
                        {
                            "chain": "consortium",
                            "asset_id": f["asset_id"],
                            "to": f["to"],
                            "amount": f["amount"],
                            "move": event.kind,
                            "height": committed.height,
                        }
                    )

    def review(self) -> list[dict[str, Any]]:
        """Check every transfer seen since the last review on both chains; return the new flags."""
        new: list[dict[str, Any]] = []
        pending, self._pending = self._pending, []
        for move in pending:
            self.transfers_seen["consortium"] += 1
            note = self.notes[move["asset_id"]][0]
            problem = self._consortium_problem(note, move["to"])
            if problem:
                new.append({**move, "problem": problem})
        for asset_id, (note, _, _) in sorted(self.notes.items()):
            if note.ethereum_index is None:
                continue
            note.ethereum_index.refresh()
            transfers = note.ethereum_index.transfers
            for move in transfers[self._eth_checked[asset_id] :]:
                self.transfers_seen["ethereum"] += 1
                problem = self._ethereum_problem(note, move["to"])
                if problem:
                    new.append({"chain": "ethereum", "asset_id": asset_id, **move, "problem": problem})
            self._eth_checked[asset_id] = len(transfers)
        for flag in new:
            self.flags.append(flag)
            self.sim.record("regulator.flag", "regulator", **flag)
            if self.on_alert is not None:
                self.on_alert(
                    "regulator_flagged_transfer",
                    chain=flag["chain"],
                    asset_id=flag["asset_id"],
                    to=flag["to"],
                    problem=flag["problem"],
                )
        return new

    def _consortium_problem(self, note: IssuedNote, holder: str) -> str | None:
        if holder in _SYSTEM:
            return None
        identity = self.ledger.state.trusted_claim(note.asset_id, holder)  # the claims the note trusts
        if identity is None:
            return "receiver has no verified identity"
        if not note.term_sheet.admits(identity["class"], identity["country"]):
            return f"receiver not eligible: {identity['class']} in {identity['country']}"
        return None

    def _ethereum_problem(self, note: IssuedNote, wallet: str) -> str | None:
        suite = note.bridge.end.suite
        if wallet == _ZERO or wallet.lower() == note.bridge.end.gateway.address.lower():
            return None
        registry = suite.identity_registry
        if registry.call("isSystem", wallet):
            return None
        trusted = note.wrapped.call("trustedClaimIssuers")  # only the claims the token trusts
        if not registry.call("isVerifiedBy", wallet, trusted):
            return "receiver has no verified identity"
        country, klass = (
            registry.call("investorCountry", wallet),
            _CLASS_NAMES.get(registry.call("investorClassBy", wallet, trusted)),
        )
        if klass is None or not note.term_sheet.admits(klass, country):
            return f"receiver not eligible: {klass} in {country}"
        return None

    # ---- seeing through -----------------------------------------------------------------------------
    def see_through(self, asset_id: str) -> dict[str, int]:
        """Beneficial owner -> units across both chains, custodians' omnibus accounts looked through."""
        note, _, custodians = self.notes[asset_id]
        omnibus = {c.holder: c for c in custodians}
        owners: dict[str, int] = {}
        for (chain, holder), units in holders_of_record(note).by_holder().items():
            if chain == "consortium" and holder in omnibus:
                for client, held in omnibus[holder].beneficial_owners().items():
                    owners[f"{omnibus[holder].name}/{client}"] = (
                        owners.get(f"{omnibus[holder].name}/{client}", 0) + held
                    )
            else:
                owners[f"{chain}:{holder}"] = owners.get(f"{chain}:{holder}", 0) + units
        return dict(sorted(owners.items()))

    def reconcile(self, asset_id: str) -> Reconciliation:
        """Holders and supply across both chains agree, and every omnibus account matches its books."""
        note, _, custodians = self.notes[asset_id]
        snapshot = holders_of_record(note)
        problems = []
        if snapshot.total_units != snapshot.consortium_supply:
            problems.append(
                f"holders of record hold {snapshot.total_units} units, supply is {snapshot.consortium_supply}"
            )
        in_flight = snapshot.units_in_flight
        if snapshot.escrow != snapshot.wrapped_supply + in_flight:
            problems.append(f"escrow {snapshot.escrow} != wrapped {snapshot.wrapped_supply} + in flight {in_flight}")
        consortium_sum = sum(note.consortium_holders().values())
        if consortium_sum != snapshot.consortium_supply:
            problems.append(f"consortium balances add to {consortium_sum}, supply is {snapshot.consortium_supply}")
        if note.bridge is not None and sum(note.ethereum_holders().values()) != snapshot.wrapped_supply:
            problems.append("wrapped balances do not add up to the wrapped supply")
        for custodian in custodians:
            if not custodian.books_match(asset_id):
                problems.append(f"{custodian.name}'s books do not match its omnibus balance")
        owners = self.see_through(asset_id)
        figures = {
            "units": snapshot.total_units,
            "supply": snapshot.consortium_supply,
            "escrow": snapshot.escrow,
            "wrapped_supply": snapshot.wrapped_supply,
            "in_flight": in_flight,
            "beneficial_owners": len(owners),
            "flags": len(self.flags),
        }
        result = Reconciliation(not problems, problems, figures)
        self.sim.record(
            "regulator.reconciled", "regulator", asset_id=asset_id, holds=result.holds, problems=problems, **figures
        )
        return result

    # ---- acting ---------------------------------------------------------------------------------------
    def freeze(self, asset_id: str, holder: str, *, chain: str, frozen: bool = True, reason: str = "") -> None:
        """Freeze (or unfreeze) a holder: directly on the consortium, by order to the issuer on Ethereum."""
        note, issuer, _ = self.notes[asset_id]
        self.sim.record(
            "regulator.order",
            "regulator",
            order="freeze" if frozen else "unfreeze",
            asset_id=asset_id,
            holder=holder,
            chain=chain,
            reason=reason,
        )
        if chain == "consortium":
            handle = self.client.submit("token.freeze", {"asset_id": asset_id, "holder": holder, "frozen": frozen})
            self.ledger.settle(handle)
            if not handle.ok:
                raise RuntimeError(f"freeze refused: {handle.reason}")
        else:
            note.chain.transact(note.wrapped, "setAddressFrozen", holder, frozen, sender=issuer.eth_account)

    def halt_cross_border(self, asset_id: str, *, halted: bool = True, reason: str = "") -> None:
        """Stop (or reopen) movement over the note's bridge lane in both directions."""
        note, _, _ = self.notes[asset_id]
        lane = note.bridge.end.lane
        self.sim.record(
            "regulator.order",
            "regulator",
            order="halt" if halted else "reopen",
            asset_id=asset_id,
            lane=lane,
            reason=reason,
        )
        if self.eth_account is None:
            raise RuntimeError("the regulator holds no guardian key for the gateway (give eth_account)")
        # the gateway first: its pause is mined at once, while the consortium's takes a block, and
        # nothing may be delivered to Ethereum in between
        note.chain.transact(note.bridge.end.gateway, "setLanePaused", lane, halted, sender=self.eth_account)
        handle = self.client.submit("bridge.halt", {"lane": lane, "halted": halted, "reason": reason})
        self.ledger.settle(handle)
        if not handle.ok:
            raise RuntimeError(f"halting lane {lane} was refused: {handle.reason}")

    def visibility(self) -> dict[str, int]:
        """Transfers the regulator has checked, per chain."""
        return dict(self.transfers_seen)

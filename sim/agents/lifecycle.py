"""The note's lifecycle, run by the issuer as calculation and paying agent.

Day by day on the note's calendar the agent publishes the underlying's close on the
consortium ledger, watches the knock-in barrier on every close and the knock-out barrier on
the observation dates, and pays what is due: coupons, early redemption, final redemption.
Each payment is made to the holders of record on both chains from one snapshot
(:func:`rwasim.agents.holdings.holders_of_record`, units in flight on the bridge counted once),
in cash on the chain where each holder is; a redemption then retires every unit.

Amounts come from the payoff engine (:func:`rwasim.products.cash_flows`) applied to the closes
the agent has *observed so far*, and the agent checks that the engine agrees with what it
saw (knock-in, knock-out date), so the two are independent witnesses of the same path.

A note's dates map onto simulated time through :class:`NoteCalendar`: by default one day is
86,400 simulated seconds, so settlement lags, record dates and T+0 redemption keep their real
length against Ethereum's 12-second slots and Casper finality. Nothing runs between the
note's events (idle slots are not executed, relayers sleep), so a real year costs what its
events cost. A compressed calendar (``day_seconds`` below 86,400) remains for quick looks; the
run records it as such.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rwasim.agents.cash import Bank, whole_cents
from rwasim.agents.holdings import holders_of_record
from rwasim.agents.note import IssuedNote
from rwasim.bridge.ledger_module import ESCROW
from rwasim.products import Autocallable, FixedIncomeRedeemable, PricePath, cash_flows, redemption_value

ETH_BATCH = 100  # holders per CashToken.batchTransfer
REAL_DAY = 86_400.0  # simulated seconds in a calendar day
FIXING_HOUR = 16.0  # the underlying's close is published at 16:00 (the Hong Kong market's close)
PAYMENT_HOUR = 10.0  # payments are made at 10:00 on the payment date


class NoteCalendar:
    """Maps the note's dates onto simulated time.

    Parameters
    ----------
    sim : Simulation
    first_day : datetime.date
        The date that is "now" when the calendar is made.
    day_seconds : float, default 86,400
        Simulated seconds per calendar day: 86,400 is the real calendar; less compresses the
        note (for a quick look only: bridge crossings and finality then span "days").
    """

    def __init__(self, sim: Any, first_day: dt.date, day_seconds: float = REAL_DAY) -> None:
        if not 0 < day_seconds <= REAL_DAY:
            raise ValueError(f"day_seconds must be in (0, {REAL_DAY:,.0f}]; {REAL_DAY:,.0f} is the real calendar")
        self.sim = sim
        self.first_day = first_day
        self.start = sim.now
        self.day_seconds = float(day_seconds)
        sim.record(
            "lifecycle.calendar",
            "issuer",
            first_day=first_day.isoformat(),
            day_seconds=self.day_seconds,
            compressed=self.compressed,
        )

    @property
    def compressed(self) -> bool:
        """True when a day lasts less than 86,400 simulated seconds (a quick look, not real time)."""
        return self.day_seconds < REAL_DAY

    def time_of(self, day: dt.date, hour: float = 0.0) -> float:
        """Simulated time of ``hour`` o'clock on ``day``."""
        return self.start + ((day - self.first_day).days + hour / 24.0) * self.day_seconds

    def today(self) -> dt.date:
        return self.first_day + dt.timedelta(days=int((self.sim.now - self.start) // self.day_seconds))

    def advance_to(self, day: dt.date, hour: float = 0.0) -> None:
        """Run both chains until ``hour`` o'clock on ``day`` (never backwards)."""
        target = self.time_of(day, hour)
        if target > self.sim.now:
            self.sim.run(until=target)


@dataclass
class Payment:
    """One payment run: what the snapshot said, what each chain paid, and what could not be paid."""

    kind: str
    event_date: dt.date
    payment_date: dt.date
    per_unit: Decimal
    units: int
    snapshot: dict[str, Any]
    paid_cents: dict[str, int] = field(default_factory=dict)  # chain -> cents measured on chain
    unpaid: dict[str, str] = field(default_factory=dict)  # holder -> reason

    @property
    def total_cents(self) -> int:
        return sum(self.paid_cents.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "event_date": self.event_date.isoformat(),
            "payment_date": self.payment_date.isoformat(),
            "per_unit": str(self.per_unit),
            "units": self.units,
            "paid_cents": dict(sorted(self.paid_cents.items())),
            "unpaid": dict(sorted(self.unpaid.items())),
            "snapshot": self.snapshot,
        }


@dataclass
class LifecycleResult:
    """Everything the lifecycle did, for the report and the invariants."""

    fixings: int = 0
    knock_in: dt.date | None = None
    knock_out: dt.date | None = None
    payments: list[Payment] = field(default_factory=list)
    snapshots_reconciled: bool = True
    engine_agreed: bool = True
    retired_units: int = 0

    @property
    def cash_paid_cents(self) -> int:
        return sum(p.total_cents for p in self.payments)

    def to_json(self) -> dict[str, Any]:
        return {
            "fixings": self.fixings,
            "knock_in": self.knock_in.isoformat() if self.knock_in else None,
            "knock_out": self.knock_out.isoformat() if self.knock_out else None,
            "cash_paid_cents": self.cash_paid_cents,
            "snapshots_reconciled": self.snapshots_reconciled,
            "engine_agreed": self.engine_agreed,
            "retired_units": self.retired_units,
            "payments": [p.to_json() for p in self.payments],
        }


class LifecycleAgent:
    """Runs a note from its strike date to its last payment.

    Parameters
    ----------
    issuer : LicensedIssuer
        Pays from its cash on each chain (the bank tops it up when short: the issuer's funding).
    note : IssuedNote
    bank : Bank
    path : PricePath, optional
        The underlying's closes (required for products with an underlying).
    calendar : NoteCalendar
    custodians : list of Custodian
        Omnibus holders whose payments are passed on to beneficial owners.
    """

    def __init__(
        self,
        issuer: Any,
        note: IssuedNote,
        bank: Bank,
        calendar: NoteCalendar,
        *,
        path: PricePath | None = None,
        custodians: Iterable[Any] = (),
    ) -> None:
        issuer.require("run_lifecycle")
        self.issuer = issuer
        self.note = note
        self.sheet = note.term_sheet
        self.bank = bank
        self.path = path
        self.calendar = calendar
        self.custodians = {c.holder: c for c in custodians}
        self.sim = issuer.sim
        self.result = LifecycleResult()
        self._observed: dict[dt.date, Decimal] = {}
        if self.sheet.requires_underlying and path is None:
            raise ValueError(f"{self.sheet.id} is linked to {self.sheet.underlying}: give its price path")

    # ---- the schedule ------------------------------------------------------------------------------
    def run(self) -> LifecycleResult:
        """Observe, announce and pay until the note is redeemed."""
        sheet = self.sheet
        self.sim.record("lifecycle.start", "issuer", asset_id=self.note.asset_id, product=sheet.kind)
        if sheet.requires_underlying:
            self._observe_path()
        else:
            for flow in cash_flows(sheet, None, units=1):
                self.calendar.advance_to(flow.event_date, FIXING_HOUR)
                self._pay(flow.kind, flow.event_date, flow.amount, redeem=flow.kind != "coupon")
        self.sim.record(
            "lifecycle.end",
            "issuer",
            asset_id=self.note.asset_id,
            **{k: v for k, v in self.result.to_json().items() if k != "payments"},
        )
        return self.result

    def _observe_path(self) -> None:
        sheet, path = self.sheet, self.path
        if path is None or sheet.initial_fixing is None:  # the term sheet and __init__ check both
            raise ValueError(f"{sheet.id}: observing the underlying needs a price path and an initial fixing")
        s0 = Decimal(sheet.initial_fixing)
        knock_out_dates = set(getattr(sheet, "knock_out_dates", ()))
        for day, close in path.closes_between(sheet.strike_date + dt.timedelta(days=1), sheet.maturity_date):
            self.calendar.advance_to(day, FIXING_HOUR)
            self._publish_fixing(day, close)
            if isinstance(sheet, Autocallable):
                if self.result.knock_in is None and close <= sheet.knock_in_barrier * s0:
                    self.result.knock_in = day
                    self._announce("knock_in", day, {"close": str(close)})
                if day in knock_out_dates and close >= sheet.knock_out_barrier * s0:
                    self.result.knock_out = day
                    self._announce("knock_out", day, {"close": str(close)})
                    break
        flow = cash_flows(sheet, PricePath(self._observed), units=1)[0]
        if isinstance(sheet, Autocallable):
            agrees = flow.knock_out_date == self.result.knock_out and (
                (flow.knock_in_date or None) == (self.result.knock_in if flow.knocked_in else None)
            )
            self.result.engine_agreed = self.result.engine_agreed and agrees
            if not agrees:
                self.sim.record(
                    "lifecycle.disagreement",
                    "issuer",
                    engine=flow.to_dict(),
                    observed_knock_in=self.result.knock_in,
                    observed_knock_out=self.result.knock_out,
                )
        self._pay(flow.kind, flow.event_date, flow.amount, redeem=True)

    def _publish_fixing(self, day: dt.date, close: Decimal) -> None:
        self._observed[day] = close
        handle = self.issuer.client.submit(
            "asset.fixing", {"asset_id": self.note.asset_id, "date": day.isoformat(), "close": str(close)}
        )
        self.note.ledger.settle(handle)
        self.result.fixings += handle.ok

    def _announce(self, action: str, day: dt.date, detail: dict[str, Any]) -> None:
        handle = self.issuer.client.submit(
            "asset.corporate_action",
            {"asset_id": self.note.asset_id, "action": action, "date": day.isoformat(), "detail": detail},
        )
        self.note.ledger.settle(handle)
        self.sim.record(f"lifecycle.{action}", "issuer", asset_id=self.note.asset_id, date=day.isoformat(), **detail)

    # ---- paying -------------------------------------------------------------------------------------
    def _pay(self, kind: str, event_date: dt.date, per_unit: Decimal, *, redeem: bool) -> Payment:
        """Snapshot the holders of record on ``event_date``, pay on the payment date, retire if a redemption."""
        note, lane = self.note, (self.note.bridge.end.lane if self.note.bridge is not None else None)
        if redeem and lane is not None:  # no new units leave for Ethereum once the note is being redeemed
            self._submit_ok("bridge.halt", {"lane": lane, "halted": True, "reason": f"{kind} of {note.asset_id}"})
        snapshot = holders_of_record(note)
        self.result.snapshots_reconciled = self.result.snapshots_reconciled and snapshot.reconciles()
        payment_date = self.sheet.calendar.add_business_days(event_date, self.sheet.settlement_lag_days)
        payment = Payment(kind, event_date, payment_date, per_unit, snapshot.total_units, snapshot.to_json())
        self._announce(
            kind,
            event_date,
            {"per_unit": str(per_unit), "record_units": snapshot.total_units, "payment_date": payment_date.isoformat()},
        )
        self.calendar.advance_to(payment_date, PAYMENT_HOUR if payment_date > event_date else FIXING_HOUR)
        cents = whole_cents(per_unit)
        owed = snapshot.by_holder()
        self._pay_consortium({h: u * cents for (c, h), u in owed.items() if c == "consortium"}, payment)
        self._pay_ethereum({h: u * cents for (c, h), u in owed.items() if c == "ethereum"}, payment)
        for holder, custodian in self.custodians.items():
            if ("consortium", holder) in owed:
                custodian.distribute(cents, kind)
        self.result.payments.append(payment)
        self.sim.record(
            "lifecycle.paid",
            "issuer",
            asset_id=note.asset_id,
            payment=kind,
            per_unit=str(per_unit),
            units=snapshot.total_units,
            paid_cents=payment.paid_cents,
            unpaid=len(payment.unpaid),
        )
        if redeem:
            self._retire_all()
        return payment

    def _submit_ok(self, kind: str, payload: dict[str, Any]) -> Any:
        handle = self.issuer.client.submit(kind, payload)
        self.note.ledger.settle(handle)
        if not handle.ok:
            raise RuntimeError(f"{kind} refused: {handle.reason}")
        return handle

    def _pay_consortium(self, owed: dict[str, int], payment: Payment) -> None:
        if not owed:
            return
        issuer, cash = self.issuer.client.holder, self.bank.asset_id
        state = self.note.ledger.state
        shortfall = sum(owed.values()) - state.balance_of(cash, issuer)
        if shortfall > 0:
            self.bank.fund(consortium={issuer: shortfall})
        before = {h: self.note.ledger.state.balance_of(cash, h) for h in owed}
        handles = {
            h: self.issuer.client.submit("token.transfer", {"asset_id": cash, "to": h, "amount": c})
            for h, c in owed.items()
        }
        self.note.ledger.settle(*handles.values())
        after = self.note.ledger.state
        payment.paid_cents["consortium"] = sum(after.balance_of(cash, h) - before[h] for h in owed)
        for holder, handle in handles.items():
            if not handle.ok:
                payment.unpaid[holder] = handle.reason

    def _pay_ethereum(self, owed: dict[str, int], payment: Payment) -> None:
        if not owed:
            return
        chain, token, wallet = self.bank.chain, self.bank.ethereum_token(), self.issuer.eth_account
        shortfall = sum(owed.values()) - token.call("balanceOf", wallet)
        if shortfall > 0:
            self.bank.fund(ethereum={wallet: shortfall})
        holders = list(owed)
        before = {h: token.call("balanceOf", h) for h in holders}
        for start in range(0, len(holders), ETH_BATCH):
            batch = holders[start : start + ETH_BATCH]
            receipt = chain.transact(
                token,
                "batchTransfer",
                batch,
                [owed[h] for h in batch],
                sender=wallet,
                gas=60_000 + 40_000 * len(batch),
                check=False,
            )
            if not receipt.status:  # one bad account must not stop the others: pay them one by one
                for holder in batch:
                    single = chain.transact(
                        token, "transfer", holder, owed[holder], sender=wallet, gas=90_000, check=False
                    )
                    if not single.status:
                        payment.unpaid[holder] = str(single.revert)
        payment.paid_cents["ethereum"] = sum(token.call("balanceOf", h) - before[h] for h in holders)

    def redeem_on_demand(self, investor: Any, units: int) -> Payment:
        """A holder of a fixed-income redeemable note redeems ``units`` today, settled T+0.

        The issuer burns the units from the holder's consortium account and pays par plus the
        interest accrued to today (:func:`rwasim.products.redemption_value`) in the same block.
        The units must be on the consortium (an Ethereum holder sends them home over the bridge first).
        """
        if not isinstance(self.sheet, FixedIncomeRedeemable):
            raise TypeError(
                f"{self.sheet.id} is a {self.sheet.kind} note: only fixed_income_redeemable redeems on demand"
            )
        note, holder, day = self.note, investor.client.holder, self.calendar.today()
        held = note.ledger.state.balance_of(note.asset_id, holder)
        if not 0 < units <= held:
            raise ValueError(
                f"{investor.name} holds {held} units of {note.asset_id} on the consortium, cannot redeem {units}"
            )
        per_unit = redemption_value(self.sheet, day)
        cents = units * whole_cents(per_unit)
        payment = Payment("redemption_on_demand", day, day, per_unit, units, {"holder": holder, "units": units})
        shortfall = cents - note.ledger.state.balance_of(self.bank.asset_id, self.issuer.client.holder)
        if shortfall > 0:
            self.bank.fund(consortium={self.issuer.client.holder: shortfall})
        before = note.ledger.state.balance_of(self.bank.asset_id, holder)
        burn = self.issuer.client.submit("token.burn", {"asset_id": note.asset_id, "from": holder, "amount": units})
        pay = self.issuer.client.submit(
            "token.transfer", {"asset_id": self.bank.asset_id, "to": holder, "amount": cents}
        )
        note.ledger.settle(burn, pay)
        if not burn.ok or not pay.ok:
            raise RuntimeError(f"redemption of {units} units for {investor.name} failed: {burn.reason or pay.reason}")
        payment.paid_cents["consortium"] = note.ledger.state.balance_of(self.bank.asset_id, holder) - before
        self.result.payments.append(payment)
        self.result.retired_units += units
        self.sim.record(
            "lifecycle.redeemed_on_demand",
            "issuer",
            asset_id=note.asset_id,
            holder=holder,
            units=units,
            per_unit=str(per_unit),
            date=day.isoformat(),
            cents=cents,
        )
        return payment

    # ---- retiring units -----------------------------------------------------------------------------
    def _retire_all(self) -> None:
        """Burn every unit: Ethereum units come home over the bridge first, so the escrow always backs them."""
        note, ledger, asset = self.note, self.note.ledger, self.note.asset_id
        issuer = self.issuer
        if note.bridge is not None:
            note.bridge.settle(timeout=4 * note.bridge.finality_bound("to_consortium"))
            chain, token = note.chain, note.wrapped
            held = note.ethereum_holders()
            for wallet, units in held.items():
                if wallet != issuer.eth_account:
                    chain.send(
                        token,
                        "forcedTransfer",
                        wallet,
                        issuer.eth_account,
                        units,
                        sender=issuer.eth_account,
                        gas=200_000,
                    )
                if chain.queued >= 120:
                    chain.mine()
            chain.mine()
            home = token.call("balanceOf", issuer.eth_account)
            if home:
                note.bridge.send_back(issuer.eth_account, issuer.client.holder, home)
                chain.mine()
                note.bridge.settle(timeout=4 * note.bridge.finality_bound("to_consortium"))
        holders = {h: u for h, u in ledger.state.holders(asset).items() if h != ESCROW}  # the escrow backs
        burns = {
            h: issuer.client.submit("token.burn", {"asset_id": asset, "from": h, "amount": u})  # Ethereum units
            for h, u in holders.items()
        }
        ledger.settle(*burns.values())
        self.result.retired_units += sum(holders[h] for h, handle in burns.items() if handle.ok)
        for custodian in self.custodians.values():
            custodian.retire()
        self.sim.record(
            "lifecycle.retired",
            "issuer",
            asset_id=asset,
            units=self.result.retired_units,
            supply_left=ledger.state.total_supply(asset),
        )

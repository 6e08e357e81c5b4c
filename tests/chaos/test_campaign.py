"""The standing chaos campaign: a stateful property test over both chains and the bridge.

One Hypothesis state machine drives a real consortium ledger, a real EVM and two bridge lanes
of one note with random investors (eligible, ineligible, frozen), transfers, DvP and HTLC on
the consortium, locks and send-backs of any amount (0, above the balance, the maximum),
malformed transactions, and every named fault of ``ledger.faults`` and ``bridge.faults``
injected and cleared, with time advancing. After every step
:class:`rwasim.bridge.chaos.InvariantChecker` checks the invariants on the live system.

The machine runs once (bounded, derandomized) and records every violation with the steps
that led to it; one test per invariant then asserts it was never broken, naming the steps.
Set ``RWASIM_CHAOS_SHRINK=1`` to make the first violation fail the machine, so Hypothesis
shrinks it to a minimal sequence of steps.
"""

from __future__ import annotations

import hashlib
import os
import random

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from rwasim.bridge.chaos import (
    ASSET,
    CASH,
    FAULT_KINDS,
    INVARIANTS,
    KINDS,
    ChaosWorld,
    FaultStep,
    InvariantChecker,
    apply_fault,
    build_world,
    clear_all,
    fault_episode,
    settle_all,
    settle_bound,
)

SHRINK = os.environ.get("RWASIM_CHAOS_SHRINK") == "1"
CAMPAIGN = settings(
    max_examples=15,
    stateful_step_count=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
MAX_UINT = 2**256 - 1
AMOUNTS = st.one_of(st.sampled_from(["zero", "one", "balance", "above", "max"]), st.integers(1, 400))
JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**300), 2**300), st.text(max_size=8), st.just("0x" + "ab" * 20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)
FIELDS = (
    "asset_id",
    "amount",
    "to",
    "from",
    "holder",
    "receiver",
    "lane",
    "destination_chain",
    "nonce",
    "expiry",
    "hashlock",
    "deadline",
    "cash_asset",
    "cash_amount",
    "buyer",
    "trade_id",
    "lock_id",
    "preimage",
    "frozen",
    "attestations",
    "source_chain",
    "sender",
    "country",
    "investor_class",
)
TX_KINDS = (
    "token.transfer",
    "bridge.lock",
    "htlc.lock",
    "htlc.claim",
    "dvp.propose",
    "dvp.accept",
    "identity.register",
    "token.mint",
    "bridge.release",
    "bridge.refund",
    "token.freeze",
    "asset.register",
    "no.such.kind",
)

# What the campaign found (survey of one run); filled by the fixture.
FOUND: dict[str, list[tuple[str, list[str]]]] = {}


class Campaign(RuleBasedStateMachine):
    """Both chains and two bridge lanes, one clock; every step checked from outside."""

    world: ChaosWorld
    checker: InvariantChecker

    @initialize(seed=st.integers(0, 2**16))
    def build(self, seed: int) -> None:
        self.world = build_world(seed, validators=4, lanes=(1, 2))
        self.checker = InvariantChecker(self.world)
        self.rng = random.Random(seed)
        self.pending: list[FaultStep] = []
        for chain in ("consortium", "ethereum"):  # one investor of every status on each chain from the start
            for kind in KINDS:
                self.world.onboard(chain, kind)
        self.steps: list[str] = [f"build_world({seed}, validators=4, lanes=(1, 2)) + onboard every kind on each chain"]
        self.alive = True
        self.reported = 0
        # The issuer offers every Ethereum investor units on both lanes; compliance must refuse the barred.
        for investor in self.world.on("ethereum"):
            for lane in self.world.lanes:
                self.lock(lane, 0, investor.kind, 10)

    def teardown(self) -> None:
        if hasattr(self, "world"):
            self.world.stop()

    # ---- helpers -------------------------------------------------------------------------------
    def _step(self, label: str, action) -> None:
        self.steps.append(label)
        if not self.alive:
            return
        self.checker.begin_step()
        try:
            action()
        except Exception as exc:  # anything raised out of the system is a finding
            self.checker.crashed(exc)
            self.alive = False
        if self.alive:
            self.checker.end_step()

    def _amount(self, choice, balance: int) -> int:
        return {"zero": 0, "one": 1, "balance": balance, "above": balance + 1, "max": MAX_UINT}.get(choice, choice)

    def _consortium(self, index: int):
        """The issuer (half the time: it holds most units) or a consortium investor of any status."""
        people = self.world.on("consortium")
        return people[index % len(people)].client if people and index >= 5 else self.world.issuer

    def _wallet(self, index: int) -> str | None:
        wallets = self.world.ethereum_holders()
        return wallets[index % len(wallets)] if wallets else None

    # ---- rules ---------------------------------------------------------------------------------
    @rule(chain=st.sampled_from(["consortium", "ethereum"]), kind=st.sampled_from(KINDS))
    def onboard(self, chain: str, kind: str) -> None:
        self._step(f"onboard({chain!r}, {kind!r})", lambda: self.world.onboard(chain, kind))

    @rule(lane=st.sampled_from([1, 2]), sender=st.integers(0, 9), receiver=st.sampled_from(KINDS), amount=AMOUNTS)
    def lock(self, lane: int, sender: int, receiver: str, amount) -> None:
        """Lock for an Ethereum investor of status ``receiver`` and run until the lane decides it."""
        client = self._consortium(sender)
        wallet = next(i.address for i in self.world.on("ethereum", receiver))
        units = self._amount(amount, self.world.ledger.state.balance_of(ASSET, client.holder))

        def go() -> None:
            self.world.lock(lane, client, units, wallet)
            self.world.bridges[lane].settle(timeout=120.0)

        self._step(f"lock(lane={lane}, {client.label}, {units}, {wallet} ({receiver}))", go)

    @rule(lane=st.sampled_from([1, 2]), sender=st.integers(0, 9), receiver=st.integers(0, 9), amount=AMOUNTS)
    def send_back(self, lane: int, sender: int, receiver: int, amount) -> None:
        wallet, holder = self._wallet(sender), self._consortium(receiver).holder
        units = self._amount(amount, self.world.token(lane).call("balanceOf", wallet))
        self._step(
            f"send_back(lane={lane}, {wallet}, {holder}, {units})",
            lambda: self.world.send_back(lane, wallet, holder, units) and self.world.run(1.0),
        )

    @rule(sender=st.integers(0, 9), receiver=st.integers(0, 9), amount=AMOUNTS)
    def transfer_consortium(self, sender: int, receiver: int, amount) -> None:
        a, b = self._consortium(sender), self._consortium(receiver)
        units = self._amount(amount, self.world.ledger.state.balance_of(ASSET, a.holder))
        self._step(
            f"transfer_consortium({a.label}, {b.label}, {units})",
            lambda: self.world.submit(a, "token.transfer", {"asset_id": ASSET, "to": b.holder, "amount": units}, 30),
        )

    @rule(lane=st.sampled_from([1, 2]), sender=st.integers(0, 9), receiver=st.integers(0, 9), amount=AMOUNTS)
    def transfer_ethereum(self, lane: int, sender: int, receiver: int, amount) -> None:
        a, b = self._wallet(sender), self._wallet(receiver)
        token = self.world.token(lane)
        units = self._amount(amount, token.call("balanceOf", a))
        self._step(
            f"transfer_ethereum(lane={lane}, {a}, {b}, {units})",
            lambda: self.world.chain.transact(token, "transfer", b, units, sender=a, check=False),
        )

    @rule(seller=st.integers(0, 9), buyer=st.integers(0, 9), units=AMOUNTS, settle=st.booleans())
    def dvp(self, seller: int, buyer: int, units, settle: bool) -> None:
        s, b = self._consortium(seller), self._consortium(buyer)
        amount = self._amount(units, self.world.ledger.state.balance_of(ASSET, s.holder))

        def trade() -> None:
            deadline = self.world.sim.timestamp() + 300
            payload = {
                "asset_id": ASSET,
                "amount": amount,
                "cash_asset": CASH,
                "cash_amount": 100,
                "buyer": b.holder,
                "deadline": deadline,
            }
            proposed = self.world.submit(s, "dvp.propose", payload, 30)
            if proposed.ok:
                trade_id = next(e.fields["trade_id"] for e in proposed.events if e.kind == "dvp.proposed")
                if settle:
                    self.world.submit(b, "dvp.accept", {"trade_id": trade_id}, 30)
                else:
                    self.world.submit(s, "dvp.cancel", {"trade_id": trade_id}, 30)

        self._step(f"dvp({s.label} -> {b.label}, {amount}, settle={settle})", trade)

    @rule(sender=st.integers(0, 9), receiver=st.integers(0, 9), units=AMOUNTS, claim=st.booleans())
    def htlc(self, sender: int, receiver: int, units, claim: bool) -> None:
        s, r = self._consortium(sender), self._consortium(receiver)
        amount = self._amount(units, self.world.ledger.state.balance_of(ASSET, s.holder))
        preimage = hashlib.sha256(f"{len(self.steps)}".encode()).digest()

        def swap() -> None:
            payload = {
                "asset_id": ASSET,
                "amount": amount,
                "receiver": r.holder,
                "hashlock": "0x" + hashlib.sha256(preimage).hexdigest(),
                "expiry": self.world.sim.timestamp() + 60,
            }
            locked = self.world.submit(s, "htlc.lock", payload, 30)
            if not locked.ok:
                return
            lock_id = "0x" + locked.hash.hex()
            if claim:
                self.world.submit(r, "htlc.claim", {"lock_id": lock_id, "preimage": "0x" + preimage.hex()}, 30)
            else:
                self.world.run(70)
                self.world.submit(s, "htlc.refund", {"lock_id": lock_id}, 30)

        self._step(f"htlc({s.label} -> {r.label}, {amount}, claim={claim})", swap)

    @rule(
        sender=st.integers(0, 9),
        kind=st.sampled_from(TX_KINDS),
        payload=st.dictionaries(st.sampled_from(FIELDS), JUNK, max_size=6),
    )
    def malformed(self, sender: int, kind: str, payload: dict) -> None:
        client = self._consortium(sender)
        self._step(
            f"malformed({client.label}, {kind!r}, {payload!r})", lambda: self.world.submit(client, kind, payload, 30)
        )

    @rule(kind=st.sampled_from(FAULT_KINDS), salt=st.integers(0, 2**16), duration=st.floats(5, 120))
    def inject(self, kind: str, salt: int, duration: float) -> None:
        w = self.world
        bridge = w.bridges[1]
        steps = fault_episode(
            random.Random(salt),
            kind,
            start=w.sim.now,
            duration=duration,
            validators=list(w.ledger.nodes),
            lanes=w.lanes,
            relayers=len(bridge.relayers),
            quorum=w.ledger.validator_set.quorum,
            slot=w.chain.slot_seconds,
            confirmations=bridge.policy.depth,
            receiver=w.mule,
        )
        if not steps:
            return
        first, rest = steps[0], steps[1:]
        if first.name == "arm_reorg":  # the reorg itself is this rule's second half, after some blocks
            reorg = rest.pop(0)

            def go() -> None:
                apply_fault(w, first)
                w.run(reorg.at - first.at)
                apply_fault(w, reorg)
                w.run(1.0)

            self._step(f"inject(reorg after {reorg.at - first.at:.1f}s, lane={first.lane})", go)
            return
        if first.name == "equivocate":
            self.checker.note_equivocator(first.args["node"])
        self.pending += rest
        self._step(f"inject({first.describe()})", lambda: (apply_fault(w, first), w.run(1.0)))

    @rule()
    def clear_faults(self) -> None:
        pending, self.pending = self.pending, []
        self._step("clear_faults()", lambda: [apply_fault(self.world, s) for s in pending])

    @rule(seconds=st.floats(1, 300))
    def advance(self, seconds: float) -> None:
        self._step(f"advance({seconds:.1f})", lambda: self.world.run(seconds))

    @rule()
    def settle(self) -> None:
        """Faults clear and the system settles: every message must then be final within its bound."""
        w = self.world
        self.pending = []
        clear_time = w.sim.now

        def go() -> None:
            clear_all(w)
            settle_all(w, 2 * settle_bound(w))
            self.checker.final(clear_time)

        self._step("settle()", go)

    # ---- invariants ----------------------------------------------------------------------------
    @invariant()
    def record_violations(self) -> None:
        if not hasattr(self, "checker"):
            return
        new = self.checker.violations[self.reported :]
        self.reported = len(self.checker.violations)
        for violation in new:
            FOUND.setdefault(violation.invariant, []).append((violation.detail, list(self.steps)))
        if SHRINK:
            assert not new, f"{new[0].invariant}: {new[0].detail}\nsteps:\n  " + "\n  ".join(self.steps)


@pytest.fixture(scope="module")
def campaign() -> dict[str, list[tuple[str, list[str]]]]:
    """Run the machine once (bounded, derandomized) and return what it found per invariant."""
    FOUND.clear()
    run_state_machine_as_test(Campaign, settings=CAMPAIGN)
    return dict(FOUND)


def _report(found: dict, invariant: str) -> str:
    detail, steps = found[invariant][0]
    shortest = min(found[invariant], key=lambda item: len(item[1]))
    return (
        f"{len(found[invariant])} violation(s) of {invariant}; first: {detail}\n"
        f"shortest example ({shortest[0]}):\n  " + "\n  ".join(shortest[1])
    )


def check(found: dict, invariant: str) -> None:
    assert invariant in INVARIANTS
    assert invariant not in found, _report(found, invariant)


def test_bft_safety(campaign) -> None:
    """No two different blocks at one height among honest validators."""
    check(campaign, "bft_safety")


def test_conservation(campaign) -> None:
    """Per lane: escrow locked for the lane = wrapped supply + messages in flight."""
    check(campaign, "conservation")


def test_no_double_execution(campaign) -> None:
    """No message delivered or released twice, counted on the chains themselves."""
    check(campaign, "double_execution")


def test_no_barred_holder_gains(campaign) -> None:
    """A holder barred before and after a step holds no more units after it (own refunds aside)."""
    check(campaign, "barred_gain")


def test_no_frozen_holder_moves(campaign) -> None:
    """A frozen holder neither gains units nor moves any out."""
    check(campaign, "frozen_moved")


def test_every_message_final_after_faults_clear(campaign) -> None:
    """Once faults clear and the system settles, every message is final within its lane's bound."""
    check(campaign, "finality")


def test_no_false_alerts(campaign) -> None:
    """Every monitor alert is a real breach (a false alarm hides the real ones)."""
    check(campaign, "false_alert")


def test_nothing_crashes(campaign) -> None:
    """No node, relayer or monitor raises out of the simulation, whatever the transactions and faults."""
    check(campaign, "no_crash")

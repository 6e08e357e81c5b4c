"""The standing chaos campaign: seeded fault schedules over both chains and the bridge, and a
checker of the safety invariants on a live system and its event history.

Why it exists: the ledger's, the bridge's and the tokens' own checks each see one chain. The
promises a user relies on span all of them — no fork among honest validators, nothing minted
without escrow behind it, nothing executed twice, no barred or frozen holder gaining or
moving units, every message final once faults clear — so they are checked here from outside,
from both chains' real state and the events they emitted, after every step.

* :class:`ChaosWorld` (:func:`build_world`): one simulation with a consortium ledger, a real
  EVM and one or more bridge lanes of one note, with investors of every status on both chains.
* :func:`fault_schedule`: a seeded list of :class:`FaultStep` — every fault of
  ``ledger.faults`` and ``bridge.faults``, each injected and later cleared.
* :class:`InvariantChecker`: ``begin_step()`` / ``end_step()`` around anything that runs the
  clock; each returns the :class:`Violation` s found.
* :func:`run_schedule`: one short scenario (onboard, lock, send back, trade) under one
  schedule, then clear and settle; what ``benchmarks/chaos.py`` runs by the thousand.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rwasim.bridge.book import TO_CONSORTIUM, TO_ETHEREUM
from rwasim.bridge.bridge import Bridge
from rwasim.bridge.faults import BridgeFaultError
from rwasim.bridge.gateway import checksum, deploy_ethereum_end
from rwasim.bridge.ledger_module import ESCROW
from rwasim.consortium.block import CommittedBlock
from rwasim.consortium.faults import FaultError
from rwasim.consortium.ledger import ConsortiumLedger, LedgerClient, SafetyViolation, TxHandle
from rwasim.consortium.state import compliance_failure, verified
from rwasim.engine import Simulation, derive_seed
from rwasim.ethereum.chain import EthereumChain
from rwasim.ethereum.suite import register_investor

ASSET = "CHAOS-NOTE"
CASH = "CHAOS-HKD"
RULES = {"investor_classes": ["professional"]}
KINDS = ("eligible", "ineligible", "frozen")
INVARIANTS = (
    "bft_safety",
    "conservation",
    "double_execution",
    "barred_gain",
    "frozen_moved",
    "finality",
    "false_alert",
    "no_crash",
)
# Ethereum calls after which an investor's status must be read again.
STATUS_FUNCTIONS = frozenset(
    {
        "registerIdentity",
        "addClaim",
        "removeClaim",
        "deleteIdentity",
        "setAddressFrozen",
        "batchSetAddressFrozen",
        "updateCountry",
    }
)
# Consortium events that return a holder's own units (not a gain the holder's status forbids).
OWN_RETURNS = frozenset({"bridge.refund", "dvp.return", "htlc.refund"})
# Consortium events by which a holder moves units out of its own account.
OUTGOING = frozenset({"token.transfer", "bridge.lock", "htlc.lock", "dvp.propose"})


# ---- the world ---------------------------------------------------------------------------------
@dataclass
class Investor:
    """One investor on one chain, with the status it was onboarded with."""

    name: str
    chain: str  # "consortium" or "ethereum"
    kind: str  # eligible, ineligible, frozen
    address: str  # consortium holder (0x, lower case) or Ethereum checksum address
    client: LedgerClient | None = None


@dataclass
class ChaosWorld:
    """Both chains and the lanes between them on one clock, plus the people on them."""

    sim: Simulation
    ledger: ConsortiumLedger
    chain: EthereumChain
    bridges: dict[int, Bridge]
    issuer: LedgerClient
    issuer_eth: str
    investors: list[Investor] = field(default_factory=list)
    mule: str = ""

    def token(self, lane: int):
        return self.bridges[lane].end.token

    @property
    def lanes(self) -> list[int]:
        return sorted(self.bridges)

    def on(self, chain: str, kind: str | None = None) -> list[Investor]:
        return [i for i in self.investors if i.chain == chain and (kind is None or i.kind == kind)]

    def consortium_holders(self) -> list[str]:
        return [self.issuer.holder] + [i.address for i in self.on("consortium")]

    def ethereum_holders(self) -> list[str]:
        return [i.address for i in self.on("ethereum")] + ([self.mule] if self.mule else [])

    def submit(self, client: LedgerClient, kind: str, payload: dict, timeout: float = 120.0) -> TxHandle:
        """Submit and run until decided (a halted ledger leaves it pending; the clock still advanced)."""
        handle = client.submit(kind, payload)
        if handle.status == "pending":
            try:
                self.ledger.settle(handle, timeout=timeout)
            except TimeoutError:
                pass
        return handle

    def onboard(self, chain: str, kind: str) -> Investor:
        """A new investor of ``kind`` on ``chain``; eligible ones on the consortium get units and cash."""
        n = len(self.investors)
        name = f"{chain[:3]}-{kind}-{n}"
        if chain == "consortium":
            client, joined = self.ledger.add_client(name, "issuer")
            handles = [joined]
            klass = "retail" if kind == "ineligible" else "professional"
            handles.append(
                self.issuer.submit(
                    "identity.register", {"holder": client.holder, "country": 344, "investor_class": klass}
                )
            )
            if kind != "ineligible":
                handles.append(
                    self.issuer.submit("token.transfer", {"asset_id": ASSET, "to": client.holder, "amount": 50})
                )
                handles.append(
                    self.issuer.submit("token.mint", {"asset_id": CASH, "to": client.holder, "amount": 5_000})
                )
            if kind == "frozen":
                handles.append(
                    self.issuer.submit("token.freeze", {"asset_id": ASSET, "holder": client.holder, "frozen": True})
                )
            try:
                self.ledger.settle(*handles, timeout=120.0)
            except TimeoutError:
                pass
            investor = Investor(name, chain, kind, client.holder, client)
        else:
            wallet = self.chain.new_account(name)
            klass = "retail" if kind == "ineligible" else "professional"
            for lane in self.lanes:
                register_investor(self.chain, self.bridges[lane].end.suite, wallet, country=344, investor_class=klass)
                if kind == "frozen":
                    self.chain.transact(self.token(lane), "setAddressFrozen", wallet, True, sender=self.issuer_eth)
            investor = Investor(name, chain, kind, wallet)
        self.investors.append(investor)
        return investor

    def lock(self, lane: int, client: LedgerClient, amount: Any, receiver: str) -> TxHandle:
        handle = self.bridges[lane].lock(client, amount, receiver)
        if handle.status == "pending":
            try:
                self.ledger.settle(handle, timeout=60.0)
            except TimeoutError:
                pass
        return handle

    def send_back(self, lane: int, sender: str, receiver_holder: str, amount: int) -> bool:
        """Burn on Ethereum for ``receiver_holder``; False when the gateway refuses (mined now)."""
        bridge = self.bridges[lane]
        receipt = self.chain.transact(
            bridge.end.gateway,
            "send",
            lane,
            checksum(bytes.fromhex(receiver_holder[2:])),
            amount,
            sender=sender,
            check=False,
        )
        return bool(receipt.status)

    def run(self, seconds: float) -> None:
        if seconds > 0:
            self.sim.run(until=self.sim.now + seconds)

    def stop(self) -> None:
        for bridge in self.bridges.values():
            bridge.stop()
            bridge.close()
        self.ledger.stop()
        self.ledger.close()


def build_world(
    seed: int, *, validators: int = 4, lanes: Sequence[int] = (1, 2), confirmations: int = 3, relayers: int = 1
) -> ChaosWorld:
    """A ledger of ``validators``, an EVM, and ``lanes`` bridge lanes of one note (sharing its escrow)."""
    sim = Simulation(seed=seed)
    ledger = ConsortiumLedger(sim, n_validators=validators)
    chain = EthereumChain(sim)
    issuer_eth, guardian = chain.accounts[0], chain.accounts[1]
    bridges: dict[int, Bridge] = {}
    for lane in lanes:
        end = deploy_ethereum_end(
            chain,
            ledger,
            asset_id=ASSET,
            lane=lane,
            issuer=issuer_eth,
            guardian=guardian,
            verifier="quorum",
            symbol=f"wCN{lane}",
            modules={"investor_classes": ["professional"]},
        )
        bridges[lane] = Bridge(sim, ledger, chain, end, confirmations=confirmations, relayers=relayers)
    issuer = ledger.org_client("issuer")
    handles = [
        issuer.submit("asset.register", {"asset_id": ASSET, "term_sheet_hash": "0x" + "cd" * 32, "rules": RULES}),
        issuer.submit("asset.register", {"asset_id": CASH, "term_sheet_hash": "0x" + "ce" * 32, "rules": {}}),
        issuer.submit("identity.register", {"holder": issuer.holder, "country": 344, "investor_class": "professional"}),
        issuer.submit("token.mint", {"asset_id": ASSET, "to": issuer.holder, "amount": 100_000}),
        issuer.submit("token.mint", {"asset_id": CASH, "to": issuer.holder, "amount": 1_000_000}),
    ]
    ledger.settle(*handles)
    if not all(h.ok for h in handles):
        raise RuntimeError(f"chaos world set-up failed: {[h.reason for h in handles if not h.ok]}")
    world = ChaosWorld(sim, ledger, chain, bridges, issuer, issuer_eth)
    world.mule = chain.new_account("chaos-mule")
    for lane in lanes:
        register_investor(chain, bridges[lane].end.suite, world.mule, country=344, investor_class="professional")
    return world


# ---- fault schedules ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FaultStep:
    """Apply fault ``name`` of ``target`` (consortium or lane ``lane``'s bridge) at ``at`` seconds."""

    at: float
    target: str  # "consortium" or "bridge"
    name: str
    args: dict = field(default_factory=dict)
    lane: int = 1
    clears: bool = False  # this step ends an earlier fault

    def describe(self) -> str:
        where = "consortium" if self.target == "consortium" else f"bridge[{self.lane}]"
        args = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"t+{self.at:.1f}s {where}.{self.name}({args})"


# Every fault of ledger.faults and bridge.faults, by the name the schedule counts it under.
CONSORTIUM_FAULTS = ("crash", "crash_mid_write", "partition", "delay", "drop", "reorder", "equivocate", "offline")
BRIDGE_FAULTS = (
    "reorg",
    "relayer_crash",
    "relayer_transport",
    "clock_skew",
    "rate_limit",
    "pause",
    "consortium_below_quorum",
    "key_compromise",
    "replay",
    "verifier_bug",
    "zero_root",
)
FAULT_KINDS = CONSORTIUM_FAULTS + BRIDGE_FAULTS
# Faults that by design break the lane (a flawed verifier upgrade): they must be *detected*,
# their forged units are the only mismatch allowed, so they are kept out unless asked for.
BREACH_FAULTS = frozenset({"verifier_bug", "zero_root"})


def fault_episode(
    rng: random.Random,
    kind: str,
    *,
    start: float,
    duration: float,
    validators: Sequence[str],
    lanes: Sequence[int],
    relayers: int,
    quorum: int,
    slot: float,
    confirmations: int,
    receiver: str,
) -> list[FaultStep]:
    """The steps of one fault of ``kind``: its injection at ``start`` and what clears it ``duration`` later."""
    end = start + duration
    v = list(validators)
    lane = rng.choice(list(lanes))
    n = len(v)
    f = (n - 1) // 3
    if kind == "crash":
        node = rng.choice(v)
        return [
            FaultStep(start, "consortium", "crash", {"node": node}),
            FaultStep(end, "consortium", "restart", {"node": node}, clears=True),
        ]
    if kind == "crash_mid_write":
        node = rng.choice(v)
        stage = rng.choice(["after_block", "after_diff"])
        return [
            FaultStep(start, "consortium", "crash_mid_write", {"node": node, "stage": stage}),
            FaultStep(end, "consortium", "restart", {"node": node}, clears=True),
        ]
    if kind == "partition":
        shuffled = v[:]
        rng.shuffle(shuffled)
        cut = rng.randint(1, max(1, n - 1)) if n > 1 else 1
        groups = [sorted(shuffled[:cut]), sorted(shuffled[cut:])] if n > 1 else [shuffled]
        return [
            FaultStep(start, "consortium", "partition", {"groups": groups}),
            FaultStep(end, "consortium", "heal", {}, clears=True),
        ]
    if kind in ("delay", "drop", "reorder"):
        if n < 2:
            return []
        a, b = rng.sample(v, 2)
        arg = {
            "delay": {"seconds": round(rng.uniform(0.1, 5.0), 2)},
            "drop": {"probability": round(rng.uniform(0.3, 1.0), 2)},
            "reorder": {"window": round(rng.uniform(0.1, 3.0), 2)},
        }[kind]
        return [
            FaultStep(start, "consortium", kind, {"a": a, "b": b, **arg}),
            FaultStep(end, "consortium", "clear_link", {"a": a, "b": b}, clears=True),
        ]
    if kind == "equivocate":
        node = rng.choice(v)
        return [
            FaultStep(start, "consortium", "equivocate", {"node": node}),
            FaultStep(end, "consortium", "equivocate", {"node": node, "enabled": False}, clears=True),
        ]
    if kind == "offline":
        count = rng.randint(1, f + 1)
        victims = v[n - count :]
        return [FaultStep(start, "consortium", "offline", {"count": count})] + [
            FaultStep(end, "consortium", "restart", {"node": name}, clears=True) for name in victims
        ]
    if kind == "reorg":  # shallower than the lane's confirmations: the honest finality model
        depth_time = rng.uniform(0.5, max(0.6, confirmations - 1.2)) * slot
        return [
            FaultStep(start, "bridge", "arm_reorg", {}, lane),
            FaultStep(start + depth_time, "bridge", "reorg", {}, lane, clears=True),
        ]
    if kind == "relayer_crash":
        relayer = rng.randrange(relayers)
        when: str | None = rng.choice([None, "after_submit"])
        return [
            FaultStep(start, "bridge", "relayer_crash", {"relayer": relayer, "stage": when}, lane),
            FaultStep(end, "bridge", "relayer_restart", {"relayer": relayer}, lane, clears=True),
        ]
    if kind == "relayer_transport":
        relayer = rng.randrange(relayers)
        args = {
            "relayer": relayer,
            "drop": round(rng.uniform(0, 0.8), 2),
            "delay": round(rng.uniform(0, 30), 1),
            "reorder": rng.random() < 0.5,
        }
        return [
            FaultStep(start, "bridge", "relayer_transport", args, lane),
            FaultStep(end, "bridge", "relayer_transport", {"relayer": relayer}, lane, clears=True),
        ]
    if kind == "clock_skew":
        seconds = rng.randint(1, 120)
        return [
            FaultStep(start, "bridge", "clock_skew", {"seconds": seconds}, lane),
            FaultStep(end, "bridge", "clock_skew", {"seconds": -seconds}, lane, clears=True),
        ]
    if kind == "rate_limit":
        args = {"capacity": rng.choice([1, 10, 100]), "refill": rng.choice([0, 1])}
        return [
            FaultStep(start, "bridge", "rate_limit", args, lane),
            FaultStep(end, "bridge", "rate_limit", {"capacity": 0, "refill": 0}, lane, clears=True),
        ]
    if kind == "pause":
        return [
            FaultStep(start, "bridge", "pause", {}, lane),
            FaultStep(end, "bridge", "unpause", {}, lane, clears=True),
        ]
    if kind == "consortium_below_quorum":
        return [
            FaultStep(start, "bridge", "consortium_below_quorum", {}, lane),
            FaultStep(end, "bridge", "consortium_restore", {}, lane, clears=True),
        ]
    if kind == "key_compromise":  # fewer keys than a quorum: must be contained
        keys = rng.randint(0, max(0, quorum - 1))
        return [
            FaultStep(
                start,
                "bridge",
                "key_compromise",
                {"keys": keys, "amount": rng.randint(1, 10_000), "receiver": receiver},
                lane,
            )
        ]
    if kind == "replay":
        return [FaultStep(start, "bridge", "replay", {}, lane)]
    if kind in BREACH_FAULTS:
        return [
            FaultStep(start, "bridge", kind, {"amount": rng.randint(1, 1_000), "receiver": receiver}, lane),
            FaultStep(end, "bridge", "restore_verifier", {}, lane, clears=True),
        ]
    raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")


def fault_schedule(
    seed: int,
    *,
    validators: Sequence[str],
    lanes: Sequence[int] = (1,),
    relayers: int = 1,
    quorum: int = 3,
    slot: float = 12.0,
    confirmations: int = 3,
    horizon: float = 240.0,
    faults: int = 3,
    receiver: str = "0x" + "00" * 19 + "01",
    kinds: Sequence[str] | None = None,
    breaches: bool = False,
) -> list[FaultStep]:
    """``faults`` seeded fault episodes in ``[0, horizon)``, each cleared before ``horizon``, time-ordered.

    At most one reorg is armed at a time (a reorg goes back to the one armed snapshot).
    """
    rng = random.Random(derive_seed(seed, "chaos", "schedule"))
    pool = [k for k in (kinds or FAULT_KINDS) if breaches or k not in BREACH_FAULTS]
    steps: list[FaultStep] = []
    reorg_busy_until = -1.0
    for _ in range(faults):
        kind = rng.choice(pool)
        start = round(rng.uniform(0, horizon * 0.6), 2)
        duration = round(rng.uniform(horizon * 0.05, horizon * 0.35), 2)
        if kind == "reorg":
            if start < reorg_busy_until:
                start = reorg_busy_until + 1
            reorg_busy_until = start + confirmations * slot + 1
        steps += fault_episode(
            rng,
            kind,
            start=start,
            duration=duration,
            validators=validators,
            lanes=lanes,
            relayers=relayers,
            quorum=quorum,
            slot=slot,
            confirmations=confirmations,
            receiver=receiver,
        )
    return sorted(steps, key=lambda s: (s.at, s.clears))


def apply_fault(world: ChaosWorld, step: FaultStep) -> str:
    """Apply one step now; ``"applied"``, or ``"skipped: ..."`` when it does not apply in this state."""
    try:
        if step.target == "consortium":
            world.ledger.faults.inject(step.name, **step.args)
        elif step.name == "restore_verifier":
            _restore_verifier(world, step.lane)
        else:
            world.bridges[step.lane].faults.inject(step.name, **step.args)
    except (FaultError, BridgeFaultError) as exc:
        return f"skipped: {exc}"
    return "applied"


def _restore_verifier(world: ChaosWorld, lane: int) -> None:
    """Undo a flawed verifier "upgrade": the lane goes back to the verifier it was deployed with."""
    bridge = world.bridges[lane]
    original = getattr(bridge, "_chaos_original_verifier", None)
    if original is None or original.address == bridge.end.verifier.address:
        return
    from rwasim.bridge.codec import asset_key

    world.chain.transact(
        bridge.end.gateway,
        "configureLane",
        lane,
        bridge.end.token.address,
        asset_key(bridge.end.asset_id),
        world.ledger.chain_id,
        original.address,
        sender=bridge.end.suite.issuer,
    )
    bridge.end.verifier = original


def clear_all(world: ChaosWorld) -> None:
    """End every fault still in force, whatever injected it (the campaign's "faults clear")."""
    ledger = world.ledger
    ledger.faults.inject("heal")
    names = list(ledger.nodes)
    for a in names:
        for b in names:
            if a < b:
                ledger.faults.inject("clear_link", a=a, b=b)
    for name, node in ledger.nodes.items():
        if node.equivocating:
            ledger.faults.inject("equivocate", node=name, enabled=False)
        if not node.online:
            ledger.faults.inject("restart", node=name)
        node.store._crash_at = None  # an armed crash_mid_write that never fired
    for lane, bridge in world.bridges.items():
        faults = bridge.faults
        faults._reorg_snapshot = None
        for i, relayer in enumerate(bridge.relayers):
            relayer._crash_at = None
            faults.inject("relayer_transport", relayer=i)
            if not relayer.online:
                faults.inject("relayer_restart", relayer=i)
        if world.chain.time_offset:
            faults.inject("clock_skew", seconds=-world.chain.time_offset)
        if bridge.end.gateway.call("paused"):
            faults.inject("unpause")
        faults.inject("rate_limit", capacity=0, refill=0)
        bridge.watchers_online = True
        _restore_verifier(world, lane)
    ledger.rescue_orphans()


# ---- invariants ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    """One broken invariant, when, and what the checker saw."""

    invariant: str
    time: float
    detail: str


@dataclass
class _Status:
    balance: int
    barred: bool
    frozen: bool


class InvariantChecker:
    """Evaluates the campaign's invariants on a live :class:`ChaosWorld` and its event history.

    Call :meth:`begin_step` before anything that runs the clock and :meth:`end_step` after;
    :meth:`final` once faults are cleared and the system has settled.
    """

    def __init__(self, world: ChaosWorld) -> None:
        self.world = world
        self.violations: list[Violation] = []
        self.honest: set[str] = set(world.ledger.nodes)  # validators never told to equivocate
        self._checked_height = 0
        self.lane_escrow: dict[int, int] = {lane: 0 for lane in world.lanes}
        self.releases: dict[bytes, int] = {}  # consortium releases seen per message id
        self._locks: dict[tuple[int, int], int] = {}  # (lane, nonce) -> units locked
        self._events: list[tuple[int, Any]] = []  # (height, LedgerEvent) of the current step
        self._before: dict[tuple[str, str, str], _Status] = {}
        self._eth_head: tuple[int, bytes] = (0, b"")
        self.slowest_final = 0.0
        self._reported: set[tuple] = set()
        self._eth_status: dict[tuple[int, str], tuple[bool, bool]] = {}
        self._status_receipts = 0
        self._last: dict[tuple[str, str, str], _Status] = {}
        self._last_at: tuple = ()
        for bridge in world.bridges.values():
            bridge._chaos_original_verifier = bridge.end.verifier  # type: ignore[attr-defined]
        world.ledger.on_commit(self._on_commit)
        self._catch_up_lane_escrow()

    # ---- history -----------------------------------------------------------------------------
    def _catch_up_lane_escrow(self) -> None:
        for height in range(1, world_height(self.world) + 1):
            self._on_commit(self.world.ledger.block(height))

    def _on_commit(self, committed: CommittedBlock) -> None:
        if committed.height <= self._checked_height_commit:
            return
        self._checked_height_commit = committed.height
        for receipt in committed.receipts:
            for event in receipt.events:
                f = event.fields
                self._events.append((committed.height, event))
                if event.kind == "bridge.lock" and f["lane"] in self.lane_escrow and f["asset_id"] == ASSET:
                    self.lane_escrow[f["lane"]] += f["amount"]
                    self._locks[(f["lane"], f["nonce"])] = f["amount"]
                elif event.kind == "bridge.released" and f["lane"] in self.lane_escrow:
                    self.lane_escrow[f["lane"]] -= f["amount"]
                    mid = bytes.fromhex(f["message_id"][2:])
                    self.releases[mid] = self.releases.get(mid, 0) + 1
                elif event.kind == "bridge.refunded" and f["lane"] in self.lane_escrow:
                    self.lane_escrow[f["lane"]] -= self._locks.get((f["lane"], f["nonce"]), 0)

    _checked_height_commit = 0

    # ---- statuses ------------------------------------------------------------------------------
    def _statuses(self) -> dict[tuple[str, str, str], _Status]:
        w = self.world
        out: dict[tuple[str, str, str], _Status] = {}
        state = w.ledger.state
        asset = state.asset(ASSET)
        ts = w.sim.timestamp()
        for holder in w.consortium_holders():
            frozen = bool(state.data.get(("frozen", ASSET, holder), False))
            view = state.view()
            barred = (
                asset is None
                or not verified(view, holder, asset)
                or compliance_failure(view, ASSET, asset, None, holder, 1, ts) is not None
            )
            out[("consortium", ASSET, holder)] = _Status(state.balance_of(ASSET, holder), barred, frozen)
        eth = self._ethereum_statuses()
        for lane in w.lanes:
            token = w.token(lane)
            for wallet in w.ethereum_holders():
                barred, frozen = eth[(lane, wallet)]
                out[("ethereum", str(lane), wallet)] = _Status(token.call("balanceOf", wallet), barred, frozen)
        return out

    def _ethereum_statuses(self) -> dict[tuple[int, str], tuple[bool, bool]]:
        """(barred, frozen) per lane and wallet, re-read from the token only after a transaction that
        can change one (an identity, a claim, a freeze) or a reorg: ``canMint`` costs an EVM call chain."""
        w = self.world
        receipts = w.chain.receipts
        stale = len(receipts) < self._status_receipts or any(
            r.function in STATUS_FUNCTIONS for r in receipts[self._status_receipts :]
        )
        wallets = w.ethereum_holders()
        if stale or any((w.lanes[0], x) not in self._eth_status for x in wallets):
            self._eth_status = {}
            for lane in w.lanes:
                token = w.token(lane)
                for wallet in wallets:
                    code = token.call("canMint", wallet, 1)[0]
                    self._eth_status[(lane, wallet)] = (code in (5, 6), bool(token.call("isFrozen", wallet)))
        self._status_receipts = len(receipts)
        return self._eth_status

    def begin_step(self) -> None:
        """Photograph every holder's balance and status before a step."""
        self._before = self._last if self._last_at == self._stamp() else self._statuses()
        self._events = []
        chain = self.world.chain
        head = chain.block_number
        self._eth_head = (head, chain.get_block_hash(head))

    def _flag(self, invariant: str, detail: str, key: tuple | None = None) -> None:
        if key is not None:
            if (invariant, key) in self._reported:
                return
            self._reported.add((invariant, key))
        self.violations.append(Violation(invariant, self.world.sim.now, detail))

    def end_step(self) -> list[Violation]:
        """Check every invariant after a step; the new violations."""
        start = len(self.violations)
        self.check_safety()
        self.check_conservation()
        self.check_double_execution()
        self.check_holders()
        self.check_alerts()
        return self.violations[start:]

    def crashed(self, exc: BaseException) -> None:
        """Something in the system raised out of the simulation (a node, a relayer, the monitor)."""
        if isinstance(exc, SafetyViolation):
            self._flag("bft_safety", str(exc))
        else:
            self._flag("no_crash", f"{type(exc).__name__}: {exc}")

    # ---- the invariants ---------------------------------------------------------------------
    def note_equivocator(self, node: str) -> None:
        self.honest.discard(node)

    def check_safety(self) -> None:
        """No two different blocks at one height among honest validators (and the ledger saw none)."""
        ledger = self.world.ledger
        for message in ledger.monitor.violations:
            self._flag("bft_safety", message, key=(message,))
        nodes = [ledger.nodes[n] for n in sorted(self.honest)]
        top = max((n.height for n in nodes), default=0)
        for height in range(max(1, self._checked_height - 2), top + 1):
            hashes: dict[bytes, list[str]] = {}
            for node in nodes:
                block = node.block_at(height) if node.height >= height else None
                if block is not None:
                    hashes.setdefault(block.header.hash, []).append(node.name)
            if len(hashes) > 1:
                self._flag(
                    "bft_safety",
                    f"height {height}: " + "; ".join(f"0x{h.hex()[:12]} on {sorted(ns)}" for h, ns in hashes.items()),
                    key=(height,),
                )
        self._checked_height = top

    def explained(self, lane: int) -> int:
        """Units minted on ``lane`` by successful (designed) attacks: a breach the monitor must see."""
        return sum(a["amount"] for a in self.world.bridges[lane].faults.attacks if a["succeeded"])

    def check_conservation(self) -> None:
        """Per lane: escrow locked for the lane = wrapped supply + units in flight either way."""
        w = self.world
        total_escrow = w.ledger.state.balance_of(ASSET, ESCROW)
        if total_escrow != sum(self.lane_escrow.values()) and w.ledger.height == self._checked_height_commit:
            self._flag(
                "conservation",
                f"escrow account holds {total_escrow}, the lanes' locks net {dict(self.lane_escrow)}",
                key=("total", total_escrow, tuple(self.lane_escrow.values())),
            )
        for lane, bridge in w.bridges.items():
            bridge.sync()
            wrapped = bridge.end.token.call("totalSupply")
            inbound = sum(r.message.amount for r in bridge.book.in_flight(TO_ETHEREUM))
            outbound = sum(r.message.amount for r in bridge.book.in_flight(TO_CONSORTIUM))
            gap = wrapped + inbound + outbound - self.lane_escrow[lane] - self.explained(lane)
            if gap != 0:
                self._flag(
                    "conservation",
                    f"lane {lane}: escrow {self.lane_escrow[lane]} != wrapped {wrapped} + inbound {inbound} "
                    f"+ outbound {outbound} (+{self.explained(lane)} forged by designed attacks): gap {gap}",
                    key=(lane, gap),
                )

    def real_executions(self, lane: int) -> dict[bytes, int]:
        """Executions per message from the chains themselves: deliveries on Ethereum, releases on the consortium."""
        bridge = self.world.bridges[lane]
        out: dict[bytes, int] = {}
        for log in self.world.chain.get_logs(bridge.end.gateway, "MessageDelivered", 0, "latest"):
            if log.get("lane") == lane:
                out[log["id"]] = out.get(log["id"], 0) + 1
        for record in bridge.book.records.values():
            if record.direction == TO_CONSORTIUM and record.id in self.releases:
                out[record.id] = self.releases[record.id]
        return out

    def check_double_execution(self) -> None:
        for lane in self.world.lanes:
            for mid, count in self.real_executions(lane).items():
                if count > 1:
                    self._flag(
                        "double_execution", f"lane {lane}: message 0x{mid.hex()} executed {count} times", key=(mid,)
                    )

    def check_holders(self) -> None:
        """No barred holder gains units; no frozen holder moves units out (or gains any)."""
        after = self._last = self._statuses()
        self._last_at = self._stamp()
        reorged = self._reorged()
        returns: dict[str, int] = {}
        outgoing: dict[str, list[str]] = {}
        for _, event in self._events:
            f = event.fields
            if f.get("asset_id") != ASSET:
                continue
            if event.kind in OWN_RETURNS and "to" in f:
                returns[f["to"]] = returns.get(f["to"], 0) + f["amount"]
            if event.kind in OUTGOING and "from" in f or event.kind == "bridge.lock":
                who = f.get("from") or f.get("sender")
                outgoing.setdefault(who, []).append(event.kind)
        refunds_eth = self._ethereum_refunds() if not reorged else {}
        for key, now in after.items():
            before = self._before.get(key)
            if before is None:
                continue
            chain, lane, holder = key
            if chain == "ethereum" and reorged:
                continue  # a reorg restores an earlier, already-checked state
            gain = (
                now.balance
                - before.balance
                - (returns.get(holder, 0) if chain == "consortium" else refunds_eth.get((lane, holder), 0))
            )
            if before.barred and now.barred and gain > 0:
                self._flag(
                    "barred_gain", f"{chain}[{lane}] barred holder {holder} gained {gain} units", key=(key, now.balance)
                )
            if before.frozen and now.frozen:
                if gain > 0:
                    self._flag(
                        "frozen_moved",
                        f"{chain}[{lane}] frozen holder {holder} gained {gain} units",
                        key=(key, now.balance),
                    )
                moved = (
                    outgoing.get(holder, []) if chain == "consortium" else self._ethereum_outgoing(int(lane), holder)
                )
                if moved:
                    self._flag(
                        "frozen_moved",
                        f"{chain}[{lane}] frozen holder {holder} moved units out by {moved}",
                        key=(key, now.balance, "out"),
                    )

    def _stamp(self) -> tuple:
        chain = self.world.chain
        return (
            self.world.sim.now,
            chain.block_number,
            chain.get_block_hash(chain.block_number),
            len(self.world.investors),
        )

    def _reorged(self) -> bool:
        chain = self.world.chain
        number, block_hash = self._eth_head
        return chain.block_number < number or chain.get_block_hash(number) != block_hash

    def _ethereum_refunds(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        start = self._eth_head[0] + 1
        for lane, bridge in self.world.bridges.items():
            for log in self.world.chain.get_logs(bridge.end.gateway, "MessageRefunded", start, "latest"):
                k = (str(lane), log["sender"])
                out[k] = out.get(k, 0) + log["amount"]
        return out

    def _ethereum_outgoing(self, lane: int, wallet: str) -> list[str]:
        """How ``wallet`` moved wrapped units out during the step (Transfer logs from it, burns it asked for)."""
        bridge = self.world.bridges[lane]
        start = self._eth_head[0] + 1
        moved = [
            "send"
            for log in self.world.chain.get_logs(bridge.end.gateway, "MessageSent", start, "latest")
            if log["sender"] == wallet and log.get("lane") == lane
        ]
        moved += [
            "transfer"
            for log in self.world.chain.get_logs(bridge.end.token, "Transfer", start, "latest")
            if log["from"] == wallet and log["to"] != "0x" + "00" * 20 and int(log["to"], 16) != 0
        ]
        return moved

    def check_alerts(self) -> None:
        """Every monitor alert names a real breach: a double execution must be one on chain, a
        supply mismatch must be a real gap (or a designed attack)."""
        for lane, bridge in self.world.bridges.items():
            real = self.real_executions(lane)
            for i, alert in enumerate(bridge.monitor.alerts):
                if alert["name"] == "bridge_double_execution" and real.get(alert["id"], 0) <= 1:
                    self._flag(
                        "false_alert",
                        f"lane {lane}: bridge_double_execution for 0x{alert['id'].hex()} at t={alert['time']:.1f}, "
                        f"executed {real.get(alert['id'], 0)} time(s) on chain",
                        key=(lane, i),
                    )
                elif alert["name"] == "bridge_supply_mismatch" and not self.explained(lane):
                    mine = [v for v in self.violations if v.invariant == "conservation" and f"lane {lane}:" in v.detail]
                    if not mine:
                        self._flag(
                            "false_alert",
                            f"lane {lane}: bridge_supply_mismatch (value at risk {alert['value_at_risk']}) at "
                            f"t={alert['time']:.1f} while the lane's own escrow balances",
                            key=(lane, i),
                        )

    def final(self, clear_time: float) -> list[Violation]:
        """After faults cleared at ``clear_time`` and the system settled: every message final within its bound."""
        start = len(self.violations)
        now = self.world.sim.now
        for lane, bridge in self.world.bridges.items():
            for record in bridge.book.records.values():
                bound = bridge.finality_bound(record.direction)
                if record.final:
                    self.slowest_final = max(self.slowest_final, (record.finalised_at or now) - record.created_at)
                    continue
                if now > max(record.created_at, clear_time) + bound:
                    self._flag(
                        "finality",
                        f"lane {lane}: {record.direction} message nonce {record.message.nonce} of "
                        f"{record.message.amount} still {record.state} {now - record.created_at:.0f}s after it was "
                        f"created (bound {bound:.0f}s after faults cleared at t={clear_time:.0f})",
                        key=(record.id,),
                    )
        return self.violations[start:]

    def not_final(self) -> int:
        return sum(len(b.book.in_flight()) for b in self.world.bridges.values())

    def units_lost(self) -> int:
        """Units the conservation check cannot account for, over all lanes, now."""
        lost = 0
        for lane, bridge in self.world.bridges.items():
            wrapped = bridge.end.token.call("totalSupply")
            in_flight = sum(r.message.amount for r in bridge.book.in_flight())
            lost += abs(wrapped + in_flight - self.lane_escrow[lane] - self.explained(lane))
        return lost


def world_height(world: ChaosWorld) -> int:
    return max(n.height for n in world.ledger.nodes.values())


def settle_all(world: ChaosWorld, timeout: float) -> None:
    """Run until no bridge message is in flight and no consortium transaction is pending (or ``timeout``)."""
    deadline = world.sim.now + timeout
    step = world.chain.slot_seconds
    while world.sim.now < deadline:
        world.run(min(step, deadline - world.sim.now))
        if (
            not any(b.book.in_flight() for b in world.bridges.values())
            and not world.chain.queued
            and not any(h.status == "pending" for h in world.ledger.handles.values())
        ):
            break


def settle_bound(world: ChaosWorld) -> float:
    return max(b.finality_bound(d) for b in world.bridges.values() for d in (TO_ETHEREUM, TO_CONSORTIUM))


# ---- one schedule, end to end -----------------------------------------------------------------
@dataclass
class ScheduleResult:
    seed: int
    steps: list[FaultStep]
    applied: dict[str, int]
    violations: list[Violation]
    units_lost: int
    not_final: int
    slowest_final: float
    simulated: float

    @property
    def ok(self) -> bool:
        return not self.violations


def _guarded(checker: InvariantChecker, action: Callable[[], Any]) -> bool:
    """Run ``action``; an exception out of the system is a ``no_crash`` (or safety) violation."""
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - anything raised out of the simulation is the finding
        checker.crashed(exc)
        return False
    return True


def run_schedule(
    seed: int,
    *,
    validators: int = 4,
    lanes: Sequence[int] = (1,),
    faults: int = 3,
    horizon: float = 240.0,
    kinds: Sequence[str] | None = None,
    breaches: bool = False,
    world: ChaosWorld | None = None,
) -> ScheduleResult:
    """One short scenario under one seeded fault schedule: onboard, lock, send back and trade while
    faults strike, then clear every fault, settle, and check finality."""
    world = world or build_world(seed, validators=validators, lanes=lanes)
    rng = random.Random(derive_seed(seed, "chaos", "workload"))
    checker = InvariantChecker(world)
    bridge = world.bridges[world.lanes[0]]
    steps = fault_schedule(
        seed,
        validators=list(world.ledger.nodes),
        lanes=world.lanes,
        relayers=len(bridge.relayers),
        quorum=world.ledger.validator_set.quorum,
        slot=world.chain.slot_seconds,
        confirmations=bridge.policy.depth,
        horizon=horizon,
        faults=faults,
        receiver=world.mule,
        kinds=kinds,
        breaches=breaches,
    )
    applied: dict[str, int] = {}
    t0 = world.sim.now
    checker.begin_step()
    alive = _guarded(checker, lambda: _onboard(world, rng))
    checker.end_step()
    ops = _operations(world, rng, horizon)
    events = sorted([(s.at, 0, s) for s in steps] + [(at, 1, op) for at, op in ops], key=lambda e: (e[0], e[1]))
    for at, _, item in events:
        if not alive:
            break
        checker.begin_step()
        alive = _guarded(checker, lambda at=at: world.run(max(0.0, t0 + at - world.sim.now)))  # type: ignore[misc]
        if alive:
            if isinstance(item, FaultStep):
                if item.name == "equivocate" and item.args.get("enabled", True):
                    checker.note_equivocator(item.args["node"])
                outcome = apply_fault(world, item)
                if outcome == "applied" and not item.clears:
                    applied[_kind_of(item)] = applied.get(_kind_of(item), 0) + 1
            else:
                alive = _guarded(checker, item)
        checker.end_step()
    clear_time = world.sim.now
    if alive:
        checker.begin_step()
        alive = _guarded(checker, lambda: _clear_and_settle(world))
        checker.end_step()
    if alive:
        checker.final(clear_time)
    result = ScheduleResult(
        seed,
        steps,
        applied,
        checker.violations,
        checker.units_lost() if alive else 0,
        checker.not_final(),
        checker.slowest_final,
        world.sim.now,
    )
    world.stop()
    return result


def _clear_and_settle(world: ChaosWorld) -> None:
    clear_all(world)
    settle_all(world, 2 * settle_bound(world))


def _kind_of(step: FaultStep) -> str:
    return "reorg" if step.name == "arm_reorg" else step.name


def _onboard(world: ChaosWorld, rng: random.Random) -> None:
    for chain in ("consortium", "ethereum"):
        for kind in KINDS:
            world.onboard(chain, kind)


def _operations(world: ChaosWorld, rng: random.Random, horizon: float) -> list[tuple[float, Callable[[], Any]]]:
    """The workload: locks (0, normal, above balance), send-backs, transfers, a DvP and an HTLC, at seeded times."""
    ops: list[tuple[float, Callable[[], Any]]] = []
    eligible_eth = [i.address for i in world.on("ethereum")]
    consortium = world.on("consortium")
    lanes = world.lanes

    def lock(lane: int, sender: LedgerClient, amount: int, receiver: str) -> Callable[[], Any]:
        return lambda: world.lock(lane, sender, amount, receiver)

    def back(lane: int, sender: str, receiver: str, amount: int) -> Callable[[], Any]:
        return lambda: world.send_back(lane, sender, receiver, amount)

    def transfer(sender: LedgerClient, receiver: str, amount: int) -> Callable[[], Any]:
        return lambda: world.submit(sender, "token.transfer", {"asset_id": ASSET, "to": receiver, "amount": amount}, 30)

    for _ in range(rng.randint(3, 6)):
        at = rng.uniform(0, horizon)
        lane = rng.choice(lanes)
        which = rng.random()
        if which < 0.45:
            sender = world.issuer if rng.random() < 0.6 else (rng.choice(consortium).client or world.issuer)
            amount = rng.choice([0, 1, rng.randint(1, 500), 10**6])
            ops.append((at, lock(lane, sender, amount, rng.choice(eligible_eth))))
        elif which < 0.8:
            wallet = rng.choice(eligible_eth)
            receiver = rng.choice(world.consortium_holders())
            amount = rng.choice([0, 1, rng.randint(1, 200), 10**6])
            ops.append((at, back(lane, wallet, receiver, amount)))
        else:
            sender = rng.choice(consortium).client or world.issuer
            ops.append((at, transfer(sender, rng.choice(world.consortium_holders()), rng.randint(0, 60))))
    return ops


def hashlock(preimage: bytes) -> str:
    return "0x" + hashlib.sha256(preimage).hexdigest()


def summarise(results: Iterable[ScheduleResult]) -> dict[str, Any]:
    """Totals over schedules: faults by kind, violations by invariant, units lost, messages not final, slowest final."""
    faults: dict[str, int] = {}
    violations: dict[str, int] = {}
    first: dict[str, tuple[int, str]] = {}
    out: dict[str, Any] = {"schedules": 0, "units_lost": 0, "not_final": 0, "slowest_final": 0.0}
    for r in results:
        out["schedules"] += 1
        for k, n in r.applied.items():
            faults[k] = faults.get(k, 0) + n
        for v in r.violations:
            violations[v.invariant] = violations.get(v.invariant, 0) + 1
            first.setdefault(v.invariant, (r.seed, v.detail))
        out["units_lost"] += r.units_lost
        out["not_final"] += r.not_final
        out["slowest_final"] = max(out["slowest_final"], r.slowest_final)
    out["faults"] = dict(sorted(faults.items()))
    out["violations"] = dict(sorted(violations.items()))
    out["first_seed"] = dict(sorted(first.items()))
    return out

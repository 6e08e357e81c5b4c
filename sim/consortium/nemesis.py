"""A consensus nemesis (after Jepsen): seeded fault schedules and a checker of the history.

:func:`generate_schedule` draws, from ``(n, seed)`` alone, a schedule of named faults
(``partition``/``heal``, ``crash``/``restart``, ``crash_mid_write``, ``delay``, ``drop`` and
``reorder`` on links, and ``equivocate`` by at most ``f = (n - 1) // 3`` Byzantine validators)
over a fault window, with client transactions submitted throughout. At ``clear_at`` every
fault except the Byzantine validators' is lifted: partitions heal, links clear, crashed
validators restart. :func:`run_schedule` plays it on a real :class:`ConsortiumLedger` and
records a :class:`History`; :func:`check_history` checks it:

* safety — no two honest validators hold different blocks at one height; every block held
  carries a quorum certificate valid under the ``ceil(2n/3)`` rule, chained to its parent;
* liveness — once faults clear, every admitted transaction is decided within ``bound``
  simulated seconds, and every honest validator catches up to the same height.

A schedule and its history are pure functions of ``(n, seed)``, so a failing seed replays
exactly. ``benchmarks/chaos.py`` runs thousands of them::

    problems = check_history(run_schedule(generate_schedule(n, seed)))
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from rwasim.consortium.block import InvalidCertificate
from rwasim.consortium.ledger import ConsortiumLedger, SafetyViolation
from rwasim.consortium.membership import ValidatorSet
from rwasim.engine import Simulation, derive_seed

CLIENT_ORGS = ("issuer", "bank", "techco")  # organisations whose admins may register identities
LINK_FAULTS = ("delay", "drop", "reorder")


@dataclass(frozen=True)
class NemesisOp:
    """One fault applied at simulated time ``at`` through ``ledger.faults.inject``."""

    at: float
    fault: str
    args: tuple[tuple[str, Any], ...] = ()

    def kwargs(self) -> dict[str, Any]:
        return {k: list(map(list, v)) if k == "groups" else v for k, v in self.args}


@dataclass(frozen=True)
class Schedule:
    """Faults and client submissions for ``n`` validators; faults end at ``clear_at``."""

    n: int
    seed: int
    byzantine: tuple[str, ...]
    ops: tuple[NemesisOp, ...]
    submissions: tuple[tuple[float, str, str], ...]  # (at, organisation, validator it is sent to)
    clear_at: float
    bound: float  # liveness: seconds after clear_at by which every admitted transaction is decided


@dataclass
class History:
    """What happened when a schedule ran: each honest validator's chain and each transaction's fate."""

    schedule: Schedule
    validator_set: ValidatorSet
    genesis_hash: bytes
    chains: dict[str, list] = field(default_factory=dict)  # honest node -> its CommittedBlocks, height 1..
    transactions: list[dict[str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    equivocations: int = 0
    end: float = 0.0


def _names(n: int) -> list[str]:
    return sorted(f"v{i}" for i in range(n))


def generate_schedule(
    n: int,
    seed: int,
    *,
    window: float = 90.0,
    faults: int = 10,
    transactions: int = 12,
    bound: float = 400.0,
) -> Schedule:
    """A random schedule for ``n`` validators, a pure function of its arguments.

    ``faults`` faults start in ``[0, window)``, each lifted later or at ``clear_at = window``;
    ``transactions`` identity registrations are submitted in ``[0, window + 20)``, some after
    the faults clear. Up to ``f`` validators equivocate from the start to the end.
    """
    rng = random.Random(derive_seed(seed, "nemesis", n))
    names = _names(n)
    f = (n - 1) // 3
    byzantine = tuple(sorted(rng.sample(names, f if rng.random() < 0.5 else rng.randint(0, f))))
    ops: list[NemesisOp] = [NemesisOp(0.0, "equivocate", (("node", b),)) for b in byzantine]
    for _ in range(faults):
        at = round(rng.uniform(0, window), 3)
        kind = rng.choice(("partition", "partition", "crash", "crash_mid_write", "link", "link"))
        end = round(rng.uniform(at, window), 3)
        if kind == "partition" and n > 1:
            shuffled = rng.sample(names, n)
            cuts = sorted(rng.sample(range(1, n), min(n - 1, rng.choice((1, 1, 2)))))
            groups = tuple(tuple(sorted(g)) for g in (shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, n])))
            ops += [NemesisOp(at, "partition", (("groups", groups),)), NemesisOp(end, "heal")]
        elif kind == "crash":
            node = rng.choice(names)
            ops += [NemesisOp(at, "crash", (("node", node),)), NemesisOp(end, "restart", (("node", node),))]
        elif kind == "crash_mid_write":
            node = rng.choice(names)
            stage = rng.choice(("after_block", "after_diff"))
            ops += [
                NemesisOp(at, "crash_mid_write", (("node", node), ("stage", stage))),
                NemesisOp(end, "restart", (("node", node),)),
            ]
        elif kind == "link" and n > 1:
            a, b = sorted(rng.sample(names, 2))
            fault = rng.choice(LINK_FAULTS)
            if fault == "delay":
                arg = ("seconds", round(rng.uniform(0.1, 5.0), 3))
            elif fault == "drop":
                arg = ("probability", round(rng.choice((0.3, 0.7, 1.0)), 2))
            else:
                arg = ("window", round(rng.uniform(0.1, 3.0), 3))
            ops += [NemesisOp(at, fault, (("a", a), ("b", b), arg)), NemesisOp(end, "clear_link", (("a", a), ("b", b)))]
    clear_at = float(window)
    # faults clear: heal, clear every link, disarm pending mid-write crashes, restart everyone
    ops.append(NemesisOp(clear_at, "heal"))
    for a, b in sorted({(dict(o.args)["a"], dict(o.args)["b"]) for o in ops if o.fault in LINK_FAULTS}):
        ops.append(NemesisOp(clear_at, "clear_link", (("a", a), ("b", b))))
    for node in names:
        ops.append(NemesisOp(clear_at, "crash_mid_write", (("node", node), ("enabled", False))))
        ops.append(NemesisOp(clear_at, "restart", (("node", node),)))
    ops.sort(key=lambda o: o.at)  # stable: ops at one time keep their order
    submissions = tuple(
        sorted(
            (round(rng.uniform(0, window + 20), 3), rng.choice(CLIENT_ORGS), rng.choice(names))
            for _ in range(transactions)
        )
    )
    return Schedule(n, seed, byzantine, tuple(ops), submissions, clear_at, float(bound))


def run_schedule(schedule: Schedule, *, ledger_args: dict[str, Any] | None = None) -> History:
    """Play ``schedule`` on a fresh ledger (in-memory SQLite) and record its history."""
    sim = Simulation(seed=derive_seed(schedule.seed, "nemesis-run", schedule.n))
    ledger = ConsortiumLedger(sim, n_validators=schedule.n, **(ledger_args or {}))
    history = History(schedule, ledger.genesis.validator_set(), ledger.genesis_hash)
    handles: list[tuple[float, Any]] = []

    def submit(org: str, via: str, index: int) -> None:
        client = ledger.org_client(org)
        payload = {
            "holder": "0x" + ledger.new_client_key(f"nemesis-{index}").address.hex(),
            "country": 344,
            "investor_class": "professional",
        }
        handle = client.submit("identity.register", payload, via=via)
        if handle.status == "refused" and handle.reason and handle.reason.startswith("validator "):
            handle = client.submit("identity.register", payload)  # fail over as a client library would
        handles.append((sim.now, handle))

    for op in schedule.ops:
        _at(sim, op.at, ledger.faults.inject, op.fault, **op.kwargs())
    for index, (at, org, via) in enumerate(schedule.submissions):
        _at(sim, at, submit, org, via, index)
    horizon = max(schedule.clear_at, max((s[0] for s in schedule.submissions), default=0.0)) + schedule.bound
    try:
        sim.run(until=horizon)
    except SafetyViolation as exc:
        history.violations.append(str(exc))
    history.violations += [v for v in ledger.monitor.violations if v not in history.violations]
    history.end = sim.now
    history.equivocations = len(ledger.monitor.equivocations)
    for name, node in ledger.nodes.items():
        if name not in schedule.byzantine:
            history.chains[name] = [node.block_at(h) for h in range(1, node.height + 1)]
    for submitted_at, handle in handles:
        height = handle.height
        history.transactions.append(
            {
                "tx": handle.hash,
                "submitted_at": submitted_at,
                "status": handle.status,
                "reason": handle.reason,
                "height": height,
                "decided_at": ledger.commit_times.get(height) if height is not None else None,
            }
        )
    ledger.stop()
    ledger.close()
    return history


def _at(sim: Simulation, at: float, action, *args, **kwargs) -> None:
    event = sim.timeout(max(at - sim.now, 0.0))
    event.callbacks.append(lambda _e: action(*args, **kwargs))


def check_history(history: History) -> list[str]:
    """Problems found in ``history`` (empty when it is safe and live)."""
    problems = list(history.violations)
    s = history.schedule
    vs = history.validator_set
    if vs.quorum != -(-2 * vs.n // 3):
        problems.append(f"quorum {vs.quorum} of {vs.n} is not ceil(2n/3)")
    decided: dict[int, bytes] = {}
    checked: set[tuple] = set()  # (header, certificate) pairs already verified
    for node, chain in sorted(history.chains.items()):
        parent = history.genesis_hash
        for height, committed in enumerate(chain, start=1):
            if committed is None:
                problems.append(f"{node} lost its block {height}")
                break
            header = committed.header
            if header.height != height or header.parent_hash != parent:
                problems.append(f"{node}: block {height} does not chain to its parent")
            parent = header.hash
            known = decided.setdefault(height, header.hash)
            if known != header.hash:
                problems.append(
                    f"safety: {node} holds 0x{header.hash.hex()[:12]} at height {height}, others hold 0x{known.hex()[:12]}"
                )
            key = (header.hash, committed.qc.signatures)
            if key in checked:
                continue
            checked.add(key)
            if header.validator_set_hash != vs.hash or committed.qc.header_hash != header.hash:
                problems.append(f"block {height}: certificate or validator set is not the genesis set's")
                continue
            try:
                committed.qc.verify(vs)
            except InvalidCertificate as exc:
                problems.append(f"block {height}: invalid quorum certificate ({exc})")
    heights = {node: len(chain) for node, chain in history.chains.items()}
    if len(set(heights.values())) > 1:
        problems.append(f"liveness: honest validators did not catch up after faults cleared: {heights}")
    for t in history.transactions:
        if t["status"] == "refused":
            continue
        deadline = max(s.clear_at, t["submitted_at"]) + s.bound
        if t["status"] == "pending" or t["decided_at"] is None or t["decided_at"] > deadline:
            problems.append(
                f"liveness: transaction 0x{t['tx'].hex()[:12]} submitted at {t['submitted_at']:.1f}s "
                f"not decided by {deadline:.1f}s ({t['status']})"
            )
    return problems


def run_nemesis(n: int, seed: int, **schedule_args: Any) -> tuple[Schedule, History, list[str]]:
    """Generate, run and check one schedule: ``(schedule, history, problems)``."""
    schedule = generate_schedule(n, seed, **schedule_args)
    history = run_schedule(schedule)
    return schedule, history, check_history(history)

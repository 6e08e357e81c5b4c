"""BFT safety and liveness for every validator count, not only n = 3f+1.

The quorum is ceil(2n/3) (Besu's QBFT): with 2f+1 a 3|3 split of six validators committed two
blocks at one height. Every two-way partition of 1..10 validators is tried on a real ledger;
f equivocating proposers are tried for each n; a single validator resolves its handles; a
validator cut off by a partition catches up when it heals, on an idle ledger.
"""

from __future__ import annotations

import itertools
import math

import pytest

from rwasim.consortium import ConsortiumLedger
from rwasim.consortium.membership import ValidatorSet, bft_quorum
from rwasim.engine import Simulation
from tests.consortium.conftest import assert_nodes_agree


def _register(ledger: ConsortiumLedger, org: str, label: str, via: str | None = None):
    """An identity registration by ``org``'s admin: valid whatever else has committed."""
    holder = "0x" + ledger.new_client_key(label).address.hex()
    return ledger.org_client(org).submit(
        "identity.register", {"holder": holder, "country": 344, "investor_class": "professional"}, via=via
    )


def test_quorum_is_two_thirds_rounded_up_and_any_two_quorums_share_an_honest_validator():
    assert [bft_quorum(n) for n in range(1, 11)] == [1, 2, 2, 3, 4, 4, 5, 6, 6, 7]
    for n in range(1, 101):
        q, f = bft_quorum(n), (n - 1) // 3
        assert q == math.ceil(2 * n / 3)
        assert 2 * q - n >= f + 1, n  # overlap of two quorums holds an honest validator
        assert n - f >= q, n  # the honest validators alone make a quorum
        vs = ValidatorSet(tuple(bytes([i + 1]) * 20 for i in range(n)))
        assert (vs.f, vs.quorum) == (f, q)


def _two_way_partitions(names: list[str]):
    """Every split of ``names`` into two non-empty sides (the side with names[0] first)."""
    first, rest = names[0], names[1:]
    for size in range(len(rest)):
        for others in itertools.combinations(rest, size):
            side = [first, *others]
            yield side, [n for n in names if n not in side]


@pytest.mark.parametrize("n", range(1, 11))
def test_no_two_way_partition_commits_two_blocks_and_a_quorum_side_stays_live(n):
    sim = Simulation(seed=100 + n)
    ledger = ConsortiumLedger(sim, n_validators=n)
    names = sorted(ledger.nodes)
    quorum = ledger.validator_set.quorum
    splits = list(_two_way_partitions(names)) or [(names, [])]
    # at most n - quorum rounds in a row have their proposer on the other side, each one timer
    cfg = ledger.config
    window = cfg.block_period + sum(cfg.timeout(r) for r in range(n - quorum + 1)) + 5
    for i, (a, b) in enumerate(splits):
        ledger.faults.inject("partition", groups=[a, b] if b else [a])
        ta = _register(ledger, "issuer", f"a-{i}", via=a[-1])
        tb = _register(ledger, "bank", f"b-{i}", via=b[-1]) if b else None
        height = ledger.height
        sim.run(until=sim.now + window)
        for side, handle in ((a, ta), (b, tb)):
            if handle is None:
                continue
            # liveness: a side holding a quorum decides its own transaction; safety: the other
            # side cannot decide its own (at most one side holds a quorum)
            assert handle.status == ("ok" if len(side) >= quorum else "pending"), (a, b, handle.status)
        if len(a) < quorum and len(b) < quorum:
            assert ledger.height == height, (a, b)
        ledger.faults.inject("heal")
        ledger.settle(*[h for h in (ta, tb) if h is not None], timeout=600)
        assert ledger.monitor.violations == []
    ledger.catch_up(ledger.height)
    assert_nodes_agree(ledger)
    assert len(ledger.monitor.decided) == ledger.height


@pytest.mark.parametrize("n", range(1, 11))
def test_f_equivocating_proposers_cannot_fork_any_validator_count(n):
    sim = Simulation(seed=200 + n)
    ledger = ConsortiumLedger(sim, n_validators=n)
    f = ledger.validator_set.f
    liars = sorted(ledger.nodes)[:f]
    for liar in liars:
        ledger.faults.inject("equivocate", node=liar)
    handles = []
    for i in range(2 * n + 2):  # every validator proposes at least once
        handles += [_register(ledger, "issuer", f"i-{i}"), _register(ledger, "bank", f"b-{i}")]
        ledger.settle(*handles[-2:], timeout=900)
    assert all(h.ok for h in handles)
    assert ledger.monitor.violations == []
    if f:
        assert {e["proposer"] for e in ledger.monitor.equivocations} <= set(liars)
        assert sim.log.of_kind("consortium.equivocation_sent")
    vs = ledger.validator_set
    for height in range(1, ledger.height + 1):
        ledger.block(height).qc.verify(vs)
    ledger.catch_up(ledger.height)
    assert_nodes_agree(ledger)


def test_a_single_validator_resolves_handles_it_commits_while_submitting():
    sim = Simulation(seed=3)
    ledger = ConsortiumLedger(sim, n_validators=1)
    first = _register(ledger, "issuer", "first")
    ledger.settle(first, timeout=60)
    sim.run(until=sim.now + 5)  # past the block period: the proposer commits inside submit
    second = _register(ledger, "issuer", "second")
    assert second.status == "ok" and second.height == 2  # decided before submit returned
    assert ledger.settle(second, timeout=60) == [second]
    assert [e.data["status"] for e in sim.log.of_kind("consortium.tx")] == ["ok", "ok"]


def test_a_validator_cut_off_by_a_partition_catches_up_when_it_heals_on_an_idle_ledger():
    sim = Simulation(seed=5)
    ledger = ConsortiumLedger(sim, n_validators=4)
    ledger.faults.inject("partition", groups=[["v0", "v1", "v2"], ["v3"]])
    handles = [_register(ledger, "issuer", f"p-{i}") for i in range(3)]
    ledger.settle(*handles, timeout=600)
    assert ledger.nodes["v3"].height == 0 < ledger.height
    ledger.faults.inject("heal")
    sim.run(until=sim.now + 1)  # a few network round trips, no new transaction
    assert ledger.nodes["v3"].height == ledger.height
    assert sim.log.of_kind("consortium.synced")[-1].data["node"] == "v3"
    assert_nodes_agree(ledger)


def test_a_transaction_stranded_on_a_cut_off_validator_is_decided_after_the_heal():
    sim = Simulation(seed=6)
    ledger = ConsortiumLedger(sim, n_validators=4)
    ledger.faults.inject("partition", groups=[["v0", "v1", "v2"], ["v3"]])
    stranded = _register(ledger, "bank", "stranded", via="v3")  # its gossip is lost in the cut
    sim.run(until=sim.now + 30)
    assert stranded.status == "pending"
    ledger.faults.inject("heal")
    ledger.settle(stranded, timeout=60)
    assert stranded.ok

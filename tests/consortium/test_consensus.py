"""QBFT among real validators on a simulated network: finality, certificates, round
changes, liveness with f faults, halting beyond f, equivocation, partitions and link faults."""

from __future__ import annotations

import pytest

from rwasim.consortium import ConsensusConfig, ConsortiumLedger, FaultError, LightClient
from rwasim.consortium.block import commit_digest
from rwasim.consortium.crypto import recover_address
from rwasim.consortium.shapes import consortium_graph
from rwasim.engine import Simulation
from tests.consortium.conftest import ASSET, assert_nodes_agree, build_market


def committed_blocks(ledger):
    return [ledger.block(h) for h in range(1, ledger.height + 1)]


def test_every_block_carries_a_quorum_certificate_of_commit_seals(market):
    ledger = market.ledger
    handles = market.transfers(8)
    ledger.settle(*handles)
    vs = ledger.validator_set
    for committed in committed_blocks(ledger):
        committed.qc.verify(vs)
        assert len(committed.qc.signatures) >= vs.quorum
        for signer, seal in committed.qc.signatures:
            assert recover_address(commit_digest(committed.header.hash), seal) == signer
        assert committed.header.validator_set_hash == vs.hash
    headers = [c.header for c in committed_blocks(ledger)]
    assert [h.height for h in headers] == list(range(1, len(headers) + 1))
    assert headers[0].parent_hash == ledger.genesis_hash
    assert all(b.parent_hash == a.hash for a, b in zip(headers, headers[1:]))
    assert all(b.timestamp >= a.timestamp for a, b in zip(headers, headers[1:]))
    assert_nodes_agree(ledger)


def test_blocks_wait_for_the_block_period_and_none_are_empty():
    m = build_market(config=ConsensusConfig(block_period=2.0))
    times = [e.time for e in m.sim.log.of_kind("consortium.block")]
    assert all(b - a >= 2.0 for a, b in zip(times, times[1:]))
    height = m.ledger.height
    m.sim.run(until=m.sim.now + 60)
    assert m.ledger.height == height, "an idle ledger produces no blocks"
    assert all(e.data["txs"] > 0 for e in m.sim.log.of_kind("consortium.block"))


def test_proposer_rotates_round_robin(market):
    ledger = market.ledger
    for _ in range(6):
        ledger.settle(*market.transfers(1))
    proposers = [c.header.proposer for c in committed_blocks(ledger) if c.header.round == 0]
    vs = ledger.validator_set
    assert proposers == [vs.proposer(c.header.height, 0) for c in committed_blocks(ledger) if c.header.round == 0]
    assert len(set(proposers)) == 4


def test_a_crashed_proposer_causes_a_round_change_to_the_next_one(market):
    ledger = market.ledger
    next_height = ledger.height + 1
    down = ledger.node_name(ledger.validator_set.proposer(next_height, 0))
    ledger.faults.inject("crash", node=down)
    handles = market.transfers(4)
    ledger.settle(*handles)
    assert all(h.ok for h in handles)
    block = ledger.block(next_height)
    assert block.header.round >= 1
    assert block.header.proposer == ledger.validator_set.proposer(next_height, block.header.round)
    assert ledger.node_name(block.header.proposer) != down
    assert any(e.data["round"] == 1 for e in market.sim.log.of_kind("consortium.round_change"))


@pytest.mark.parametrize("n", [4, 7])
def test_live_with_f_validators_down(n):
    m = build_market(n_validators=n)
    f = m.ledger.validator_set.f
    m.ledger.faults.inject("offline", count=f)
    for _ in range(3):
        handles = m.transfers(4)
        m.ledger.settle(*handles, timeout=600)
        assert all(h.ok for h in handles)
    assert_nodes_agree(m.ledger)


def test_halts_beyond_f_down_and_resumes_when_they_return(market):
    ledger = market.ledger
    height = ledger.height
    ledger.faults.inject("offline", count=2)  # n=4, f=1: only 2 of the 3 needed remain
    handles = market.transfers(4)
    with pytest.raises(TimeoutError, match="still pending"):
        ledger.settle(*handles, timeout=120)
    assert ledger.height == height and all(h.status == "pending" for h in handles)
    for node in ("v2", "v3"):
        ledger.faults.inject("restart", node=node)
    ledger.settle(*handles, timeout=600)
    assert all(h.ok for h in handles)
    assert_nodes_agree(ledger)


def test_an_equivocating_proposer_is_detected_and_safety_holds(market):
    ledger = market.ledger
    liar = ledger.node_name(ledger.validator_set.proposer(ledger.height + 1, 0))
    ledger.faults.inject("equivocate", node=liar)
    handles = market.transfers(6)
    ledger.settle(*handles, timeout=600)
    assert all(h.ok for h in handles)
    evidence = ledger.monitor.equivocations
    assert evidence and evidence[0]["proposer"] == liar and len(evidence[0]["blocks"]) == 2
    assert market.sim.log.of_kind("consortium.equivocation")
    assert ledger.monitor.violations == []
    # a validator that prepared the other twin learns the decided block when its round timer fires
    ledger.catch_up(ledger.height, grace=ledger.config.block_period + ledger.config.timeout(0))
    assert_nodes_agree(ledger)
    assert sum(market.ledger.state.holders(ASSET).values()) == 4000


def test_partitioned_minority_stops_majority_goes_on_then_heals(market):
    ledger = market.ledger
    ledger.faults.inject("partition", groups=[["v0", "v1", "v2"], ["v3"]])
    handles = market.transfers(4)
    ledger.settle(*handles, timeout=600)
    assert all(h.ok for h in handles)
    assert ledger.nodes["v3"].height < ledger.height
    ledger.faults.inject("heal")
    ledger.settle(*market.transfers(2), timeout=600)
    ledger.catch_up(ledger.height, grace=30)
    assert_nodes_agree(ledger)


def test_an_even_split_halts_until_healed(market):
    ledger = market.ledger
    height = ledger.height
    ledger.faults.inject("partition", groups=[["v0", "v1"], ["v2", "v3"]])
    handles = market.transfers(2)
    with pytest.raises(TimeoutError):
        ledger.settle(*handles, timeout=60)
    assert ledger.height == height
    ledger.faults.inject("heal")
    ledger.settle(*handles, timeout=900)
    assert all(h.ok for h in handles)
    assert ledger.monitor.violations == []


@pytest.mark.parametrize(
    "fault",
    [
        {"name": "delay", "args": {"a": "v0", "b": "v1", "seconds": 2.5}},
        {"name": "drop", "args": {"a": "v0", "b": "v2", "probability": 1.0}},
        {"name": "reorder", "args": {"a": "v1", "b": "v3", "window": 0.8}},
    ],
)
def test_link_faults_slow_but_do_not_break_consensus(market, fault):
    ledger = market.ledger
    ledger.faults.inject(fault["name"], **fault["args"])
    for _ in range(4):
        handles = market.transfers(3)
        ledger.settle(*handles, timeout=600)
        assert all(h.ok for h in handles)
    ledger.faults.inject("clear_link", a=fault["args"]["a"], b=fault["args"]["b"])
    ledger.settle(*market.transfers(1), timeout=600)
    ledger.catch_up(ledger.height, grace=30)
    assert_nodes_agree(ledger)


def test_lossy_ring_topology_still_commits():
    graph = consortium_graph(7, "ring", latency=0.03, jitter=0.01, loss=0.05, seed=3)
    m = build_market(n_validators=7, graph=graph)
    handles = m.transfers(10)
    m.ledger.settle(*handles, timeout=900)
    assert all(h.ok for h in handles)
    assert m.ledger.network.counters()["lost"], "a lossy network loses messages"


def test_scheduled_faults_fire_at_their_time(market):
    ledger, sim = market.ledger, market.sim
    at = sim.now + 5
    ledger.faults.schedule(at, "crash", node="v1")
    ledger.faults.schedule(at + 20, "restart", node="v1")
    sim.run(until=at + 1)
    assert not ledger.nodes["v1"].online
    sim.run(until=at + 21)
    assert ledger.nodes["v1"].online
    faults = [(e.time, e.data["fault"]) for e in sim.log.of_kind("consortium.fault")]
    assert faults == [(at, "crash"), (at + 20, "restart")]


def test_bad_fault_requests_are_clear_errors(market):
    faults = market.ledger.faults
    with pytest.raises(FaultError, match="unknown fault 'explode'"):
        faults.inject("explode")
    with pytest.raises(FaultError, match="unknown validator 'v9'"):
        faults.inject("crash", node="v9")
    with pytest.raises(FaultError, match="two partition groups"):
        faults.inject("partition", groups=[["v0", "v1"], ["v1", "v2"]])
    with pytest.raises(FaultError, match="drop in"):
        faults.inject("drop", a="v0", b="v1", probability=2)
    with pytest.raises(FaultError, match="already at"):
        faults.schedule(-1, "heal")
    with pytest.raises(FaultError, match="unexpected keyword"):
        faults.inject("crash", nod="v1")


def test_messages_per_block_grow_quadratically():
    for n in (4, 7):
        m = build_market(n_validators=n, investors=2)
        sent = dict(m.ledger.network.sent)
        h0 = m.ledger.height
        for _ in range(3):
            m.ledger.settle(*m.transfers(2))
        blocks = m.ledger.height - h0
        counts = {k: (m.ledger.network.sent[k] - sent.get(k, 0)) / blocks for k in ("proposal", "prepare", "commit")}
        assert counts == {"proposal": n - 1, "prepare": n * (n - 1), "commit": n * (n - 1)}


def test_light_client_follows_a_validator_added_by_governance(market):
    from rwasim.consortium.crypto import KeyPair

    ledger = market.ledger
    client = LightClient(ledger.chain_id, ledger.genesis.validator_set())
    newcomer = KeyPair.from_seed(11, "new-validator")
    proposal = ledger.org_client("techco").submit(
        "governance.propose",
        {"action": "add_validator", "args": {"org_id": "techco", "address": "0x" + newcomer.address.hex()}},
    )
    ledger.settle(proposal)
    last = None
    for org in ("issuer", "bank", "custodian"):
        last = ledger.org_client(org).submit("governance.vote", {"proposal": "0x" + proposal.hash.hex()})
        ledger.settle(last)
        assert last.ok, last.reason
    enacted = [i for i, e in enumerate(last.events) if e.kind == "governance.enacted"]
    assert enacted
    new_set = client.follow_validator_change(ledger.prove_event(last.hash, enacted[0]))
    assert newcomer.address in new_set.validators and new_set.n == 5
    assert ledger.validator_set == new_set
    # the new validator never runs: with n=5 (f=1, quorum 3) the four others still commit
    handles = market.transfers(2)
    ledger.settle(*handles, timeout=900)
    assert all(h.ok for h in handles)
    client.verify(ledger.prove_transaction(handles[-1].hash))


def test_same_seed_same_event_log_and_different_seed_differs():
    def run(seed):
        m = build_market(seed=seed, jitter=0.02, loss=0.01)
        m.ledger.faults.inject("crash", node="v2")
        m.ledger.settle(*m.transfers(6), timeout=600)
        m.ledger.faults.inject("restart", node="v2")
        m.ledger.settle(*m.transfers(6), timeout=600)
        return m.sim.log.to_jsonl()

    assert run(4) == run(4)
    assert run(4) != run(5)


def test_topology_presets_are_connected_and_validated():
    for shape in ("mesh", "ring", "star", "random", "geo"):
        g = consortium_graph(10, shape, seed=1)
        assert sorted(g.nodes) == [f"v{i}" for i in range(10)]
        assert all({"latency", "jitter", "loss"} <= set(d) for _, _, d in g.edges(data=True))
    with pytest.raises(ValueError, match="unknown topology shape"):
        consortium_graph(4, "torus")
    with pytest.raises(ValueError, match="at least one validator"):
        ConsortiumLedger(Simulation(), n_validators=0)

"""Durability: SQLite per node, crashes at any point (mid-round, mid-write, during sync),
restart from the file, catch-up by verified block sync; nothing lost, nothing applied twice."""

from __future__ import annotations

import random
import sqlite3

import pytest

from rwasim.consortium import ConsensusConfig, NodeStore, StorageError
from rwasim.consortium.storage import header_from_json, header_to_json
from tests.consortium.conftest import ASSET, assert_nodes_agree, build_market


def test_each_node_writes_its_own_file_under_the_output_folder(tmp_path):
    m = build_market(storage_dir=tmp_path)
    files = sorted(p.name for p in (tmp_path / "consortium").iterdir() if p.suffix == ".sqlite")
    assert files == ["v0.sqlite", "v1.sqlite", "v2.sqlite", "v3.sqlite"]
    node = m.ledger.nodes["v1"]
    reopened = NodeStore(tmp_path / "consortium" / "v1.sqlite", m.ledger.chain_id)
    state = reopened.load_state()
    assert (state.height, state.state_root, state.data) == (node.height, node.state.state_root, node.state.data)
    assert reopened.block(node.height).header == node.block_at(node.height).header
    reopened.block(node.height).qc.verify(m.ledger.validator_set)


def test_header_round_trips_through_storage(market):
    header = market.ledger.block(1).header
    assert header_from_json(header_to_json(header)) == header
    assert header_from_json(header_to_json(header)).hash == header.hash


def test_a_file_of_another_chain_is_refused(tmp_path):
    m = build_market(storage_dir=tmp_path)
    with pytest.raises(StorageError, match="belongs to consortium chain"):
        NodeStore(tmp_path / "consortium" / "v0.sqlite", m.ledger.chain_id + 1)


def test_a_tampered_state_diff_is_detected_on_load(tmp_path):
    m = build_market(storage_dir=tmp_path)
    path = tmp_path / "consortium" / "v2.sqlite"
    db = sqlite3.connect(path)
    db.execute("UPDATE blocks SET state_diff = ? WHERE height = 1", (b'[["[\\"s:bal\\"]",1]]',))
    db.commit()
    db.close()
    with pytest.raises(StorageError, match="does not chain to its state root"):
        NodeStore(path, m.ledger.chain_id).load_state()


def test_restart_from_the_file_and_catch_up_by_sync(tmp_path):
    m = build_market(storage_dir=tmp_path)
    ledger = m.ledger
    ledger.faults.inject("crash", node="v3")
    crashed_at = ledger.nodes["v3"].height
    for _ in range(5):
        ledger.settle(*m.transfers(4), timeout=600)
    assert ledger.nodes["v3"].height == crashed_at
    ledger.faults.inject("restart", node="v3")
    assert ledger.nodes["v3"].height == crashed_at, "restart resumes from the file"
    ledger.catch_up(ledger.height, grace=30)
    assert ledger.nodes["v3"].height == ledger.height
    synced = m.sim.log.of_kind("consortium.synced")
    assert synced and synced[-1].data["node"] == "v3"
    assert_nodes_agree(ledger)


@pytest.mark.parametrize("stage", ["after_block", "after_diff"])
def test_crash_mid_write_loses_nothing_and_applies_nothing_twice(tmp_path, stage):
    m = build_market(storage_dir=tmp_path)
    ledger = m.ledger
    before = ledger.nodes["v1"].height
    ledger.faults.inject("crash_mid_write", node="v1", stage=stage)
    handles = m.transfers(8)
    ledger.settle(*handles, timeout=600)
    assert not ledger.nodes["v1"].online
    assert ledger.nodes["v1"].store.height == before, "the interrupted write was rolled back"
    assert m.sim.log.of_kind("consortium.write_interrupted")
    ledger.faults.inject("restart", node="v1")
    ledger.settle(*m.transfers(4), timeout=600)
    ledger.catch_up(ledger.height, grace=30)
    assert_nodes_agree(ledger)
    state = ledger.nodes["v1"].state
    for client in m.investors:
        assert state.nonce_of(client.address) == client.nonce
    assert sum(state.holders(ASSET).values()) == state.total_supply(ASSET) == 4000


def test_crash_during_sync_then_finish_it(tmp_path):
    m = build_market(storage_dir=tmp_path, config=ConsensusConfig(sync_batch=2))
    ledger, sim = m.ledger, m.sim
    ledger.faults.inject("crash", node="v2")
    crashed_at = ledger.nodes["v2"].height
    for _ in range(6):
        ledger.settle(*m.transfers(2), timeout=600)
    ledger.faults.inject("restart", node="v2")
    node = ledger.nodes["v2"]
    while node.height == crashed_at:  # sync runs in batches of 2 blocks: stop it after the first
        sim.run(until=sim.now + 0.005)
    ledger.faults.inject("crash", node="v2")
    partial = node.height
    assert crashed_at < partial < ledger.height
    ledger.faults.inject("restart", node="v2")
    assert node.height == partial, "the blocks synced before the crash were durable"
    ledger.catch_up(ledger.height, grace=30)
    assert_nodes_agree(ledger)


def test_a_transaction_held_only_by_a_crashed_node_is_resubmitted(market):
    ledger = market.ledger
    client = market.investors[0]
    handle = client.submit(
        "token.transfer", {"asset_id": ASSET, "to": market.investors[1].holder, "amount": 3}, via="v0"
    )
    ledger.faults.inject("crash", node="v0")  # before v0 gossiped it
    assert market.sim.log.of_kind("consortium.resubmitted")
    ledger.settle(handle, timeout=600)
    assert handle.ok


@pytest.mark.parametrize("seed", range(8))
def test_random_crashes_and_restarts_keep_every_invariant(tmp_path, seed):
    """Kill and restart validators at random moments (at most f down at once) while
    transfers flow; afterwards every transfer is committed exactly once and all nodes agree."""
    m = build_market(seed=seed, storage_dir=tmp_path / str(seed), jitter=0.02)
    ledger, sim = m.ledger, m.sim
    rng = random.Random(seed)
    handles = []
    down: str | None = None
    for _step in range(12):
        handles += m.transfers(rng.randint(1, 5))
        sim.run(until=sim.now + rng.uniform(0.05, 2.5))
        if down is None and rng.random() < 0.5:
            down = rng.choice(sorted(ledger.nodes))
            if rng.random() < 0.3:
                ledger.faults.inject("crash_mid_write", node=down, stage=rng.choice(["after_block", "after_diff"]))
            else:
                ledger.faults.inject("crash", node=down)
        elif down is not None and rng.random() < 0.5:
            ledger.faults.inject("restart", node=down)
            down = None
    if down is not None:
        ledger.faults.inject("restart", node=down)
    for node in ledger.nodes.values():
        if not node.online:  # a crash_mid_write that fired after the last restart
            ledger.faults.inject("restart", node=node.name)
    ledger.settle(*handles, timeout=3600)
    ledger.catch_up(ledger.height, grace=60)
    assert all(h.ok for h in handles), [h.reason for h in handles if not h.ok]
    assert_nodes_agree(ledger)
    state = ledger.state
    for client in m.investors:
        assert state.nonce_of(client.address) == client.nonce
    committed = [tx.hash for h in range(1, ledger.height + 1) for tx in ledger.block(h).block.transactions]
    assert len(committed) == len(set(committed)), "a transaction was committed twice"
    assert sum(state.holders(ASSET).values()) == state.total_supply(ASSET) == 4000
    assert ledger.monitor.violations == []

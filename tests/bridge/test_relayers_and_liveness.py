"""Relayers crash and resume from their SQLite checkpoints, race each other, lose, delay and
reorder messages; the consortium drops below quorum; clocks skew. Every message still ends
in exactly one final state and nothing is minted or released twice."""

from __future__ import annotations

import pytest

from tests.bridge.conftest import ASSET, build_bridged


def _assert_clean(b):
    assert not b.bridge.book.in_flight(), b.bridge.book.listing()
    assert all(r.executions <= 1 for r in b.bridge.book.records.values())
    assert b.bridge.monitor.conserved()
    assert [a for a in b.bridge.monitor.alerts if a["name"] != "bridge_message_overdue"] == []


@pytest.mark.parametrize("stage", [None, "after_submit"])
def test_relayer_crash_and_restart_from_its_file_delivers_exactly_once(tmp_path, stage):
    b = build_bridged(checkpoint_dir=tmp_path)
    relayer = b.bridge.relayers[0]
    assert (tmp_path / "relayer-0.sqlite").exists()
    b.bridge.faults.inject("relayer_crash", stage=stage)
    handles = [b.bridge.lock(b.issuer, 10 + i, b.alice) for i in range(3)]
    b.ledger.settle(*handles)
    b.sim.run(until=b.sim.now + 60)
    assert not relayer.online
    b.bridge.faults.inject("relayer_restart")
    b.bridge.settle()
    assert b.wrapped(b.alice) == 10 + 11 + 12
    if stage == "after_submit":
        assert relayer.duplicates >= 1, "the resubmission was refused on chain"
        assert b.sim.log.of_kind("bridge.duplicate_rejected")[0].data["gas_used"] > 0
    _assert_clean(b)


def test_two_relayers_race_and_only_one_delivery_counts():
    b = build_bridged(relayers=2)
    handles = [b.bridge.lock(b.issuer, 5, b.alice) for _ in range(4)]
    b.ledger.settle(*handles)
    b.bridge.settle()
    b.bridge.send_back(b.alice, b.issuer.holder, 6)
    b.bridge.settle()
    assert b.wrapped(b.alice) == 14
    assert sum(r.duplicates for r in b.bridge.relayers) >= 1
    assert b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000 - 20 + 6
    _assert_clean(b)


def test_dropped_delayed_and_reordered_relaying_still_ends_final():
    b = build_bridged()
    b.bridge.faults.inject("relayer_transport", drop=0.7, delay=20.0, reorder=True)
    for i in range(5):  # one block each: every block's relaying may be lost and retried
        b.ledger.settle(b.bridge.lock(b.issuer, 1 + i, b.alice))
    b.bridge.settle(timeout=7200)
    assert b.wrapped(b.alice) == 15
    assert b.sim.log.of_kind("bridge.relay_dropped")
    _assert_clean(b)


def test_consortium_below_quorum_holds_releases_until_restored(bridged):
    b = bridged
    b.ledger.settle(b.bridge.lock(b.issuer, 50, b.alice))
    b.bridge.settle()
    b.bridge.faults.inject("consortium_below_quorum")
    b.bridge.send_back(b.alice, b.issuer.holder, 10)
    b.sim.run(until=b.sim.now + 600)
    record = [r for r in b.bridge.book.records.values() if r.direction == "to_consortium"][0]
    assert record.state == "in_flight" and b.bridge.pool.count("sent", record.id) < b.ledger.validator_set.quorum
    b.bridge.faults.inject("consortium_restore")
    b.bridge.settle()
    assert record.state == "delivered"
    assert b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000 - 50 + 10
    overdue = [a for a in b.bridge.monitor.alerts if a["name"] == "bridge_message_overdue"]
    assert overdue and overdue[0]["id"] == record.id, "the stall was reported"
    _assert_clean(b)


def test_clock_skew_between_chains_does_not_lose_messages(bridged):
    b = bridged
    b.bridge.faults.inject("clock_skew", seconds=3600)
    b.ledger.settle(b.bridge.lock(b.issuer, 8, b.alice))
    b.bridge.settle()
    b.bridge.send_back(b.alice, b.issuer.holder, 3)
    b.bridge.settle()
    assert b.wrapped(b.alice) == 5
    last = b.chain.block_number  # stamped an hour ahead of the slot it was made in
    assert b.chain.get_block_timestamp(last) - b.sim.epoch - b.chain.slot_time(b.chain.slot_of_block(last)) == 3600
    _assert_clean(b)

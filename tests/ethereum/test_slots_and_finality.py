"""Ethereum time as the protocol keeps it: blocks only at slot starts, on the grid from genesis,
one block per slot, empty slots not executed; Casper FFG's safe and finalized heads two and
three epochs behind, and the finality_delay fault that stalls them."""

from __future__ import annotations

import pytest

from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain
from rwasim.ethereum.errors import ChainError
from rwasim.ethereum.finality import Casper, FinalityPolicy

SLOT, EPOCH = 12.0, 32


# ---- Casper alone: a pure function of time ------------------------------------------------------
@pytest.mark.parametrize(
    ("slot", "finalized_after_slots", "safe_after_slots"),
    [
        (0 + 32, 64, 32),  # a checkpoint slot: two epochs to finality, one to safe
        (1 + 32, 95, 63),  # just after a checkpoint: the longest wait
        (31 + 32, 65, 33),  # the epoch's last slot
    ],
)
def test_a_block_is_finalized_two_to_three_epochs_after_its_slot(slot, finalized_after_slots, safe_after_slots):
    casper = Casper(SLOT)
    proposed = casper.slot_time(slot)
    finalized_at = FinalityPolicy("finalized").settles_at(casper, slot, proposed)
    safe_at = FinalityPolicy("safe").settles_at(casper, slot, proposed)
    assert finalized_at - proposed == finalized_after_slots * SLOT
    assert safe_at - proposed == safe_after_slots * SLOT
    # the published range: 2 epochs, 12.8 to 19 minutes (CCIP's execution-latency page)
    assert 12.8 * 60 <= finalized_at - proposed <= 19.2 * 60
    assert casper.finalized_slot(finalized_at - 1e-6) < slot <= casper.finalized_slot(finalized_at)


def test_a_finality_stall_holds_both_heads_then_finality_resumes_two_epochs_after_it():
    casper = Casper(SLOT)
    casper.stall(first_epoch=10, epochs=4)  # epochs 10..13 never justified
    at = casper.slot_time
    # before the stall: normal
    assert casper.finalized_epoch(at(10 * EPOCH)) == 8 and casper.justified_epoch(at(10 * EPOCH)) == 9
    # during it and at the first boundary after it, nothing new is finalized
    for epoch in range(11, 16):
        assert casper.finalized_epoch(at(epoch * EPOCH)) == 8, epoch
    assert casper.justified_epoch(at(14 * EPOCH)) == 9
    assert casper.justified_epoch(at(15 * EPOCH)) == 14  # the first epoch after the stall is justified
    assert casper.finalized_epoch(at(16 * EPOCH)) == 14  # and finalized one boundary later
    # a block of epoch 10 waits out the stall: finalized at the start of epoch 16, not 13
    wait = FinalityPolicy("finalized").settles_at(casper, 10 * EPOCH + 5, at(10 * EPOCH + 5))
    assert wait == at(16 * EPOCH)


def test_finality_policies_parse_and_refuse_what_they_cannot_mean():
    assert FinalityPolicy.parse("finalized") == FinalityPolicy("finalized")
    assert FinalityPolicy.parse("confirmations=6") == FinalityPolicy("confirmations", 6)
    assert str(FinalityPolicy.parse("confirmations=0")) == "confirmations=0"
    assert not FinalityPolicy("finalized").fast and FinalityPolicy("safe").fast
    for bad in ("final", "confirmations=-1", "confirmations=", "confirmations=two", ""):
        with pytest.raises(ValueError, match="finality policy"):
            FinalityPolicy.parse(bad)
    with pytest.raises(ValueError):
        Casper(SLOT).stall(first_epoch=3, epochs=0)


# ---- the chain on the grid ---------------------------------------------------------------------
def _grid_ok(sim: Simulation, chain: EthereumChain) -> None:
    blocks = sim.log.of_kind("eth.block")
    genesis = chain.get_block_timestamp(0)
    slots = [b.data["slot"] for b in blocks]
    assert len(set(slots)) == len(slots), "no two blocks share a slot"
    assert slots == sorted(slots)
    for block in blocks:
        assert (block.data["timestamp"] - genesis) == block.data["slot"] * SLOT
        assert block.time == chain.slot_time(block.data["slot"])


def test_transactions_wait_for_the_next_slot_and_idle_slots_are_not_executed(probe_artifacts):
    sim = Simulation(seed=3)
    sim.run(until=7.5)  # the chain's genesis is mid-second: its slots start on whole seconds
    chain = EthereumChain(sim, artifacts_dir=probe_artifacts)
    probe = chain.deploy("Probe")  # waits for slot 1
    assert sim.now == chain.slot_time(1) == 19.0
    sim.run(until=100.3)
    tx = chain.send(probe, "bump", 2, sender=chain.accounts[1])
    assert chain.receipt(tx) is None, "nothing mines between slots"
    receipt = chain.mine()[0]
    assert receipt.included_at == chain.slot_time(8) == 103.0  # the first slot after 100.3
    assert receipt.included_at - receipt.submitted_at == pytest.approx(2.7)
    sim.run(until=10_000)
    assert chain.block_number == 2, "a day of idle slots executes nothing"
    second = chain.transact(probe, "bump", 1, sender=chain.accounts[1])
    assert chain.slot_of_block(second.block_number) == chain.slot_at(10_000) + 1
    _grid_ok(sim, chain)


def test_a_transaction_sent_at_a_slot_start_after_its_block_waits_for_the_next_slot(probe_artifacts):
    sim = Simulation(seed=3)
    chain = EthereumChain(sim, artifacts_dir=probe_artifacts)
    probe = chain.deploy("Probe")
    first = chain.transact(probe, "bump", 1, sender=chain.accounts[1])
    late = chain.transact(probe, "bump", 1, sender=chain.accounts[1])  # sent at the slot its block was made
    assert chain.slot_of_block(late.block_number) == chain.slot_of_block(first.block_number) + 1
    _grid_ok(sim, chain)


def test_mining_from_inside_a_process_is_refused_with_the_way_out(probe_artifacts):
    sim = Simulation(seed=3)
    chain = EthereumChain(sim, artifacts_dir=probe_artifacts)
    probe = chain.deploy("Probe")
    outcome = {}

    def step():
        try:
            chain.transact(probe, "bump", 1, sender=chain.accounts[1])
        except ChainError as exc:
            outcome["error"] = str(exc)
        receipt = yield from chain.execute(probe, "bump", 3, sender=chain.accounts[1])
        outcome["value"] = probe.call("value")
        outcome["included"] = receipt.included_at

    sim.complete(step())
    assert "yield from chain.execute" in outcome["error"]
    assert outcome["value"] == 4  # the refused call was still sent: it lands with the next one
    _grid_ok(sim, chain)


def test_the_safe_and_finalized_heads_follow_casper_and_stall_under_a_finality_delay(probe_artifacts):
    sim = Simulation(seed=3)
    chain = EthereumChain(sim, artifacts_dir=probe_artifacts)
    probe = chain.deploy("Probe")
    receipt = chain.transact(probe, "bump", 1, sender=chain.accounts[1])
    block = receipt.block_number
    slot = chain.slot_of_block(block)
    assert chain.head("latest") == block and chain.head("finalized") < block and chain.head("safe") < block
    finalized_at = chain.settles_at(block, FinalityPolicy("finalized"))
    sim.run(until=finalized_at - 1)
    assert chain.head("finalized") < block
    sim.run(until=finalized_at)
    assert chain.head("finalized") == block
    assert 64 * SLOT <= finalized_at - chain.slot_time(slot) <= 96 * SLOT
    # a stall of 4 epochs from now: a new block waits until two epochs after it ends
    chain.delay_finality(4)
    stalled = chain.transact(probe, "bump", 1, sender=chain.accounts[1])
    normal = FinalityPolicy("finalized").settles_at(
        Casper(SLOT, chain.casper.genesis_time), chain.slot_of_block(stalled.block_number), sim.now
    )
    delayed = chain.settles_at(stalled.block_number, FinalityPolicy("finalized"))
    assert delayed - normal >= 4 * EPOCH * SLOT
    sim.run(until=delayed)
    assert chain.head("finalized") == stalled.block_number
    assert sim.log.of_kind("eth.finality_delay")[0].data["epochs"] == 4
    with pytest.raises(ValueError, match="unknown block tag"):
        chain.head("pending")

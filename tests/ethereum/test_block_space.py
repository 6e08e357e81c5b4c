"""Block space on the real EVM: the gas limit, the mempool's order, EIP-1559, others' demand,
missed slots and natural reorgs (issue 15)."""

from __future__ import annotations

import pytest

from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain
from rwasim.ethereum.fees import GWEI, MAINNET_GAS_LIMIT, FeeMarket, next_base_fee

TRANSFER = 21_000


def _chain(seed: int = 1, backend: str = "revm", **market) -> EthereumChain:
    return EthereumChain(Simulation(seed=seed), backend, market=FeeMarket(**market))


def test_the_default_limit_is_mainnets_and_a_bare_chain_is_alone_and_perfect():
    market = EthereumChain(Simulation(seed=1)).market
    assert market.gas_limit == MAINNET_GAS_LIMIT == 60_000_000
    assert market.background == market.missed_slot_rate == market.reorg_rate == 0.0


def test_a_full_block_leaves_the_rest_for_the_next_slots():
    chain = _chain(gas_limit=9 * TRANSFER)
    a, b = chain.accounts[:2]
    hashes = [chain.transfer_eth(a, b, 1) for _ in range(20)]
    receipts = chain.mine()
    assert sorted(r.tx_hash for r in receipts) == sorted(hashes)
    per_block: dict[int, int] = {}
    for r in receipts:
        per_block[r.block_number] = per_block.get(r.block_number, 0) + 1
    assert sorted(per_block.values(), reverse=True) == [9, 9, 2]
    blocks = [e for e in chain.sim.log.of_kind("eth.block")][-3:]
    assert [e.data["slot"] for e in blocks] == [blocks[0].data["slot"] + k for k in range(3)]  # consecutive slots
    delays = [r.inclusion_delay for r in receipts]
    assert delays[-1] == pytest.approx(delays[0] + 2 * chain.slot_seconds)


def test_the_mempool_is_ordered_by_tip_then_arrival_and_keeps_nonces_in_order():
    chain = _chain(gas_limit=2 * TRANSFER)
    a, b, c = chain.accounts[:3]
    low = chain.transfer_eth(a, c, 1, tip=1 * GWEI)
    low_next = chain.transfer_eth(a, c, 1, tip=50 * GWEI)  # a high tip cannot jump its own sender's nonce
    high = chain.transfer_eth(b, c, 1, tip=10 * GWEI)
    chain.mine()
    first, second = chain.receipt(high), chain.receipt(low)
    assert first.block_number == second.block_number  # b's tip first, then a's first nonce
    assert chain.receipt(low_next).block_number == first.block_number + 1


def test_the_base_fee_rises_one_eighth_after_a_full_block_and_falls_after_an_empty_one():
    chain = _chain(gas_limit=4 * TRANSFER)
    a, b = chain.accounts[:2]
    start = chain.base_fee
    for _ in range(4):
        chain.transfer_eth(a, b, 1)
    (full, *_) = chain.mine()
    assert full.base_fee == start
    assert chain.base_fee == start + start // 8  # +12.5 %: the block used twice the target
    chain.transfer_eth(a, b, 1)  # a quarter of the limit: half the target
    (half,) = chain.mine()
    assert chain.base_fee == half.base_fee - half.base_fee // 16
    assert half.fee_wei == TRANSFER * (half.base_fee + half.tip)
    assert next_base_fee(1000, 30, 60) == 1000 and next_base_fee(1000, 60, 60) == 1125


def test_others_demand_moves_the_base_fee_and_congestion_delays_a_low_tip():
    chain = _chain(seed=3, background=0.46)
    a, b = chain.accounts[:2]
    chain.congest(extra=2.0, duration=600)  # others want three blocks' worth per slot, tipping ~1 gwei
    low = chain.transfer_eth(a, b, 1, tip=0)
    high = chain.transfer_eth(b, a, 1, tip=20 * GWEI)
    chain.mine()
    assert chain.receipt(high).inclusion_delay < chain.receipt(low).inclusion_delay
    assert chain.receipt(low).inclusion_delay > 10 * chain.slot_seconds  # until the base fee thins the spike
    fees = [e.data["base_fee"] for e in chain.sim.log.of_kind("eth.block")]
    assert fees[-1] > fees[0]  # the spike filled blocks: the base fee climbed


def _session(seed: int, backend: str, **market) -> tuple[EthereumChain, str]:
    chain = EthereumChain(Simulation(seed=seed), backend, market=FeeMarket.mainnet(**market))
    a, b = chain.accounts[:2]
    for i in range(40):
        chain.transfer_eth(a if i % 2 else b, b if i % 2 else a, 1)
        chain.sim.run(until=chain.sim.now + 5)
    chain.mine()
    return chain, chain.sim.log.to_jsonl()


def test_missed_slots_and_natural_reorgs_keep_the_slot_grid_and_every_transaction():
    chain, log = _session(5, "revm", missed_slot_rate=0.2, reorg_rate=0.2)
    assert chain.sim.log.of_kind("eth.missed_slot") and chain.sim.log.of_kind("eth.reorg")
    assert len({r.tx_hash for r in chain.receipts}) == 40 and len(chain.receipts) == 40
    slots = [chain.slot_of_block(n) for n in range(1, chain.block_number + 1)]
    assert slots == sorted(set(slots))  # canonical blocks: one per slot at most, in order
    assert _session(5, "revm", missed_slot_rate=0.2, reorg_rate=0.2)[1] == log  # same seed, same log


def test_fees_and_imperfect_chains_write_the_same_event_log_on_both_backends():
    _, revm = _session(6, "revm", missed_slot_rate=0.1, reorg_rate=0.1)
    _, tester = _session(6, "eth-tester", missed_slot_rate=0.1, reorg_rate=0.1)
    assert revm == tester

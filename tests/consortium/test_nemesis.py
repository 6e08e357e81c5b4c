"""A Jepsen-style nemesis against the consortium: seeded schedules of partitions, crashes,
restarts, crashes mid-write, link delays, drops and reorders, and equivocation by at most f
Byzantine validators, for every n from 1 to 10, checked for BFT safety (one block per height
among honest validators, each with a valid ceil(2n/3) certificate) and liveness once the
faults clear (every admitted transaction decided within the bound, every validator caught up).
"""

from __future__ import annotations

import dataclasses

import pytest

from rwasim.consortium.block import CommittedBlock, QuorumCertificate
from rwasim.consortium.nemesis import check_history, generate_schedule, run_nemesis, run_schedule

SCHEDULES_PER_N = 4


@pytest.mark.parametrize("n", range(1, 11))
def test_nemesis_schedules_keep_safety_and_liveness(n):
    for seed in range(SCHEDULES_PER_N):
        schedule, history, problems = run_nemesis(n, seed)
        assert problems == [], (n, seed, problems)
        assert len(schedule.byzantine) <= (n - 1) // 3
        assert history.transactions and all(t["status"] in ("ok", "rejected", "refused") for t in history.transactions)


def test_schedules_are_a_function_of_n_and_seed_and_replay_identically():
    assert generate_schedule(7, 11) == generate_schedule(7, 11)
    assert generate_schedule(7, 11) != generate_schedule(7, 12)
    faults = {op.fault for seed in range(20) for op in generate_schedule(7, seed).ops}
    assert faults >= {"partition", "heal", "crash", "restart", "crash_mid_write", "delay", "drop", "reorder"}
    assert faults >= {"clear_link", "equivocate"}
    first, second = (run_schedule(generate_schedule(5, 3)) for _ in range(2))
    assert first.transactions == second.transactions
    assert {k: [b.header.hash for b in v] for k, v in first.chains.items()} == {
        k: [b.header.hash for b in v] for k, v in second.chains.items()
    }


def test_equivocating_validators_are_exercised_and_caught():
    seen = 0
    for seed in range(12):
        _, history, problems = run_nemesis(4, seed, transactions=24)
        assert problems == []
        seen += history.equivocations
    assert seen > 0, "no schedule made a Byzantine proposer equivocate"


def test_the_checker_finds_forks_bad_certificates_and_stalled_transactions():
    history = run_schedule(generate_schedule(4, 1))
    assert check_history(history) == []
    honest = sorted(history.chains)
    # a fork: one validator holds another block at height 1 (a real block of height 2, re-labelled)
    forked = dataclasses.replace(history, chains=dict(history.chains))
    chain = list(forked.chains[honest[0]])
    second = chain[1]
    other_header = dataclasses.replace(second.header, height=1, parent_hash=history.genesis_hash)
    chain[0] = CommittedBlock(dataclasses.replace(second.block, header=other_header), second.receipts, second.qc)
    forked.chains[honest[0]] = chain
    assert any(p.startswith("safety:") for p in check_history(forked))
    # a certificate one signature short of ceil(2n/3)
    weak = dataclasses.replace(history, chains=dict(history.chains))
    chain = list(weak.chains[honest[-1]])
    block = chain[-1]
    q = history.validator_set.quorum
    chain[-1] = CommittedBlock(
        block.block, block.receipts, QuorumCertificate(block.qc.header_hash, block.qc.signatures[: q - 1])
    )
    weak.chains[honest[-1]] = chain
    assert any("invalid quorum certificate" in p for p in check_history(weak))
    # a transaction never decided, and a validator left behind
    stalled = dataclasses.replace(
        history,
        transactions=[dict(history.transactions[0], status="pending", height=None, decided_at=None)],
        chains={**history.chains, honest[0]: history.chains[honest[0]][:-1]},
    )
    found = check_history(stalled)
    assert any("not decided" in p for p in found) and any("did not catch up" in p for p in found)


def test_a_validator_restarted_after_committing_remembers_its_votes():
    """Nemesis schedule (n=3, seed 48): v1 sends COMMIT for block 5, dies writing it; v0 commits
    it with v1's seal and crashes; v1 restarted without its lock used to commit another block 5
    with v2. The votes a validator signed now survive its restart (NodeStore.save_votes)."""
    schedule, history, problems = run_nemesis(3, 48)
    assert problems == []
    assert any(op.fault == "crash_mid_write" for op in schedule.ops)

"""The revm backend is exact: the same receipts, gas, events, reverts and event logs as eth-tester.

The shared backend suite (test_chain_backends.py) runs on revm through the ``make_chain``
fixture; these tests compare revm with eth-tester directly, on real contracts.
"""

from __future__ import annotations

import pytest

from rwasim.engine import Simulation
from rwasim.ethereum import ChainError, EthereumChain
from rwasim.ethereum.backends import RevmBackend
from rwasim.ethereum.suite import deploy_token_suite, register_investor
from rwasim.runner import discover_scenarios, run_scenario

HK = 344


def _token_session(backend: str, probe_artifacts) -> list[tuple]:
    """A token market worked through on ``backend``: deployments, onboarding, transfers that
    pass and fail in one block, a snapshot undone, a batch, and a call with heavy calldata."""
    chain = EthereumChain(Simulation(seed=5), backend, artifacts_dir=probe_artifacts)
    issuer = chain.accounts[0]
    suite = deploy_token_suite(
        chain,
        name="Note",
        symbol="NOTE",
        issuer=issuer,
        modules={"countries": [HK], "investor_classes": ["professional"], "max_holders": 3, "max_balance": 10**6},
    )
    wallets = [chain.new_account(f"w{i}") for i in range(6)]
    for wallet in wallets:
        register_investor(chain, suite, wallet, country=HK, investor_class="professional")
    chain.transact(suite.token, "mint", wallets[0], 5_000, sender=issuer)
    # the same slots again and again: each transaction must find them cold, at their committed value
    for k in range(4):
        chain.send(suite.token, "transfer", wallets[1 + k % 2], 10, sender=wallets[0], gas=400_000)
    chain.send(suite.token, "transfer", wallets[1], 10**7, sender=wallets[0], gas=400_000)  # fails in between
    chain.send(suite.token, "transfer", wallets[5], 1, sender=wallets[0], gas=400_000)  # a fourth holder: refused
    chain.send(suite.token, "transfer", wallets[1], 1, sender=wallets[2], gas=400_000)
    chain.mine()
    snapshot = chain.snapshot()
    chain.transact(suite.token, "forcedTransfer", wallets[1], wallets[0], 5, sender=issuer)
    chain.new_account("gone")
    chain.revert(snapshot)
    chain.transact(suite.token, "batchMint", wallets[1:3], [1, 2], sender=issuer, gas=3_000_000)
    chain.transact(suite.token, "forcedTransfer", wallets[1], wallets[0], 5, sender=issuer)
    # EIP-7623 (Prague): long calldata and little execution pay the calldata floor
    probe = chain.deploy("Probe")
    chain.transact(probe, "fail", "x" * 3000, sender=wallets[3], check=False)
    chain.transact(probe, "bump", 7, sender=wallets[3])
    chain.transact(probe, "bump", 1, sender=wallets[3], gas=22_000, check=False)  # out of gas: all of it used
    balances = [suite.token.call("balanceOf", w) for w in wallets]
    chain.close()
    receipts = [
        (r.function, r.status, r.gas_used, r.events, r.revert, r.contract_address, r.block_number)
        for r in chain.receipts
    ]
    return [*receipts, tuple(balances)]


def test_receipts_gas_events_and_reverts_match_eth_tester(probe_artifacts):
    tester = _token_session("eth-tester", probe_artifacts)
    revm = _token_session("revm", probe_artifacts)
    assert revm == tester
    gas = {r[0]: r[2] for r in tester[:-1]}
    assert gas["fail"] > 21_000 + 10 * 4 * 3000  # the calldata floor was charged
    assert [r[1] for r in tester if r[0] == "transfer"] == [True] * 4 + [False, False, True]


def test_calls_read_any_earlier_block(probe_artifacts):
    chain = EthereumChain(Simulation(seed=2), "revm", artifacts_dir=probe_artifacts)
    probe = chain.deploy("Probe")
    blocks = []
    for by in (3, 4, 5):
        blocks.append(chain.transact(probe, "bump", by, sender=chain.accounts[1]).block_number)
    assert [probe.call("value", block=b) for b in blocks] == [3, 7, 12]
    assert probe.call("value", block=blocks[0] - 1) == 0
    assert probe.call("value") == 12  # and the latest state is back
    assert chain.transact(probe, "bump", 1, sender=chain.accounts[1]).status
    with pytest.raises(ChainError, match="not in this chain"):
        chain.backend.call(chain.accounts[0], probe.address, b"", block=99)


def test_a_wrong_nonce_is_refused_not_mined(probe_artifacts):
    chain = EthereumChain(Simulation(seed=2), "revm", artifacts_dir=probe_artifacts)
    probe = chain.deploy("Probe")
    sender = chain.accounts[1]
    chain._nonces[sender] += 1  # sign with a nonce the chain does not expect
    chain.send(probe, "bump", 1, sender=sender)
    with pytest.raises(ChainError, match="has nonce 1, expected 0"):
        chain.mine()


def test_signatures_decide_the_sender(probe_artifacts):
    """The backend recovers the sender from the signature; the nonce it bumps is the signer's."""
    chain = EthereumChain(Simulation(seed=2), "revm", artifacts_dir=probe_artifacts)
    probe = chain.deploy("Probe")
    backend = chain.backend
    assert isinstance(backend, RevmBackend)
    before = [backend.nonce(a) for a in chain.accounts[:3]]
    receipt = chain.transact(probe, "bump", 2, sender=chain.accounts[2])
    assert receipt.events == [("Bumped", {"by": chain.accounts[2], "value": 2})]
    assert [backend.nonce(a) for a in chain.accounts[:3]] == [before[0], before[1], before[2] + 1]


def _ether_session(backend: str, probe_artifacts) -> list[int]:
    chain = EthereumChain(Simulation(seed=4), backend, artifacts_dir=probe_artifacts)
    probe = chain.deploy("Probe")
    alice, bob = chain.new_account("alice"), chain.new_account("bob", balance=10**19)
    chain.transfer_eth(alice, bob, 12_345)
    chain.transfer_eth(bob, chain.accounts[3], 10**17)
    chain.send(probe, "bump", 500, sender=bob)  # reverts: the fee is paid all the same
    chain.mine()
    people = [alice, bob, chain.accounts[0], chain.accounts[3]]
    if backend == "revm":
        balances = [chain.backend.engine.balance(a) for a in people]
    else:
        balances = [chain.backend.tester.get_balance(a) for a in people]
    nonces = [chain.backend.nonce(a) for a in people]
    chain.close()
    return [*balances, *nonces, *(r.gas_used for r in chain.receipts)]


def test_ether_balances_fees_and_nonces_match_eth_tester(probe_artifacts):
    tester = _ether_session("eth-tester", probe_artifacts)
    assert _ether_session("revm", probe_artifacts) == tester
    assert tester[1] < 10**19 - 10**17 + 12_345  # bob paid fees for his two transactions


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(discover_scenarios()))
def test_every_scenario_writes_the_same_event_log_on_revm_as_on_eth_tester(name, tmp_path):
    tester = run_scenario(name, seed=7, out_dir=tmp_path / "eth-tester")
    revm = run_scenario(name, seed=7, out_dir=tmp_path / "revm", backend="revm")
    assert revm.invariants_hold == tester.invariants_hold
    assert revm.events_path.read_bytes() == tester.events_path.read_bytes()

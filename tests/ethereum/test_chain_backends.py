"""The shared backend suite: eth-tester, anvil and a JSON-RPC URL must behave the same."""

from __future__ import annotations

import socket

import pytest

from rwasim.engine import Simulation
from rwasim.ethereum import ChainError, EthereumChain, TransactionReverted, make_backend
from rwasim.ethereum.backends import AnvilBackend


def test_deploy_call_and_events(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    assert probe.call("value") == 0
    receipt = chain.transact(probe, "bump", 5, sender=chain.accounts[1])
    assert receipt.status and receipt.gas_used > 21_000
    assert receipt.events == [("Bumped", {"by": chain.accounts[1], "value": 5})]
    assert probe.call("value") == 5


def test_transactions_wait_for_the_next_block(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    before = chain.block_number
    tx_hash = chain.send(probe, "bump", 3, sender=chain.accounts[2])
    assert probe.call("value") == 0 and chain.block_number == before
    receipts = chain.mine()
    assert [r.tx_hash for r in receipts] == [tx_hash]
    assert probe.call("value") == 3 and chain.block_number == before + 1


def test_blocks_follow_the_slot_grid_on_every_backend(make_chain):
    sim = Simulation(seed=1)
    chain = make_chain(sim)
    probe = chain.deploy("Probe")  # the block of slot 1
    start_block = chain.block_number
    for at in (13.0, 30.5, 47.0, 59.9, 70.0):  # one transaction in each of the next five slots
        sim.run(until=at)
        chain.send(probe, "bump", 1, sender=chain.accounts[0])
    sim.run(until=200)
    assert chain.block_number == start_block + 5, "one block per slot with transactions, none for idle slots"
    stamps = [chain.get_block_timestamp(start_block + k) for k in range(1, 6)]
    assert stamps == [sim.epoch + chain.time_offset + 12 * s for s in (2, 3, 4, 5, 6)]
    assert probe.call("stamp") == sim.epoch + chain.time_offset + 12 * 16, "a read sees the current slot's time"
    blocks = sim.log.of_kind("eth.block")
    assert [e.time for e in blocks][-5:] == [24.0, 36.0, 48.0, 60.0, 72.0]
    assert [e.data["slot"] for e in blocks][-5:] == [2, 3, 4, 5, 6]


def test_two_transactions_in_a_row_land_in_consecutive_slots(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    chain.transact(probe, "bump", 1, sender=chain.accounts[0])
    chain.transact(probe, "bump", 1, sender=chain.accounts[0])
    n = chain.block_number
    assert chain.get_block_timestamp(n) == chain.get_block_timestamp(n - 1) + 12


@pytest.mark.parametrize(
    "fn, args, error, decoded, message",
    [
        ("bump", (500,), "TooBig", (500, 100), "TooBig(value=500, limit=100)"),
        ("fail", ("not today",), "Error", ("not today",), "not today"),
        ("divide", (0,), "Panic", (0x12,), "panic 0x12: division or modulo by zero"),
    ],
)
def test_reverts_are_decoded_and_recorded(make_chain, fn, args, error, decoded, message):
    chain = make_chain()
    probe = chain.deploy("Probe")
    with pytest.raises(TransactionReverted) as caught:
        chain.transact(probe, fn, *args, sender=chain.accounts[1])
    exc = caught.value
    assert (exc.error, exc.args_decoded, exc.message) == (error, decoded, message)
    assert not exc.receipt.status and exc.receipt.gas_used > 0
    assert f"Probe.{fn} reverted: {message}" == str(exc)
    recorded = chain.sim.log.of_kind("eth.revert")[-1].data
    assert recorded["error"] == error and recorded["message"] == message and recorded["function"] == fn
    # The failed transaction is kept: it is in the chain's receipts and logged as a failed tx.
    assert chain.receipts[-1] is exc.receipt
    assert chain.sim.log.of_kind("eth.tx")[-1].data["status"] is False


def test_check_false_returns_the_failed_receipt(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    receipt = chain.transact(probe, "bump", 101, sender=chain.accounts[1], check=False)
    assert not receipt.status and receipt.revert.error == "TooBig"


def test_failed_and_good_transactions_share_a_block_in_order(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    chain.send(probe, "bump", 60, sender=chain.accounts[1])
    chain.send(probe, "bump", 60, sender=chain.accounts[2])  # 120 > 100: fails after the first
    chain.send(probe, "bump", 40, sender=chain.accounts[3])
    first, second, third = chain.mine()
    assert first.status and not second.status and third.status
    assert second.revert.args == (120, 100)
    assert probe.call("value") == 100


def test_gas_is_recorded_for_every_transaction(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    chain.transact(probe, "bump", 1, sender=chain.accounts[1])
    chain.transact(probe, "bump", 500, sender=chain.accounts[1], check=False)
    assert chain.gas_used_total == sum(r.gas_used for r in chain.receipts)
    logged = [e.data["gas_used"] for e in chain.sim.log.of_kind("eth.tx")]
    assert logged == [r.gas_used for r in chain.receipts] and all(g > 0 for g in logged)


def test_snapshot_and_revert(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    chain.transact(probe, "bump", 7, sender=chain.accounts[1])
    snap = chain.snapshot()
    block, receipts = chain.block_number, len(chain.receipts)
    alice = chain.new_account("alice")
    chain.transact(probe, "bump", 8, sender=alice)
    chain.transact(probe, "bump", 9, sender=chain.accounts[1])
    assert probe.call("value") == 24
    chain.revert(snap)
    assert probe.call("value") == 7 and chain.block_number == block and len(chain.receipts) == receipts
    # Nonces were rewound too: the same sender can transact again.
    chain.transact(probe, "bump", 1, sender=chain.accounts[1])
    assert probe.call("value") == 8


def test_revert_to_a_block_that_carried_a_funding_write(make_chain):
    """A snapshot taken right after a block that funded a new account (a write outside any
    transaction) must revert cleanly, with or without blocks mined since."""
    chain = make_chain()
    probe = chain.deploy("Probe")
    bob = chain.new_account("bob")
    chain.transact(probe, "bump", 3, sender=bob)
    for blocks_after in (0, 1, 3):
        snap = chain.snapshot()
        for _ in range(blocks_after):
            chain.transact(probe, "bump", 1, sender=bob)
        chain.revert(snap)
        assert probe.call("value") == 3
    chain.transact(probe, "bump", 2, sender=bob)
    assert probe.call("value") == 5


def test_get_logs_decodes_events(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    first = chain.transact(probe, "bump", 2, sender=chain.accounts[1])
    chain.transact(probe, "bump", 3, sender=chain.accounts[2])
    logs = chain.get_logs(probe, "Bumped")
    assert [(log["by"], log["value"]) for log in logs] == [(chain.accounts[1], 2), (chain.accounts[2], 5)]
    assert logs[0]["_tx"] == first.tx_hash and logs[0]["_block"] == first.block_number
    with pytest.raises(ChainError, match="no event 'Nope'"):
        chain.get_logs(probe, "Nope")


def test_new_accounts_are_funded_and_deterministic(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    bob = chain.new_account("bob")
    assert chain.transact(probe, "bump", 1, sender=bob).status
    assert chain.label_of(bob) == "ethereum-bob"
    with pytest.raises(ChainError, match="already used"):
        chain.new_account("bob")
    with pytest.raises(ChainError, match="not an account of this simulation"):
        chain.send(probe, "bump", 1, sender="0x" + "11" * 20)


def test_bad_calls_are_explained(make_chain):
    chain = make_chain()
    probe = chain.deploy("Probe")
    with pytest.raises(ChainError, match="no function 'nope'"):
        chain.send(probe, "nope", sender=chain.accounts[0])
    with pytest.raises(ChainError, match="bump takes 1 arguments, got 2"):
        chain.send(probe, "bump", 1, 2, sender=chain.accounts[0])
    with pytest.raises(ChainError, match="no artifact for contract 'Missing'"):
        chain.deploy("Missing")


def test_unknown_backend_and_unreachable_url():
    with pytest.raises(ChainError, match="unknown backend 'ganache-ish'"):
        make_backend("ganache-ish")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(ChainError, match=f"cannot reach the JSON-RPC node at {url}"):
        EthereumChain(Simulation(), url)


def test_same_seed_gives_the_same_log_on_eth_tester_and_anvil(probe_artifacts):
    from tests.ethereum.conftest import require_anvil

    require_anvil()

    def run(backend):
        sim = Simulation(seed=9)
        with EthereumChain(sim, backend, artifacts_dir=probe_artifacts) as chain:
            probe = chain.deploy("Probe")
            for k in range(3):
                chain.send(probe, "bump", 10 * k + 1, sender=chain.accounts[k])
            chain.send(probe, "bump", 99, sender=chain.accounts[4])
            sim.run(until=30)
        return sim.log.to_jsonl()

    eth_tester_log = run("eth-tester")
    assert eth_tester_log == run("eth-tester")
    assert eth_tester_log == run("anvil")


@pytest.mark.anvil
def test_anvil_process_stops_on_close(probe_artifacts):
    from tests.ethereum.conftest import require_anvil

    require_anvil()
    chain = EthereumChain(Simulation(), "anvil", artifacts_dir=probe_artifacts)
    backend = chain.backend
    assert isinstance(backend, AnvilBackend)
    process, port = backend.process, backend.port
    assert process.poll() is None
    chain.close()
    assert process.poll() is not None
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # nothing listens on the port any more
        s.listen()


@pytest.mark.anvil
def test_anvil_is_found_in_rwasims_cache_after_the_checkout_and_the_error_names_the_install_command(
    tmp_path, monkeypatch
):
    """A wheel install has no contracts/node_modules: anvil comes from the cache, then PATH, else one command."""
    from rwasim.ethereum.backends import find_anvil
    from rwasim.packaged import contracts_folder
    from tests.ethereum.conftest import require_anvil

    real = require_anvil()
    assert contracts_folder() / "node_modules" in real.parents  # the checkout's node_modules come first
    wheel_home = tmp_path / "contracts"
    wheel_home.mkdir()
    cache = tmp_path / "cache"
    monkeypatch.setenv("RWASIM_CACHE_DIR", str(cache))
    monkeypatch.setenv("PATH", str(tmp_path))  # no anvil on PATH
    with pytest.raises(ChainError) as missing:
        find_anvil(wheel_home)
    assert str(missing.value) == (
        f"anvil is not installed: install it with `npm install --prefix {cache / 'anvil'} @foundry-rs/anvil@1.7.1`"
    )
    installed = cache / "anvil" / "node_modules" / "@foundry-rs" / real.parent.parent.name / "bin" / "anvil"
    installed.parent.mkdir(parents=True)
    installed.symlink_to(real)  # where `npm install --prefix <cache>/anvil` puts the same package's binary
    assert find_anvil(wheel_home) == installed

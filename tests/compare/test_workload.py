"""The workload's parts on the real EVM and ledger: the cross-space call is atomic, log queries
answer like eth-tester's filters, and faults show up where each topology says they should."""

from __future__ import annotations

import pytest

from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain, TransactionReverted
from rwasim.ethereum.suite import deploy_token_suite, register_investor
from rwasim.runner import run_scenario


@pytest.fixture
def spaces():
    chain = EthereumChain(Simulation(seed=9), "eth-tester")  # the log index under test is eth-tester's
    issuer, guardian = chain.accounts[0], chain.accounts[1]
    modules = {"investor_classes": ["professional"]}
    permissioned = deploy_token_suite(chain, name="P", symbol="P", issuer=issuer, modules=modules)
    evm = deploy_token_suite(chain, name="E", symbol="E", issuer=issuer, modules=modules)
    cross = chain.deploy("CrossSpace", permissioned.token.address, evm.token.address, guardian, sender=issuer)
    for suite in (permissioned, evm):
        chain.transact(suite.token, "addAgent", cross.address, sender=issuer)
    alice, bob, carol = (chain.new_account(n) for n in ("alice", "bob", "carol"))
    register_investor(chain, permissioned, alice, country=344, investor_class="professional")
    register_investor(chain, evm, bob, country=344, investor_class="professional")
    register_investor(chain, evm, carol, country=344, investor_class="retail")  # the product excludes retail
    chain.transact(permissioned.token, "mint", alice, 100, sender=issuer)
    yield chain, permissioned, evm, cross, (alice, bob, carol, guardian)
    chain.close()


def test_cross_space_move_is_one_atomic_transaction(spaces):
    chain, permissioned, evm, cross, (alice, bob, carol, guardian) = spaces
    receipt = chain.transact(cross, "toEvmSpace", bob, 40, sender=alice)
    assert [name for name, _ in receipt.events].count("Transfer") == 2  # burn and mint in one transaction
    assert permissioned.token.call("balanceOf", alice) == 60 and evm.token.call("balanceOf", bob) == 40
    assert permissioned.token.call("totalSupply") + evm.token.call("totalSupply") == 100

    refused = chain.transact(cross, "toEvmSpace", carol, 10, sender=alice, check=False)
    assert not refused.status and refused.revert.error == "TransferRestricted"
    assert permissioned.token.call("balanceOf", alice) == 60  # nothing burned: both or neither

    with pytest.raises(TransactionReverted, match="NotGuardian"):
        chain.transact(cross, "setPaused", True, sender=alice)
    chain.transact(cross, "setPaused", True, sender=guardian)
    paused = chain.transact(cross, "toPermissionedSpace", alice, 5, sender=bob, check=False)
    assert paused.revert.error == "CrossSpacePaused" and evm.token.call("balanceOf", bob) == 40
    chain.transact(cross, "setPaused", False, sender=guardian)
    chain.transact(cross, "toPermissionedSpace", alice, 5, sender=bob)
    assert permissioned.token.call("balanceOf", alice) == 65 and cross.call("moves") == 2


def _eth_tester_filter(backend, address: str, topic0: bytes, head: int) -> list[dict]:
    """The same query through eth-tester's own log filter: the reference the backend must match."""
    tester = backend._tester
    flt = tester.create_log_filter(from_block=0, to_block=head, address=address, topics=["0x" + topic0.hex()])
    try:
        found = tester.get_all_filter_logs(flt)
    finally:
        tester.delete_filter(flt)
    as_bytes = lambda v: v if isinstance(v, bytes) else bytes.fromhex(v[2:])  # noqa: E731
    return [
        {
            "topics": [as_bytes(t) for t in e["topics"]],
            "data": as_bytes(e["data"]),
            "block": e["block_number"],
            "tx_hash": as_bytes(e["transaction_hash"]),
        }
        for e in found
    ]


def test_log_queries_answer_like_eth_tester_from_the_index_and_from_the_blooms(spaces):
    chain, permissioned, evm, cross, (alice, bob, _, _) = spaces
    for amount in (3, 4, 5):
        chain.send(cross, "toEvmSpace", bob, amount, sender=alice)
    chain.mine()
    backend = chain.backend
    head = chain.block_number
    strip = lambda entries: [{k: v for k, v in e.items() if k != "index"} for e in entries]  # noqa: E731
    kept = dict(backend._logs)
    for contract in (permissioned.token, evm.token, cross, permissioned.identity_registry):
        for event in contract.abi.events_by_name.values():
            reference = _eth_tester_filter(backend, contract.address, event.topic, head)
            assert strip(backend.get_logs(contract.address, event.topic, 0, head)) == reference, event.name
            backend._logs.clear()  # as for blocks mined elsewhere: read from py-evm, bloom first
            assert strip(backend.get_logs(contract.address, event.topic, 0, head)) == reference, event.name
            backend._logs.update(kept)
    before = evm.token.call("totalSupply")
    chain.transact(cross, "toEvmSpace", bob, 1, sender=alice)
    assert evm.token.call("totalSupply") == before + 1  # a new block clears the remembered calls


def _metrics(tmp_path, name, **overrides):
    settings = {
        "investors": "16",
        "trades_per_investor": "2.0",
        "cross_share": "0.5",
        "fault_at": "20",
        **{k: str(v) for k, v in overrides.items()},
    }
    result = run_scenario("topology_study", seed=4, out_dir=tmp_path / name, overrides=settings)
    assert result.invariants_hold, result.report["invariants"]
    return result.report["topology_study"]["metrics"]


def test_a_pause_strands_value_on_a_bridge_but_not_across_spaces(tmp_path):
    bridged = _metrics(tmp_path, "b", topology="bridged", fault="bridge_pause")
    dual = _metrics(tmp_path, "d", topology="dual-space", fault="bridge_pause")
    assert bridged["fault_applies"] == dual["fault_applies"] == 1
    assert bridged["detection_s"] is not None and dual["detection_s"] is not None
    assert bridged["value_at_risk"] > 0  # units locked or burned, waiting on the paused gateway
    assert dual["value_at_risk"] == 0 and dual["cross_failed"] > 0  # refused whole: nothing in transit
    assert bridged["unsettled"] == dual["unsettled"] == 0


def test_a_validator_crash_is_detected_where_there_are_validators(tmp_path):
    consortium = _metrics(tmp_path, "c", topology="consortium-only", fault="validator_crash")
    public = _metrics(tmp_path, "p", topology="public-only", fault="validator_crash", investors=8)
    assert consortium["fault_applies"] == 1 and consortium["detection_s"] is not None
    assert consortium["failed_settlements"] == 0  # f = 1 of 4: the ledger carries on
    assert public["fault_applies"] == 0 and public["detection_s"] is None


HAND_BUILT = '''"""A topology drawn by hand: a seven-validator ring consortium, its issuer, investors and regulator."""
from rwasim.topology import add_consortium, add_participant, new_system
from rwasim.topology_workload import WORKLOAD_DEFAULTS, run_workload

PARAMS = {**WORKLOAD_DEFAULTS, "investors": 10}


def run(ctx):
    g = new_system("ring-consortium")
    add_consortium(g, "club", validators=7, shape="ring", latency=0.04)
    add_participant(g, "issuer", "issuer", ["club"])
    add_participant(g, "investors", "investors", ["club"])
    add_participant(g, "regulator", "regulator", [], sees=["club"])
    run_workload(ctx, g)
'''


def test_the_workload_runs_on_a_topology_drawn_by_hand(tmp_path):
    script = tmp_path / "ring_study.py"
    script.write_text(HAND_BUILT, encoding="utf-8")
    result = run_scenario(str(script), seed=2, out_dir=tmp_path / "out")
    assert result.invariants_hold, result.report["invariants"]
    assert result.report["topology"] == "ring-consortium"
    assert result.report["consortium"]["club"]["validators"] == 7
    metrics = result.report["topology_study"]["metrics"]
    assert metrics["trade_ops"] > 0 and metrics["gas"] == 0 and metrics["regulator_visibility"] == 1.0

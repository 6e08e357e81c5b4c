"""The bridge's ledger module on a real consortium ledger: the ledger refuses bridge kinds until a
lane installs the module, and then every node executes, replays, proves and syncs them."""

from __future__ import annotations

import pytest

from rwasim.bridge import ledger_module
from rwasim.bridge.codec import asset_key, attestation_digest, message_id, rejection_id
from rwasim.bridge.ledger_module import BRIDGE_MODULE, ESCROW, lock_of
from rwasim.consortium import LightClient
from rwasim.consortium.crypto import KeyPair
from rwasim.consortium.modules import LedgerModule
from rwasim.consortium.state import CORE_MODULE
from tests.consortium.conftest import ASSET, assert_nodes_agree, build_market

LOCK = {"asset_id": ASSET, "amount": 5, "lane": 1, "receiver": "0x" + "11" * 20, "destination_chain": 1337}


@pytest.fixture
def market():
    return build_market()


def _settle(market, client, kind, payload):
    handle = client.submit(kind, payload)
    market.ledger.settle(handle)
    return handle


def test_a_ledger_without_the_bridge_module_refuses_bridge_kinds_with_a_clear_reason(market):
    ledger = market.ledger
    assert ledger.modules.names == ("consortium",)
    refused = _settle(market, market.investors[0], "bridge.lock", LOCK)
    assert refused.status == "refused"
    assert refused.reason.startswith("unknown transaction kind 'bridge.lock': no module installed on this ledger")
    logged = [e for e in market.sim.log.of_kind("consortium.tx") if e.data.get("tx_kind") == "bridge.lock"]
    assert [e.data["status"] for e in logged] == ["refused"], "the refusal is recorded, not raised"
    assert ledger.state.balance_of(ASSET, market.investors[0].holder) == 1000

    assert ledger.install(BRIDGE_MODULE) is True
    assert ledger.install(BRIDGE_MODULE) is False, "installing twice is harmless"
    ledger_module.install(ledger)
    assert ledger.modules.names == ("consortium", "bridge")
    locked = _settle(market, market.investors[0], "bridge.lock", LOCK)
    assert locked.ok, locked.reason
    assert ledger.state.balance_of(ASSET, ESCROW) == 5 and ledger.state.holders(ASSET).get(ESCROW) == 5
    assert_nodes_agree(ledger)


def test_modules_that_claim_taken_kinds_are_refused(market):
    ledger = market.ledger
    ledger.install(BRIDGE_MODULE)
    with pytest.raises(ValueError, match="already installed"):
        ledger.install(LedgerModule("bridge", {"bridge.other": lambda *a: None}))
    with pytest.raises(ValueError, match="already handled"):
        ledger.install(LedgerModule("copycat", {"token.transfer": CORE_MODULE.handlers["token.transfer"]}))
    with pytest.raises(ValueError, match="does not handle"):
        LedgerModule("loose", {}, {next(iter(BRIDGE_MODULE.permissions)): frozenset({"x.y"})})


def test_a_light_client_proves_a_lock_by_its_message_id_only_with_the_ledgers_modules(market):
    ledger, inv = market.ledger, market.investors
    ledger_module.install(ledger)
    locked = _settle(market, inv[0], "bridge.lock", LOCK)
    index = [i for i, e in enumerate(locked.events) if e.kind == "bridge.lock"][0]
    proof = ledger.prove_event(locked.hash, index)
    expected = message_id(ledger.chain_id, 1337, 1, 1, asset_key(ASSET), inv[0].address, bytes.fromhex("11" * 20), 5)
    assert proof.leaf == ledger.modules.event_leaves(ledger.chain_id, [locked.receipt])[index]
    assert ledger.modules.event_id(locked.events[index], ledger.chain_id) == expected
    trusting = LightClient(ledger.chain_id, ledger.genesis.validator_set(), ledger.modules)
    assert trusting.verify(proof) == locked.events[index]
    bare = LightClient(ledger.chain_id, ledger.genesis.validator_set())
    with pytest.raises(ValueError, match="the leaf is not the hash"):
        bare.verify(proof)


def test_nodes_sync_and_replay_bridge_blocks_from_their_files(tmp_path):
    m = build_market(storage_dir=tmp_path)
    ledger = m.ledger
    ledger_module.install(ledger)
    ledger.faults.inject("crash", node="v3")
    handles = [m.investors[i].submit("bridge.lock", {**LOCK, "amount": 1 + i}) for i in range(3)]
    ledger.settle(*handles, timeout=600)
    assert all(h.ok for h in handles), [h.reason for h in handles]
    ledger.faults.inject("restart", node="v3")
    ledger.catch_up(ledger.height, grace=30)
    assert ledger.nodes["v3"].height == ledger.height, "v3 executed the bridge blocks it synced"
    ledger.faults.inject("crash", node="v2")
    ledger.faults.inject("restart", node="v2")
    assert ledger.nodes["v2"].height == ledger.height, "v2 replayed the bridge blocks from its file"
    again = m.investors[3].submit("bridge.lock", LOCK)
    ledger.settle(again)
    assert again.ok, again.reason
    assert_nodes_agree(ledger)
    assert all(n.state.balance_of(ASSET, ESCROW) == 11 for n in ledger.nodes.values())


def _attest(ledger, kind, message_id, signers):
    """Attestations of ``kind`` for ``message_id`` by the validators named in ``signers``."""
    digest = attestation_digest(kind, message_id)
    return [["0x" + ledger.nodes[n].address.hex(), "0x" + ledger.nodes[n].key.sign(digest).hex()] for n in signers]


def test_bridge_lock_release_refund_and_replay(market):
    m, inv, ledger = market, market.investors, market.ledger
    ledger_module.install(ledger)
    receiver = "0x" + "11" * 20
    lock = _settle(
        m,
        inv[0],
        "bridge.lock",
        {"asset_id": ASSET, "amount": 100, "lane": 1, "receiver": receiver, "destination_chain": 31337},
    )
    assert lock.ok
    event = [e for e in lock.events if e.kind == "bridge.lock"][0]
    assert event.fields["nonce"] == 1 and ledger.state.balance_of(ASSET, "bridge-escrow") == 100
    second = _settle(
        m,
        inv[0],
        "bridge.lock",
        {"asset_id": ASSET, "amount": 50, "lane": 1, "receiver": receiver, "destination_chain": 31337},
    )
    assert [e.fields["nonce"] for e in second.events if e.kind == "bridge.lock"] == [2]

    bridge = ledger.org_client("bridge")
    burn = {
        "source_chain": 31337,
        "lane": 1,
        "nonce": 1,
        "asset_id": ASSET,
        "sender": receiver,
        "receiver": inv[1].holder,
        "amount": 60,
    }
    burn_id = message_id(
        31337, ledger.chain_id, 1, 1, asset_key(ASSET), bytes.fromhex(receiver[2:]), inv[1].address, 60
    )
    too_few = _settle(
        m, bridge, "bridge.release", {**burn, "attestations": _attest(ledger, "sent", burn_id, ["v0", "v1"])}
    )
    assert too_few.reason == "2 validator attestations, 3 needed"
    forged = _attest(ledger, "sent", burn_id, ["v0", "v1"]) + [
        ["0x" + "22" * 20, "0x" + KeyPair.from_seed(1, "mallory").sign(attestation_digest("sent", burn_id)).hex()]
    ]
    assert _settle(m, bridge, "bridge.release", {**burn, "attestations": forged}).reason.endswith("not a validator")
    wrong_kind = _attest(ledger, "rejected", burn_id, ["v0", "v1", "v2"])
    assert _settle(m, bridge, "bridge.release", {**burn, "attestations": wrong_kind}).status == "rejected"
    released = _settle(
        m, bridge, "bridge.release", {**burn, "attestations": _attest(ledger, "sent", burn_id, ["v0", "v1", "v3"])}
    )
    assert released.ok and [e.kind for e in released.events][-1] == "bridge.released"
    replay = _settle(
        m, bridge, "bridge.release", {**burn, "attestations": _attest(ledger, "sent", burn_id, ["v0", "v1", "v2"])}
    )
    assert replay.reason == f"message 0x{burn_id.hex()} was already processed"

    # a release to a receiver the ledger refuses is final as rejected, with a provable event
    stranger = "0x" + KeyPair.from_seed(1, "stranger").address.hex()
    refused_id = message_id(
        31337, ledger.chain_id, 1, 2, asset_key(ASSET), bytes.fromhex(receiver[2:]), bytes.fromhex(stranger[2:]), 5
    )
    refused = _settle(
        m,
        bridge,
        "bridge.release",
        {
            **burn,
            "nonce": 2,
            "receiver": stranger,
            "amount": 5,
            "attestations": _attest(ledger, "sent", refused_id, ["v0", "v1", "v2"]),
        },
    )
    assert refused.ok and refused.events[-1].kind == "bridge.rejected"
    assert ledger.modules.event_id(refused.events[-1], ledger.chain_id) == rejection_id(refused_id)

    lock2_id = message_id(
        ledger.chain_id, 31337, 1, 2, asset_key(ASSET), inv[0].address, bytes.fromhex(receiver[2:]), 50
    )
    assert ledger.modules.event_id(second.events[-1], ledger.chain_id) == lock2_id, (
        "a lock event hashes to its message id"
    )
    refund = _settle(
        m,
        bridge,
        "bridge.refund",
        {
            "lane": 1,
            "nonce": 2,
            "reason": "receiver not eligible",
            "attestations": _attest(ledger, "rejected", lock2_id, ["v1", "v2", "v3"]),
        },
    )
    assert refund.ok and lock_of(ledger.state, 1, 2)["state"] == "refunded"
    again = _settle(m, bridge, "bridge.refund", {"lane": 1, "nonce": 2, "attestations": []})
    assert again.reason == "lock 2 on lane 1 is refunded"
    assert _settle(m, inv[0], "bridge.release", {**burn, "nonce": 3, "attestations": []}).status == "refused"
    state = ledger.state
    assert state.balance_of(ASSET, "bridge-escrow") == 40
    assert state.balance_of(ASSET, inv[0].holder) == 1000 - 100 - 50 + 50
    assert m.total_supply_held() == state.total_supply(ASSET) == 4000  # escrow included


def test_a_regulator_halts_and_reopens_a_bridge_lane_and_investors_cannot():
    m = build_market()
    ledger_module.install(m.ledger)
    regulator = m.ledger.org_client("regulator")
    lock = {"asset_id": ASSET, "amount": 5, "lane": 1, "receiver": "0x" + "11" * 20, "destination_chain": 1337}
    assert _settle(m, m.investors[0], "bridge.halt", {"lane": 1, "halted": True}).status == "refused"
    assert _settle(m, regulator, "bridge.halt", {"lane": 1, "halted": True, "reason": "policy"}).ok
    assert _settle(m, m.investors[0], "bridge.lock", lock).reason == "lane 1 is halted"
    assert _settle(m, regulator, "bridge.halt", {"lane": 1, "halted": False}).ok
    assert _settle(m, m.investors[0], "bridge.lock", lock).ok

"""Forged certificates and proofs are refused on chain; each named incident is either contained
with nothing lost or detected by the monitor with the value at risk."""

from __future__ import annotations

import pytest
from eth_abi import encode

from rwasim.bridge.codec import BridgeMessage, word
from rwasim.bridge.faults import BridgeFaultError
from rwasim.bridge.gateway import checksum, encode_quorum_evidence, quorum_evidence, rotation_digest
from rwasim.consortium.block import commit_digest
from rwasim.consortium.crypto import KeyPair, keccak
from rwasim.consortium.membership import ValidatorSet
from rwasim.ethereum.errors import TransactionReverted
from tests.bridge.conftest import ASSET, build_bridged


def _locked(b, amount=10):
    handle = b.bridge.lock(b.issuer, amount, b.alice)
    b.ledger.settle(handle)
    index = [i for i, e in enumerate(handle.events) if e.kind == "bridge.lock"][0]
    message = b.bridge.inbound_message(handle.events[index].fields)
    return message, b.ledger.prove_event(handle.hash, index)


def _deliver(b, message, evidence):
    return b.chain.transact(b.end.gateway, "deliver", 1, [message.as_tuple()], evidence, sender=b.mule, check=False)


def _evidence(header, seals, path):
    return encode_quorum_evidence(header, seals, [path])


def test_forged_certificates_and_proofs_revert_with_the_reason():
    b = build_bridged()
    for relayer in b.bridge.relayers:
        relayer.crash()  # deliver by hand here
    message, proof = _locked(b)
    seals = [s for _, s in sorted(proof.qc.signatures)]
    digest = commit_digest(proof.header.hash)
    outsider = KeyPair.from_seed(1, "outsider")
    cases = {
        "BelowThreshold": _evidence(proof.header, seals[:2], proof.path),
        "SignersNotAscending": _evidence(proof.header, [seals[1], seals[0], seals[2]], proof.path),
        "NotAValidator": _evidence(
            proof.header,
            [sig for _, sig in sorted(sorted(proof.qc.signatures)[:2] + [(outsider.address, outsider.sign(digest))])],
            proof.path,
        ),
    }
    for expected, evidence in cases.items():
        receipt = _deliver(b, message, evidence)
        assert not receipt.status and receipt.revert.error == expected
    tampered = BridgeMessage(
        message.source_chain,
        message.destination_chain,
        1,
        message.nonce,
        message.token,
        message.sender,
        message.receiver,
        message.amount + 1,
    )
    assert _deliver(b, tampered, quorum_evidence([proof])).revert.error == "BadProof"
    wrong_lane = BridgeMessage(
        message.source_chain,
        message.destination_chain,
        2,
        message.nonce,
        message.token,
        message.sender,
        message.receiver,
        message.amount,
    )
    assert _deliver(b, wrong_lane, quorum_evidence([proof])).revert.error == "WrongRoute"
    assert b.wrapped(b.alice) == 0
    ok = _deliver(b, message, quorum_evidence([proof]))
    assert ok.status and b.wrapped(b.alice) == 10
    replay = _deliver(b, message, quorum_evidence([proof]))
    assert replay.revert.error == "AlreadyProcessed" and replay.gas_used > 0
    assert b.wrapped(b.alice) == 10


def test_validator_set_rotates_only_with_the_old_sets_signatures():
    b = build_bridged()
    verifier = b.end.verifier
    current = b.ledger.validator_set
    newcomer = KeyPair.from_seed(3, "new-validator")
    new_set = ValidatorSet(tuple(sorted(current.validators + (newcomer.address,))))
    epoch = verifier.call("epoch") + 1
    digest = rotation_digest(b.ledger.chain_id, epoch, new_set)
    keys = sorted((n.key for n in b.ledger.nodes.values()), key=lambda k: k.address)
    args = ([checksum(v) for v in new_set.validators], new_set.quorum)
    weak = b.chain.transact(verifier, "rotate", *args, [k.sign(digest) for k in keys[:2]], sender=b.mule, check=False)
    assert weak.revert.error == "BelowThreshold"
    by_newcomer = sorted(keys[:2] + [newcomer], key=lambda k: k.address)
    assert (
        b.chain.transact(
            verifier, "rotate", *args, [k.sign(digest) for k in by_newcomer], sender=b.mule, check=False
        ).revert.error
        == "NotAValidator"
    )
    assert b.chain.transact(verifier, "rotate", *args, [k.sign(digest) for k in keys[:3]], sender=b.mule).status
    assert verifier.call("validatorSetHash") == new_set.hash
    # certificates of the old set no longer verify
    message, proof = _locked(b)
    for relayer in b.bridge.relayers:
        relayer.crash()
    assert _deliver(b, message, quorum_evidence([proof])).revert.error == "UnknownValidatorSet"


def test_the_verifier_refuses_a_validator_set_whose_threshold_is_below_two_thirds():
    """2f+1 = 3 of 6 would let two disjoint halves certify different blocks at one height."""
    b = build_bridged()
    verifier = b.end.verifier
    current = b.ledger.validator_set
    newcomers = [KeyPair.from_seed(3, "new-validator", i).address for i in range(2)]
    six = ValidatorSet(tuple(sorted(current.validators + tuple(newcomers))))
    assert (six.n, six.f, six.quorum) == (6, 1, 4)
    keys = sorted((n.key for n in b.ledger.nodes.values()), key=lambda k: k.address)
    epoch = verifier.call("epoch") + 1
    members = [checksum(v) for v in six.validators]
    for threshold, error in [(3, "ThresholdNotTwoThirds"), (7, "ThresholdNotTwoThirds")]:
        digest = keccak(
            keccak(b"rwasim.bridge.rotate.v1")
            + word(b.ledger.chain_id)
            + word(epoch)
            + keccak(encode(["address[]", "uint256"], [members, threshold]))
        )
        refused = b.chain.transact(
            verifier, "rotate", members, threshold, [k.sign(digest) for k in keys[:3]], sender=b.mule, check=False
        )
        assert refused.revert.error == error
    with pytest.raises(TransactionReverted, match="ThresholdNotTwoThirds"):
        b.chain.deploy("QuorumVerifier", b.ledger.chain_id, members, 3, sender=b.mule)
    digest = rotation_digest(b.ledger.chain_id, epoch, six)
    assert b.chain.transact(
        verifier, "rotate", members, six.quorum, [k.sign(digest) for k in keys[:3]], sender=b.mule
    ).status
    assert verifier.call("threshold") == 4 and verifier.call("validatorSetHash") == six.hash


@pytest.mark.parametrize(
    "verifier, keys, succeeds",
    [("committee", 5, True), ("committee", 4, False), ("quorum", 1, False), ("quorum", 3, True)],
)
def test_key_compromise_is_contained_below_threshold_and_detected_above(verifier, keys, succeeds):
    b = build_bridged(verifier)
    b.ledger.settle(b.bridge.lock(b.issuer, 100, b.alice))
    b.bridge.settle()
    minted = b.bridge.faults.inject("key_compromise", keys=keys, amount=5_000, receiver=b.mule)
    assert minted is succeeds
    attack = b.bridge.faults.attacks[-1]
    if succeeds:
        assert b.wrapped(b.mule) == 5_000
        alert = [a for a in b.bridge.monitor.alerts if a["name"] == "bridge_supply_mismatch"][-1]
        assert alert["value_at_risk"] == 5_000 and alert["time"] == attack["time"]
    else:
        assert attack["revert"] in ("BelowThreshold", "NotAValidator") and attack["gas_used"] > 0
        assert b.wrapped(b.mule) == 0 and b.bridge.monitor.alerts == []


def test_wormhole_style_verifier_bug_is_detected_with_value_at_risk(bridged):
    assert bridged.bridge.faults.inject("verifier_bug", amount=777, receiver=bridged.mule)
    alert = bridged.bridge.monitor.alerts[-1]
    assert (alert["name"], alert["value_at_risk"]) == ("bridge_supply_mismatch", 777)


def test_nomad_style_zero_root_accepts_unproven_messages_and_is_detected(bridged):
    assert bridged.bridge.faults.inject("zero_root", amount=1234, receiver=bridged.mule)
    assert bridged.wrapped(bridged.mule) == 1234
    assert bridged.bridge.monitor.alerts[-1]["value_at_risk"] == 1234


def test_optimistic_lane_watchers_catch_a_forged_post_unless_offline():
    b = build_bridged("optimistic")
    b.bridge.faults.inject("forged_post", amount=900, receiver=b.mule)
    b.sim.run(until=b.sim.now + 400)
    assert b.sim.log.of_kind("bridge.challenged")
    assert b.bridge.faults.attacks[-1]["revert"] == "ChallengedMessage" and b.wrapped(b.mule) == 0
    b.bridge.faults.inject("watchers_offline", amount=900, receiver=b.mule)
    b.sim.run(until=b.sim.now + 400)
    assert b.bridge.faults.attacks[-1]["succeeded"] and b.wrapped(b.mule) == 900
    assert b.bridge.monitor.alerts[-1]["value_at_risk"] == 900


def test_a_shallow_reorg_changes_nothing_and_a_deep_one_is_reported():
    b = build_bridged(confirmations=3)
    b.ledger.settle(b.bridge.lock(b.issuer, 100, b.alice))
    b.bridge.settle()
    faults = b.bridge.faults
    faults.inject("arm_reorg")
    b.bridge.send_back(b.alice, b.issuer.holder, 10)
    b.sim.run(until=b.sim.now + b.chain.slot_seconds * 2)  # burned, not yet final
    assert faults.inject("reorg") <= 2
    b.bridge.settle()
    assert [r.state for r in b.bridge.book.records.values() if r.direction == "to_consortium"] == ["reorged_out"]
    assert b.wrapped(b.alice) == 100 and b.escrow() == 100 and b.bridge.monitor.alerts == []

    faults.inject("arm_reorg")
    b.bridge.send_back(b.alice, b.issuer.holder, 20)
    b.bridge.settle()  # final by the lane's policy and released on the consortium
    assert b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000 - 100 + 20
    depth = faults.inject("reorg")  # deeper than the 3 confirmations: the burn is undone
    assert depth >= 1 and faults.last_reorg_slots > 3
    b.ledger.settle(b.bridge.lock(b.issuer, 1, b.alice))  # the next block on the new fork reveals it
    b.sim.run(until=b.sim.now + b.chain.slot_seconds * 2)
    alerts = {a["name"]: a for a in b.bridge.monitor.alerts}
    beyond = alerts["bridge_reorg_beyond_finality"]
    assert beyond["value_at_risk"] == 20 and beyond["policy"] == "confirmations=3"
    assert 0 <= beyond["detected_after_s"] <= b.chain.slot_seconds  # the watcher reads the head at once
    assert beyond["exposed_s"] > 0  # the release happened before the reorg undid its burn
    assert alerts["bridge_supply_mismatch"]["value_at_risk"] == 20


def test_unknown_fault_and_wrong_lane_kind_are_clear_errors(bridged):
    with pytest.raises(BridgeFaultError, match="unknown bridge fault"):
        bridged.bridge.faults.inject("meteor")
    with pytest.raises(BridgeFaultError, match="optimistic lane"):
        bridged.bridge.faults.inject("watchers_offline", amount=1, receiver=bridged.mule)
    with pytest.raises(BridgeFaultError, match="arm_reorg first"):
        bridged.bridge.faults.inject("reorg")

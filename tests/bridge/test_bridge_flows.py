"""Lock–mint and burn–release across the real consortium ledger and the real EVM, on every
verifier; rejections with their codes and refunds; one final state per message; conservation."""

from __future__ import annotations

import pytest

from rwasim.bridge.codec import BridgeMessage, asset_key, message_id, rejection_id
from tests.bridge.conftest import ASSET, build_bridged


def test_message_ids_agree_between_python_and_solidity(bridged):
    m = BridgeMessage(
        bridged.ledger.chain_id, bridged.chain.chain_id, 1, 7, asset_key(ASSET), b"\x01" * 20, b"\x02" * 20, 99
    )
    assert bridged.end.gateway.call("messageId", m.as_tuple()) == m.id
    assert m.id == message_id(m.source_chain, m.destination_chain, 1, 7, m.token, m.sender, m.receiver, 99)
    other_lane = BridgeMessage(m.source_chain, m.destination_chain, 2, 7, m.token, m.sender, m.receiver, 99)
    other_chain = BridgeMessage(m.source_chain, m.destination_chain + 1, 1, 7, m.token, m.sender, m.receiver, 99)
    assert len({m.id, other_lane.id, other_chain.id, rejection_id(m.id)}) == 4


@pytest.mark.parametrize("verifier", ["quorum", "committee", "optimistic"])
def test_round_trip_with_rejections_ends_every_message_final(verifier):
    b = build_bridged(verifier)
    bridge = b.bridge
    to_alice = bridge.lock(b.issuer, 300, b.alice)
    to_bob = bridge.lock(b.issuer, 40, b.bob)  # bob is not registered on Ethereum
    b.ledger.settle(to_alice, to_bob)
    bridge.settle(timeout=7200)
    assert b.wrapped(b.alice) == 300 and b.wrapped(b.bob) == 0
    assert b.escrow() == 300, "the rejected lock was refunded from escrow"
    assert b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000 - 300
    rejected = [r for r in bridge.book.records.values() if r.message.amount == 40][0]
    assert (rejected.state, rejected.code, rejected.reason) == ("refunded", 5, "receiver identity is not verified")

    bridge.send_back(b.alice, b.issuer.holder, 100)
    bridge.send_back(b.alice, b.carol.holder, 25)  # carol has no identity on the consortium
    bridge.settle(timeout=7200)
    assert b.wrapped(b.alice) == 300 - 100, "the refused release was refunded on Ethereum"
    assert b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000 - 300 + 100
    assert b.escrow() == 200
    states = sorted((r.direction, r.message.amount, r.state) for r in bridge.book.records.values())
    assert states == [
        ("to_consortium", 25, "refunded"),
        ("to_consortium", 100, "delivered"),
        ("to_ethereum", 40, "refunded"),
        ("to_ethereum", 300, "delivered"),
    ]
    assert all(r.executions <= 1 for r in bridge.book.records.values())
    assert bridge.monitor.conserved() and bridge.monitor.alerts == []
    assert b.end.token.call("totalSupply") + 0 == b.escrow() == 200
    listing = bridge.book.listing()
    assert {entry["state"] for entry in listing} <= {"delivered", "refunded"}


def test_burns_wait_for_confirmations_and_two_thirds_attestations(bridged):
    b = bridged
    b.ledger.settle(b.bridge.lock(b.issuer, 50, b.alice))
    b.bridge.settle()
    tx = b.bridge.send_back(b.alice, b.issuer.holder, 10)
    b.sim.run(until=b.sim.now + b.chain.slot_seconds * 2)
    burned_in = b.chain.receipt(tx).block_number
    record = [r for r in b.bridge.book.records.values() if r.direction == "to_consortium"][0]
    assert record.state == "in_flight"
    assert b.bridge.pool.count("sent", record.id) == 0, "nobody attests before the confirmations"
    b.bridge.settle()
    assert record.state == "delivered"
    release = [e for e in b.sim.log.of_kind("consortium.tx") if e.data.get("tx_kind") == "bridge.release"][0]
    # the lane's policy is confirmations=3: three slots on top of the burn's own slot
    assert b.bridge.policy.depth == 3
    assert release.time >= b.chain.slot_time(b.chain.slot_of_block(burned_in) + 3)


def test_batches_under_one_certificate_cost_less_gas_per_message():
    costs = {}
    for batch in (1, 10):
        b = build_bridged(batch_size=batch)
        handles = [b.bridge.lock(b.issuer, 1, b.alice) for _ in range(10)]
        b.ledger.settle(*handles)
        b.bridge.settle()
        assert b.wrapped(b.alice) == 10
        relayed = b.sim.log.of_kind("bridge.relayed")
        costs[batch] = sum(e.data["gas_used"] for e in relayed) / sum(e.data["messages"] for e in relayed)
    assert costs[10] < 0.75 * costs[1], costs


def test_rate_limit_delays_but_delivers_and_big_transfers_wait_their_delay(bridged):
    b = bridged
    b.bridge.faults.inject("rate_limit", capacity=100, refill=1)
    b.chain.transact(b.end.gateway, "setDelay", 1, 500, 600, sender=b.end.suite.issuer)
    small = [b.bridge.lock(b.issuer, 80, b.alice) for _ in range(2)]
    b.ledger.settle(*small)
    b.bridge.settle(timeout=7200)
    assert b.wrapped(b.alice) == 160
    assert b.sim.log.of_kind("bridge.delivery_waiting"), "the second lock had to wait for the bucket"
    b.bridge.faults.inject("rate_limit", capacity=0, refill=0)
    big = b.bridge.lock(b.issuer, 600, b.alice)
    b.ledger.settle(big)
    start = b.sim.now
    b.bridge.settle(timeout=7200)
    assert b.wrapped(b.alice) == 760
    delayed = b.sim.log.of_kind("bridge.delayed")
    assert delayed and b.sim.now - start >= 600


def test_guardian_pause_holds_messages_until_unpaused(bridged):
    b = bridged
    b.bridge.faults.inject("pause")
    b.ledger.settle(b.bridge.lock(b.issuer, 5, b.alice))
    b.sim.run(until=b.sim.now + 120)
    assert b.wrapped(b.alice) == 0 and b.bridge.book.in_flight()
    with pytest.raises(Exception, match="NotGuardian"):
        b.chain.transact(b.end.gateway, "setPaused", False, sender=b.alice)
    b.bridge.faults.inject("unpause")
    b.bridge.settle()
    assert b.wrapped(b.alice) == 5 and not b.bridge.book.in_flight()


def test_same_seed_same_bridge_event_log():
    def run():
        b = build_bridged(seed=9)
        b.ledger.settle(b.bridge.lock(b.issuer, 30, b.alice), b.bridge.lock(b.issuer, 3, b.bob))
        b.bridge.settle()
        b.bridge.send_back(b.alice, b.issuer.holder, 7)
        b.bridge.settle()
        return b.sim.log.to_jsonl()

    assert run() == run()


def test_a_mint_the_token_refuses_is_recorded_as_rejected_and_refunded(bridged):
    b = bridged
    b.chain.transact(b.end.token, "removeAgent", b.end.gateway.address, sender=b.end.suite.issuer)
    b.ledger.settle(b.bridge.lock(b.issuer, 12, b.alice))
    b.bridge.settle()
    record = list(b.bridge.book.records.values())[0]
    assert (record.state, record.code, record.reason) == ("refunded", 255, "token reverted the mint")
    assert b.escrow() == 0 and b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000
    assert b.bridge.monitor.conserved()


def test_the_verifier_follows_a_validator_set_change_made_by_governance():
    from rwasim.consortium.crypto import KeyPair

    b = build_bridged()
    ledger = b.ledger
    b.ledger.settle(b.bridge.lock(b.issuer, 5, b.alice))
    b.bridge.settle()
    newcomer = KeyPair.from_seed(8, "validator-5")
    proposal = ledger.org_client("techco").submit(
        "governance.propose",
        {"action": "add_validator", "args": {"org_id": "techco", "address": "0x" + newcomer.address.hex()}},
    )
    ledger.settle(proposal)
    for org in ("issuer", "bank", "custodian"):
        ledger.settle(ledger.org_client(org).submit("governance.vote", {"proposal": "0x" + proposal.hash.hex()}))
    assert ledger.validator_set.n == 5
    b.ledger.settle(b.bridge.lock(b.issuer, 6, b.alice))  # certified by the new set: not yet trusted on chain
    b.sim.run(until=b.sim.now + 60)
    assert b.wrapped(b.alice) == 5
    assert any(e.data.get("error") == "UnknownValidatorSet" for e in b.sim.log.of_kind("bridge.delivery_failed"))
    assert b.bridge.rotate_validators()
    assert not b.bridge.rotate_validators(), "nothing to do the second time"
    assert b.end.verifier.call("validatorSetHash") == ledger.validator_set.hash
    b.bridge.settle()  # the relayer backed off and retries the same message, now accepted
    assert b.wrapped(b.alice) == 11
    assert b.bridge.monitor.conserved()


def test_outbound_rate_limit_refuses_a_burn_beyond_the_bucket(bridged):
    b = bridged
    b.ledger.settle(b.bridge.lock(b.issuer, 100, b.alice))
    b.bridge.settle()
    b.chain.transact(b.end.gateway, "setRateLimits", 1, 0, 0, 30, 1, sender=b.end.suite.issuer)
    first = b.chain.transact(b.end.gateway, "send", 1, b.alice, 25, sender=b.alice)
    over = b.chain.transact(b.end.gateway, "send", 1, b.alice, 25, sender=b.alice, check=False)
    assert first.status and over.revert.error == "RateLimited"
    assert b.wrapped(b.alice) == 75, "the refused burn burned nothing"

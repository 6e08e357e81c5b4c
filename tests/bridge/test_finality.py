"""Every message final within its lane's bound: nothing blocks a lane, nothing a shallow
reorg erases is lost, and a redone delivery is not a double execution."""

from __future__ import annotations

from tests.bridge.conftest import ASSET, build_bridged

WRONG_ROUTE, ABOVE_CAPACITY, EXPIRED = 254, 253, 252


def _inbound(b):
    return [r for r in b.bridge.book.records.values() if r.direction == "to_ethereum"]


def _assert_final_within_bound(b):
    bound = b.bridge.finality_bound("to_ethereum")
    for record in b.bridge.book.records.values():
        assert record.final, (record.state, record.reason)
        assert record.finalised_at - record.created_at <= bound, (record.finalised_at - record.created_at, bound)
    assert not [a for a in b.bridge.monitor.alerts if a["name"] == "bridge_message_overdue"]
    assert b.bridge.monitor.conserved()


def _run_until(b, predicate, limit: float = 900.0):
    deadline = b.sim.now + limit
    while not predicate() and b.sim.now < deadline:
        b.sim.run(until=b.sim.now + 1.0)
    assert predicate()


def test_a_lock_to_another_chain_is_rejected_on_chain_refunded_and_blocks_nothing():
    b = build_bridged()
    wrong = b.issuer.submit(
        "bridge.lock",
        {
            "asset_id": ASSET,
            "amount": 40,
            "lane": 1,
            "receiver": b.alice.lower(),
            "destination_chain": b.chain.chain_id + 1,
        },
    )
    later = b.bridge.lock(b.issuer, 25, b.alice)
    b.ledger.settle(wrong, later)
    b.bridge.settle(timeout=b.bridge.finality_bound_s)
    first, second = _inbound(b)
    assert (first.state, first.code) == ("refunded", WRONG_ROUTE) and first.message.amount == 40
    assert second.state == "delivered" and b.wrapped(b.alice) == 25
    assert b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000 - 25
    assert len(b.sim.log.of_kind("bridge.delivery_failed")) == 0, "refused once, on chain; never retried"
    _assert_final_within_bound(b)


def test_a_lock_above_the_lanes_capacity_is_rejected_and_refunded_and_later_ones_pass():
    b = build_bridged()
    b.bridge.faults.inject("rate_limit", capacity=100, refill=1)
    big, small = b.bridge.lock(b.issuer, 500, b.alice), b.bridge.lock(b.issuer, 30, b.alice)
    b.ledger.settle(big, small)
    b.bridge.settle(timeout=b.bridge.finality_bound_s)
    first, second = _inbound(b)
    assert (first.state, first.code) == ("refunded", ABOVE_CAPACITY)
    assert second.state == "delivered" and b.wrapped(b.alice) == 30
    assert len(b.sim.log.of_kind("bridge.delivery_waiting")) == 0
    _assert_final_within_bound(b)


def test_rate_limited_messages_wait_a_bounded_time_then_expire_and_never_hold_up_the_lane():
    b = build_bridged()
    b.bridge.faults.inject("rate_limit", capacity=100, refill=1)
    # six times 90 units need 450 s of refill after the first: more than the delivery budget
    handles = [b.bridge.lock(b.issuer, 90, b.alice) for _ in range(6)] + [b.bridge.lock(b.issuer, 5, b.alice)]
    b.ledger.settle(*handles)
    start = b.sim.now
    b.bridge.settle(timeout=2 * b.bridge.finality_bound_s)
    records = _inbound(b)
    small = records[-1]
    # Behind the 90-unit messages it would wait for the bucket to refill 90 units at 1 unit/s;
    # passing them, it takes only a few slots (one per message the relayer tries first).
    refill_for_one = 90 / 1
    assert small.state == "delivered" and small.decided_at - start < refill_for_one, "the small one waited behind"
    waited = [r.decided_at for r in records[1:-1] if r.state == "delivered"]
    assert all(small.decided_at < t for t in waited), "delivered before the rate-limited ones ahead of it"
    states = [(r.state, r.code) for r in records[:-1]]
    delivered = sum(1 for s in states if s[0] == "delivered")
    assert delivered >= 2 and ("refunded", EXPIRED) in states, states
    assert b.wrapped(b.alice) == 90 * delivered + 5
    assert b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000 - 90 * delivered - 5
    assert b.sim.log.of_kind("bridge.delivery_expired")
    retries = [e.data["attempts"] for e in b.sim.log.of_kind("bridge.delivery_waiting")]
    assert max(retries) <= 8, "bounded retries with back-off"
    _assert_final_within_bound(b)


def test_a_shallow_reorg_that_erases_a_refund_on_ethereum_redoes_it():
    b = build_bridged(confirmations=3)
    b.ledger.settle(b.bridge.lock(b.issuer, 100, b.alice))
    b.bridge.settle()
    b.bridge.send_back(b.alice, b.carol.holder, 10)  # carol is not eligible on the consortium
    outbound = lambda: [r for r in b.bridge.book.records.values() if r.direction == "to_consortium"]  # noqa: E731
    out = lambda: outbound()[0]  # noqa: E731
    _run_until(b, lambda: outbound() and out().state == "rejected")
    b.bridge.faults.inject("arm_reorg")
    _run_until(b, lambda: out().state == "refunded")
    assert b.wrapped(b.alice) == 100
    depth = b.bridge.faults.inject("reorg")
    assert 0 < depth <= 3, depth
    assert b.wrapped(b.alice) == 90, "the refund was erased"
    b.bridge.settle()
    assert out().state == "refunded" and b.wrapped(b.alice) == 100, "the refund was redone"
    assert b.escrow() == 100 and b.bridge.monitor.conserved()
    assert b.bridge.monitor.alerts == []


def test_a_shallow_reorg_of_a_delivery_is_redelivered_without_a_double_execution_alert():
    b = build_bridged(confirmations=3)
    b.ledger.settle(b.bridge.lock(b.issuer, 100, b.alice))
    b.bridge.settle()
    b.bridge.faults.inject("arm_reorg")
    b.ledger.settle(b.bridge.lock(b.issuer, 50, b.alice))
    record = _inbound(b)[-1]
    _run_until(b, lambda: record.state == "delivered")
    depth = b.bridge.faults.inject("reorg")
    assert 0 < depth <= 3, depth
    b.bridge.settle()
    assert record.state == "delivered" and record.executions == 1
    assert b.wrapped(b.alice) == 150 and b.escrow() == 150
    assert b.bridge.monitor.alerts == [], b.bridge.monitor.alerts


def test_the_lanes_finality_bound_is_in_the_bridge_figures():
    b = build_bridged()
    b.bridge.faults.inject("rate_limit", capacity=100, refill=1)
    stats = b.bridge.stats()
    assert stats["delivery_budget_s"] >= 100, "a rate-limited lane's budget covers refilling its bucket"
    assert stats["finality_bound_s"]["to_ethereum"] > stats["delivery_budget_s"]
    assert b.bridge.finality_bound_s == max(stats["finality_bound_s"].values())

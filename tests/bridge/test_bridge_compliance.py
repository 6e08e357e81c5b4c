"""The compliance rule on the bridge routes, on both chains: a frozen holder, frozen units or a
paused token never leave through the gateway or the escrow; a delivery to a frozen wallet or of a
paused token ends as a recorded rejection and is refunded, never lost."""

from __future__ import annotations

import pytest

from tests.bridge.conftest import ASSET, Bridged

SENDER_FROZEN = (2, "sender wallet is frozen")


def fund_alice(b: Bridged, units: int = 100) -> None:
    b.ledger.settle(b.bridge.lock(b.issuer, units, b.alice))
    b.bridge.settle()
    assert b.wrapped(b.alice) == units


def send(b: Bridged, amount: int):
    return b.chain.transact(b.end.gateway, "send", 1, b.issuer.holder, amount, sender=b.alice, check=False)


@pytest.mark.parametrize(
    "case, expected",
    [
        ("frozen sender", (2, "sender wallet is frozen")),
        ("frozen units", (4, "insufficient unfrozen balance")),
        ("paused token", (1, "token is paused")),
    ],
)
def test_a_frozen_or_paused_holder_cannot_send_through_the_gateway(bridged, case, expected):
    b = bridged
    fund_alice(b)
    token, agent = b.end.token, b.end.suite.issuer
    if case == "frozen sender":
        b.chain.transact(token, "setAddressFrozen", b.alice, True, sender=agent)
    elif case == "frozen units":
        b.chain.transact(token, "freezePartialTokens", b.alice, 60, sender=agent)
    else:
        b.chain.transact(token, "pause", sender=agent)
    receipt = send(b, 41)
    assert not receipt.status
    assert (receipt.revert.error, tuple(receipt.revert.args)) == ("TransferRestricted", expected)
    b.bridge.settle()
    assert b.wrapped(b.alice) == 100 and b.escrow() == 100, "nothing burned, nothing released"
    assert b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000 - 100
    if case == "frozen units":
        assert send(b, 40).status, "the unfrozen units may still leave"


@pytest.mark.parametrize(
    "case, expected",
    [("frozen receiver", (3, "receiver wallet is frozen")), ("paused token", (1, "token is paused"))],
)
def test_a_delivery_the_rule_refuses_is_rejected_and_refunded(bridged, case, expected):
    b = bridged
    token, agent = b.end.token, b.end.suite.issuer
    if case == "frozen receiver":
        b.chain.transact(token, "setAddressFrozen", b.alice, True, sender=agent)
    else:
        b.chain.transact(token, "pause", sender=agent)
    b.ledger.settle(b.bridge.lock(b.issuer, 30, b.alice))
    b.bridge.settle()
    record = list(b.bridge.book.records.values())[0]
    assert (record.state, record.code, record.reason) == ("refunded", *expected)
    assert b.wrapped(b.alice) == 0 and b.end.token.call("totalSupply") == 0
    assert b.escrow() == 0 and b.ledger.state.balance_of(ASSET, b.issuer.holder) == 10_000
    assert b.bridge.monitor.conserved()


def test_the_consortium_refuses_a_frozen_holders_lock_and_rejects_a_release_to_one(bridged):
    b = bridged
    regulator = b.ledger.org_client("regulator")
    fund_alice(b)
    freeze = regulator.submit("token.freeze", {"asset_id": ASSET, "holder": b.issuer.holder, "frozen": True})
    b.ledger.settle(freeze)
    lock = b.bridge.lock(b.issuer, 10, b.alice)
    b.ledger.settle(lock)
    assert lock.reason == "restricted (2): sender wallet is frozen"
    assert send(b, 25).status
    b.bridge.settle(timeout=7200)
    record = [r for r in b.bridge.book.records.values() if r.direction == "to_consortium"][0]
    assert (record.state, record.code, record.reason) == ("refunded", 3, "receiver wallet is frozen")
    assert b.wrapped(b.alice) == 100 and b.escrow() == 100

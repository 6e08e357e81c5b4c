"""Settlement on the real EVM: the cash token's permissions, DvP (both legs or neither) and
the HTLC's claim/refund race at the expiry boundary."""

from __future__ import annotations

import hashlib

import pytest

from rwasim.ethereum import TransactionReverted


def fund_cash(market, who, amount):
    market.chain.transact(market.cash, "mint", who, amount, sender=market.bank)


def test_cash_token_is_permissioned(market):
    c, cash = market.chain, market.cash
    fund_cash(market, market.alice, 10_000)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(cash, "transfer", market.stranger, 1, sender=market.alice)
    assert caught.value.error == "NotAllowListed" and caught.value.args_decoded == (market.stranger,)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(cash, "mint", market.alice, 1, sender=market.alice)
    assert caught.value.error == "NotMinter"
    with pytest.raises(TransactionReverted) as caught:
        c.transact(cash, "mint", market.stranger, 1, sender=market.bank)
    assert caught.value.error == "NotAllowListed"
    c.transact(cash, "pause", sender=market.bank)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(cash, "transfer", market.bob, 1, sender=market.alice)
    assert caught.value.error == "CashPaused"
    c.transact(cash, "unpause", sender=market.bank)
    c.transact(cash, "transfer", market.bob, 2_500, sender=market.alice)
    c.transact(cash, "burn", market.bob, 500, sender=market.bank)
    assert cash.call("balanceOf", market.bob) == 2_000 and cash.call("totalSupply") == 9_500
    assert cash.call("decimals") == 2


def propose_trade(market, *, seller, buyer, units, cents, ttl=3600):
    c = market.chain
    deadline = c.next_timestamp() + ttl
    dvp = market.settlement.dvp
    receipt = c.transact(
        dvp, "propose", buyer, market.token.address, units, market.cash.address, cents, deadline, sender=seller
    )
    trade_id = receipt.event("TradeProposed")["tradeId"]
    c.transact(market.token, "approve", dvp.address, units, sender=seller)
    c.transact(market.cash, "approve", dvp.address, cents, sender=buyer)
    return trade_id, deadline


def test_dvp_settles_both_legs(market):
    c, dvp = market.chain, market.settlement.dvp
    fund_cash(market, market.bob, 50_000)
    trade_id, _ = propose_trade(market, seller=market.alice, buyer=market.bob, units=100, cents=10_000)
    c.transact(dvp, "accept", trade_id, sender=market.bob)
    receipt = c.transact(dvp, "settle", trade_id, sender=market.bob)
    assert [name for name, _ in receipt.events] == ["Transfer", "Transfer", "TradeSettled"]
    assert market.token.call("balanceOf", market.bob) == 600 and market.token.call("balanceOf", market.alice) == 900
    assert market.cash.call("balanceOf", market.alice) == 10_000 and market.cash.call("balanceOf", market.bob) == 40_000
    with pytest.raises(TransactionReverted) as caught:
        c.transact(dvp, "settle", trade_id, sender=market.bob)
    assert caught.value.error == "WrongState"


@pytest.mark.parametrize("failure", ["ineligible buyer", "insufficient cash", "frozen seller"])
def test_dvp_moves_neither_leg_when_one_fails(market, failure):
    c, dvp = market.chain, market.settlement.dvp
    buyer = market.bob
    if failure == "ineligible buyer":
        c.transact(market.suite.identity_registry, "removeClaim", buyer, 1, sender=market.issuer)
    fund_cash(market, buyer, 5_000 if failure == "insufficient cash" else 50_000)
    trade_id, _ = propose_trade(market, seller=market.alice, buyer=buyer, units=100, cents=10_000)
    c.transact(dvp, "accept", trade_id, sender=buyer)
    if failure == "frozen seller":
        c.transact(market.token, "setAddressFrozen", market.alice, True, sender=market.agent)
    before = (
        market.token.call("balanceOf", market.alice),
        market.token.call("balanceOf", buyer),
        market.cash.call("balanceOf", market.alice),
        market.cash.call("balanceOf", buyer),
    )
    with pytest.raises(TransactionReverted) as caught:
        c.transact(dvp, "settle", trade_id, sender=market.alice)
    expected = {
        "ineligible buyer": ("TransferRestricted", (5, "receiver identity is not verified")),
        "insufficient cash": ("InsufficientBalance", (5_000, 10_000)),
        "frozen seller": ("TransferRestricted", (2, "sender wallet is frozen")),
    }[failure]
    assert (caught.value.error, caught.value.args_decoded) == expected
    after = (
        market.token.call("balanceOf", market.alice),
        market.token.call("balanceOf", buyer),
        market.cash.call("balanceOf", market.alice),
        market.cash.call("balanceOf", buyer),
    )
    assert after == before
    assert dvp.call("trades", trade_id)[7] == 2  # still Accepted: it can be retried or cancelled


def test_dvp_deadline_and_cancel(market):
    c, dvp = market.chain, market.settlement.dvp
    fund_cash(market, market.bob, 50_000)
    trade_id, deadline = propose_trade(market, seller=market.alice, buyer=market.bob, units=10, cents=1_000, ttl=100)
    c.transact(dvp, "accept", trade_id, sender=market.bob)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(dvp, "cancel", trade_id, sender=market.bob)
    assert caught.value.error == "DeadlineNotPassed"
    market.advance_to(deadline)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(dvp, "settle", trade_id, sender=market.bob)
    assert caught.value.error == "DeadlinePassed"
    c.transact(dvp, "cancel", trade_id, sender=market.bob)
    assert dvp.call("trades", trade_id)[7] == 4  # Cancelled
    assert market.token.call("balanceOf", market.alice) == 1000
    with pytest.raises(TransactionReverted) as caught:
        c.transact(dvp, "settle", trade_id, sender=market.carol)
    assert caught.value.error == "NotParty"


def test_seller_may_withdraw_before_acceptance(market):
    c, dvp = market.chain, market.settlement.dvp
    trade_id, _ = propose_trade(market, seller=market.alice, buyer=market.bob, units=10, cents=1_000)
    c.transact(dvp, "cancel", trade_id, sender=market.alice)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(dvp, "accept", trade_id, sender=market.bob)
    assert caught.value.error == "WrongState"


SECRET = b"\x42" * 32
HASHLOCK = hashlib.sha256(SECRET).digest()


def lock_units(market, amount=50, ttl=600):
    c, htlc = market.chain, market.settlement.htlc
    timelock = c.next_timestamp() + ttl
    c.transact(market.token, "approve", htlc.address, amount, sender=market.alice)
    receipt = c.transact(
        htlc, "lock", market.bob, market.token.address, amount, HASHLOCK, timelock, sender=market.alice
    )
    return receipt.event("Locked")["lockId"], timelock


def test_htlc_rejects_a_wrong_preimage_and_an_early_refund(market):
    c, htlc = market.chain, market.settlement.htlc
    lock_id, timelock = lock_units(market)
    assert market.token.call("balanceOf", htlc.address) == 50
    with pytest.raises(TransactionReverted) as caught:
        c.transact(htlc, "claim", lock_id, b"\x00" * 32, sender=market.bob)
    assert caught.value.error == "WrongPreimage"
    stamp = market.advance_to(timelock, before=True)  # the last slot before the timelock
    with pytest.raises(TransactionReverted) as caught:
        c.transact(htlc, "refund", lock_id, sender=market.alice)
    assert caught.value.error == "NotExpired"
    assert c.get_block_timestamp(c.block_number) == stamp and timelock - 12 <= stamp < timelock


def test_htlc_claim_at_timelock_minus_one_succeeds_and_refund_is_then_impossible(market):
    c, htlc = market.chain, market.settlement.htlc
    lock_id, timelock = lock_units(market)
    stamp = market.advance_to(timelock, before=True)  # the last slot before the timelock
    receipt = c.transact(htlc, "claim", lock_id, SECRET, sender=market.carol)  # anyone may relay the preimage
    assert c.get_block_timestamp(receipt.block_number) == stamp and timelock - 12 <= stamp < timelock
    assert receipt.event("Claimed")["preimage"] == SECRET
    assert market.token.call("balanceOf", market.bob) == 550
    market.advance_to(timelock + 10)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(htlc, "refund", lock_id, sender=market.alice)
    assert caught.value.error == "NotLocked"
    with pytest.raises(TransactionReverted):
        c.transact(htlc, "claim", lock_id, SECRET, sender=market.bob)
    assert market.token.call("balanceOf", market.bob) == 550


def test_htlc_claim_at_timelock_fails_and_refund_succeeds(market):
    c, htlc = market.chain, market.settlement.htlc
    lock_id, timelock = lock_units(market)
    market.advance_to(timelock)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(htlc, "claim", lock_id, SECRET, sender=market.bob)
    assert caught.value.error == "Expired"
    assert c.get_block_timestamp(c.block_number) == timelock
    receipt = c.transact(htlc, "refund", lock_id, sender=market.alice)
    assert receipt.event("Refunded")["lockId"] == lock_id
    assert market.token.call("balanceOf", market.alice) == 1000
    assert market.token.call("balanceOf", htlc.address) == 0


def test_htlc_claim_and_refund_in_one_block_only_one_wins(market):
    c, htlc = market.chain, market.settlement.htlc
    lock_id, timelock = lock_units(market)
    market.advance_to(timelock)
    c.send(htlc, "refund", lock_id, sender=market.alice)
    c.send(htlc, "claim", lock_id, SECRET, sender=market.bob)
    refund, claim = c.mine()
    assert refund.status and not claim.status and claim.revert.error in ("NotLocked", "Expired")
    assert market.token.call("balanceOf", market.alice) == 1000 and market.token.call("balanceOf", market.bob) == 500


def test_htlc_for_cash_and_unverified_receiver(market):
    c, htlc = market.chain, market.settlement.htlc
    fund_cash(market, market.bob, 1_000)
    timelock = c.next_timestamp() + 600
    c.transact(market.cash, "approve", htlc.address, 1_000, sender=market.bob)
    receipt = c.transact(htlc, "lock", market.alice, market.cash.address, 1_000, HASHLOCK, timelock, sender=market.bob)
    c.transact(htlc, "claim", receipt.event("Locked")["lockId"], SECRET, sender=market.alice)
    assert market.cash.call("balanceOf", market.alice) == 1_000
    # Security tokens locked for an ineligible receiver can never be claimed, only refunded.
    c.transact(market.token, "approve", htlc.address, 5, sender=market.alice)
    receipt = c.transact(
        htlc, "lock", market.stranger, market.token.address, 5, HASHLOCK, timelock, sender=market.alice
    )
    with pytest.raises(TransactionReverted) as caught:
        c.transact(htlc, "claim", receipt.event("Locked")["lockId"], SECRET, sender=market.stranger)
    assert caught.value.args_decoded == (5, "receiver identity is not verified")

"""The compliance rule on every route of the Ethereum token (README, "Compliance rule on every
route"): a frozen wallet neither sends nor receives, frozen units do not move, a paused token
moves nothing but the issuer's recovery actions (forced transfer, wallet recovery)."""

from __future__ import annotations

import hashlib

import pytest

from rwasim.ethereum import TransactionReverted
from rwasim.ethereum.suite import register_investor

PAUSED = (1, "token is paused")
SENDER_FROZEN = (2, "sender wallet is frozen")
RECEIVER_FROZEN = (3, "receiver wallet is frozen")
INSUFFICIENT = (4, "insufficient unfrozen balance")


def refused(market, contract, fn, *args, sender):
    """The (code, message) a call reverted with (TransferRestricted only)."""
    with pytest.raises(TransactionReverted) as caught:
        market.chain.transact(contract, fn, *args, sender=sender)
    assert caught.value.error == "TransferRestricted", caught.value
    return tuple(caught.value.args_decoded)


def freeze(market, wallet):
    market.chain.transact(market.token, "setAddressFrozen", wallet, True, sender=market.agent)


def pause(market):
    market.chain.transact(market.token, "pause", sender=market.agent)


# ---- mint ------------------------------------------------------------------------------------
def test_mint_to_a_frozen_wallet_is_refused(market):
    freeze(market, market.alice)
    assert market.token.call("canMint", market.alice, 5) == RECEIVER_FROZEN
    assert refused(market, market.token, "mint", market.alice, 5, sender=market.issuer) == RECEIVER_FROZEN
    assert market.token.call("balanceOf", market.alice) == 1000


def test_mint_while_paused_is_refused(market):
    pause(market)
    assert market.token.call("canMint", market.carol, 5) == PAUSED
    assert refused(market, market.token, "mint", market.carol, 5, sender=market.issuer) == PAUSED


# ---- the burn towards another chain -----------------------------------------------------------
def test_bridge_burn_obeys_the_rule_and_the_redemption_burn_does_not(market):
    c, token = market.chain, market.token
    c.transact(token, "freezePartialTokens", market.alice, 900, sender=market.agent)
    assert token.call("canBridgeBurn", market.alice, 101) == INSUFFICIENT
    assert refused(market, token, "bridgeBurn", market.alice, 101, sender=market.agent) == INSUFFICIENT
    c.transact(token, "bridgeBurn", market.alice, 100, sender=market.agent)  # the free units may leave
    freeze(market, market.bob)
    assert refused(market, token, "bridgeBurn", market.bob, 1, sender=market.agent) == SENDER_FROZEN
    pause(market)
    assert refused(market, token, "bridgeBurn", market.alice, 0, sender=market.agent) == PAUSED
    c.transact(token, "burn", market.bob, 500, sender=market.agent)  # redemption: excepted
    assert token.call("balanceOf", market.bob) == 0


# ---- forced transfer and recovery (the recovery actions) --------------------------------------
def test_forced_transfer_to_a_frozen_wallet_is_refused(market):
    freeze(market, market.carol)
    assert (
        refused(market, market.token, "forcedTransfer", market.alice, market.carol, 1, sender=market.agent)
        == RECEIVER_FROZEN
    )


def test_forced_transfer_takes_a_frozen_wallets_free_units_even_while_paused(market):
    c, token = market.chain, market.token
    c.transact(token, "freezePartialTokens", market.alice, 600, sender=market.agent)
    freeze(market, market.alice)
    pause(market)
    assert (
        refused(market, token, "forcedTransfer", market.alice, market.carol, 401, sender=market.agent) == INSUFFICIENT
    )
    c.transact(token, "forcedTransfer", market.alice, market.carol, 400, sender=market.agent)
    assert token.call("balanceOf", market.alice) == 600 and token.call("balanceOf", market.carol) == 400


def test_recovery_works_while_paused_and_never_into_a_frozen_wallet(market):
    c, token = market.chain, market.token
    new, frozen_new = c.new_account("alice-new"), c.new_account("alice-frozen")
    for wallet in (new, frozen_new):
        register_investor(c, market.suite, wallet, country=344, investor_class="professional")
    freeze(market, frozen_new)
    pause(market)
    assert refused(market, token, "recoveryAddress", market.alice, frozen_new, sender=market.agent) == RECEIVER_FROZEN
    c.transact(token, "recoveryAddress", market.alice, new, sender=market.agent)
    assert token.call("balanceOf", new) == 1000


# ---- DvP and HTLC ---------------------------------------------------------------------------
def _dvp(market, seller, buyer, units=10, cents=100):
    c, dvp = market.chain, market.settlement.dvp
    c.transact(market.token, "approve", dvp.address, units, sender=seller)
    c.transact(market.cash, "mint", buyer, cents, sender=market.bank)
    c.transact(market.cash, "approve", dvp.address, cents, sender=buyer)
    deadline = c.next_timestamp() + 3600
    trade = c.transact(
        dvp, "propose", buyer, market.token.address, units, market.cash.address, cents, deadline, sender=seller
    ).event("TradeProposed")["tradeId"]
    c.transact(dvp, "accept", trade, sender=buyer)
    return trade


@pytest.mark.parametrize(
    "case, expected",
    [
        ("frozen seller", SENDER_FROZEN),
        ("frozen buyer", RECEIVER_FROZEN),
        ("frozen units", INSUFFICIENT),
        ("paused", PAUSED),
    ],
)
def test_dvp_delivery_obeys_the_rule(market, case, expected):
    c = market.chain
    c.transact(market.cash, "setAllowed", market.alice, True, sender=market.bank)
    trade = _dvp(market, market.bob, market.alice)
    if case == "frozen seller":
        freeze(market, market.bob)
    elif case == "frozen buyer":
        freeze(market, market.alice)
    elif case == "frozen units":
        c.transact(market.token, "freezePartialTokens", market.bob, 495, sender=market.agent)
    else:
        pause(market)
    assert refused(market, market.settlement.dvp, "settle", trade, sender=market.bob) == expected
    assert market.token.call("balanceOf", market.bob) == 500


@pytest.mark.parametrize("case, expected", [("frozen receiver", RECEIVER_FROZEN), ("paused", PAUSED)])
def test_htlc_claim_obeys_the_rule(market, case, expected):
    c, htlc = market.chain, market.settlement.htlc
    secret = b"s" * 32
    c.transact(market.token, "approve", htlc.address, 10, sender=market.alice)
    lock = c.transact(
        htlc,
        "lock",
        market.carol,
        market.token.address,
        10,
        hashlib.sha256(secret).digest(),
        c.next_timestamp() + 3600,
        sender=market.alice,
    ).event("Locked")["lockId"]
    if case == "frozen receiver":
        freeze(market, market.carol)
    else:
        pause(market)
    assert refused(market, htlc, "claim", lock, secret, sender=market.carol) == expected
    assert market.token.call("balanceOf", market.carol) == 0

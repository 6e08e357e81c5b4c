"""The security token's rules on the real EVM: eligibility, compliance modules, freezes,
forced transfer, recovery, pause, batches and documents."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rwasim.ethereum import ChainError, TransactionReverted


def restriction(market, sender, receiver, amount):
    return market.token.call("canTransfer", sender, receiver, amount)


def assert_restricted(market, fn, *args, sender, code, message):
    with pytest.raises(TransactionReverted) as caught:
        market.chain.transact(market.token, fn, *args, sender=sender)
    assert caught.value.error == "TransferRestricted"
    assert caught.value.args_decoded == (code, message)


def test_transfer_between_eligible_investors(market):
    assert restriction(market, market.alice, market.bob, 10) == (0, "ok")
    receipt = market.chain.transact(market.token, "transfer", market.bob, 10, sender=market.alice)
    assert receipt.event("Transfer") == {"from": market.alice, "to": market.bob, "value": 10}
    assert market.token.call("balanceOf", market.bob) == 510


def test_unregistered_receiver_is_refused(market):
    assert restriction(market, market.alice, market.stranger, 1) == (5, "receiver identity is not verified")
    assert market.token.call("detectTransferRestriction", market.alice, market.stranger, 1) == 5
    assert_restricted(
        market, "transfer", market.stranger, 1, sender=market.alice, code=5, message="receiver identity is not verified"
    )
    assert_restricted(
        market, "mint", market.stranger, 1, sender=market.issuer, code=5, message="receiver identity is not verified"
    )


def test_expired_or_revoked_claims_unverify(market):
    c, reg = market.chain, market.suite.identity_registry
    assert reg.call("isVerified", market.carol)
    c.transact(reg, "removeClaim", market.carol, 1, sender=market.issuer)
    assert not reg.call("isVerified", market.carol)
    assert restriction(market, market.alice, market.carol, 1)[0] == 5
    # A claim from an issuer that is not trusted for the topic cannot be written.
    with pytest.raises(TransactionReverted) as caught:
        c.transact(reg, "addClaim", market.carol, 1, 1, 0, sender=market.bob)
    assert caught.value.error == "NotTrustedIssuer"
    # A claim that expires stops counting at its expiry time.
    expiry = c.next_timestamp() + 100
    c.transact(reg, "addClaim", market.carol, 1, 1, expiry, sender=market.issuer)
    assert reg.call("isVerified", market.carol)
    market.advance_to(expiry, before=True)
    assert reg.call("isVerified", market.carol), "still valid in the last slot before its expiry"
    market.advance_to(expiry)
    market.sim.run(until=market.sim.now + 12)  # no block: a read sees the current slot's time
    assert not reg.call("isVerified", market.carol)


def test_country_module(market):
    market.add_module("countries", [344, 702])
    assert restriction(market, market.alice, market.carol, 1) == (6, "compliance: CountryAllowModule")
    assert_restricted(
        market, "transfer", market.carol, 1, sender=market.alice, code=6, message="compliance: CountryAllowModule"
    )
    assert restriction(market, market.alice, market.bob, 1) == (0, "ok")


def test_investor_class_module(market):
    market.add_module("investor_classes", ["professional"])
    assert restriction(market, market.alice, market.retail, 1) == (6, "compliance: InvestorClassModule")
    assert restriction(market, market.alice, market.bob, 1) == (6, "compliance: InvestorClassModule")
    assert restriction(market, market.alice, market.carol, 1) == (0, "ok")


def test_max_balance_module_at_the_boundary(market):
    market.add_module("max_balance", 600)
    assert restriction(market, market.alice, market.bob, 100) == (0, "ok")  # 500 + 100 = 600
    assert restriction(market, market.alice, market.bob, 101) == (6, "compliance: MaxBalanceModule")
    assert_restricted(
        market, "mint", market.bob, 101, sender=market.issuer, code=6, message="compliance: MaxBalanceModule"
    )


def test_max_holders_module_counts_arrivals_and_departures(market):
    c = market.chain
    module = market.add_module("max_holders", 2)
    # The module starts counting when bound: bring its count to the two existing holders.
    assert module.call("holderCount") == 0
    c.transact(market.token, "transfer", market.carol, 1, sender=market.alice)  # carol arrives: 1
    c.transact(market.token, "transfer", market.issuer, 1, sender=market.bob)  # issuer arrives: 2
    assert module.call("holderCount") == 2
    # A third new holder is refused...
    assert restriction(market, market.alice, market.retail, 1) == (6, "compliance: MaxHoldersModule")
    # ...unless the sender leaves at the same time (carol sends her whole balance).
    assert restriction(market, market.carol, market.retail, 1) == (0, "ok")
    c.transact(market.token, "transfer", market.retail, 1, sender=market.carol)
    assert module.call("holderCount") == 2


def test_lock_up_module_at_the_boundary(market):
    c = market.chain
    unlock = c.next_timestamp() + 1000
    market.add_module("locked_until", unlock)
    # Primary issuance is not locked.
    c.transact(market.token, "mint", market.bob, 1, sender=market.issuer)
    stamp = market.advance_to(unlock, before=True)  # the last slot before the unlock
    with pytest.raises(TransactionReverted) as caught:
        c.transact(market.token, "transfer", market.bob, 1, sender=market.alice)
    assert caught.value.args_decoded == (6, "compliance: LockUpModule")
    assert c.get_block_timestamp(c.block_number) == stamp and unlock - 12 <= stamp < unlock
    stamp = market.advance_to(unlock)  # the first slot at or after it
    c.transact(market.token, "transfer", market.bob, 1, sender=market.alice)
    assert c.get_block_timestamp(c.block_number) == stamp and unlock <= stamp < unlock + 12


def test_address_freeze(market):
    c = market.chain
    c.transact(market.token, "setAddressFrozen", market.alice, True, sender=market.agent)
    assert restriction(market, market.alice, market.bob, 1) == (2, "sender wallet is frozen")
    assert restriction(market, market.bob, market.alice, 1) == (3, "receiver wallet is frozen")
    with pytest.raises(TransactionReverted) as caught:
        c.transact(market.token, "setAddressFrozen", market.bob, True, sender=market.alice)
    assert caught.value.error == "NotAgent"
    c.transact(market.token, "setAddressFrozen", market.alice, False, sender=market.agent)
    assert restriction(market, market.alice, market.bob, 1) == (0, "ok")


def test_partial_freeze(market):
    c = market.chain
    c.transact(market.token, "freezePartialTokens", market.alice, 900, sender=market.agent)
    assert market.token.call("getFrozenTokens", market.alice) == 900
    assert restriction(market, market.alice, market.bob, 100) == (0, "ok")
    assert restriction(market, market.alice, market.bob, 101) == (4, "insufficient unfrozen balance")
    with pytest.raises(TransactionReverted) as caught:
        c.transact(market.token, "freezePartialTokens", market.alice, 101, sender=market.agent)
    assert caught.value.error == "FreezeExceedsBalance" and caught.value.args_decoded == (1000, 1001)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(market.token, "unfreezePartialTokens", market.alice, 901, sender=market.agent)
    assert caught.value.error == "UnfreezeExceedsFrozen"
    c.transact(market.token, "unfreezePartialTokens", market.alice, 400, sender=market.agent)
    assert restriction(market, market.alice, market.bob, 500) == (0, "ok")


def test_forced_transfer_moves_only_unfrozen_units_to_eligible_receivers(market):
    c = market.chain
    c.transact(market.token, "freezePartialTokens", market.alice, 900, sender=market.agent)
    c.transact(market.token, "setAddressFrozen", market.alice, True, sender=market.agent)
    # Never below the frozen amount, even for an agent.
    assert_restricted(
        market,
        "forcedTransfer",
        market.alice,
        market.bob,
        101,
        sender=market.agent,
        code=4,
        message="insufficient unfrozen balance",
    )
    # Never to an ineligible receiver.
    assert_restricted(
        market,
        "forcedTransfer",
        market.alice,
        market.stranger,
        1,
        sender=market.agent,
        code=5,
        message="receiver identity is not verified",
    )
    market.add_module("investor_classes", ["professional", "accredited"])
    assert_restricted(
        market,
        "forcedTransfer",
        market.alice,
        market.retail,
        1,
        sender=market.agent,
        code=6,
        message="compliance: InvestorClassModule",
    )
    # The sender's freeze flag does not stop it; the unfrozen 100 move.
    receipt = c.transact(market.token, "forcedTransfer", market.alice, market.bob, 100, sender=market.agent)
    assert receipt.event("ForcedTransfer")["amount"] == 100
    assert market.token.call("balanceOf", market.alice) == 900
    assert market.token.call("getFrozenTokens", market.alice) == 900
    with pytest.raises(TransactionReverted) as caught:
        c.transact(market.token, "forcedTransfer", market.bob, market.alice, 1, sender=market.bob)
    assert caught.value.error == "NotAgent"


def test_recovery_moves_balance_and_freezes_to_a_verified_wallet(market):
    from rwasim.ethereum.suite import register_investor

    c = market.chain
    new_wallet = c.new_account("alice-new")
    c.transact(market.token, "freezePartialTokens", market.alice, 300, sender=market.agent)
    with pytest.raises(TransactionReverted) as caught:
        c.transact(market.token, "recoveryAddress", market.alice, new_wallet, sender=market.agent)
    assert caught.value.error == "WalletNotVerified"
    register_investor(c, market.suite, new_wallet, country=344, investor_class="professional")
    receipt = c.transact(market.token, "recoveryAddress", market.alice, new_wallet, sender=market.agent)
    assert receipt.event("RecoverySuccess")["amount"] == 1000
    assert market.token.call("balanceOf", market.alice) == 0
    assert market.token.call("balanceOf", new_wallet) == 1000
    assert market.token.call("getFrozenTokens", new_wallet) == 300
    assert market.token.call("totalSupply") == 1500


def test_pause_stops_transfers_not_agents_reads(market):
    c = market.chain
    c.transact(market.token, "pause", sender=market.agent)
    assert restriction(market, market.alice, market.bob, 1) == (1, "token is paused")
    assert_restricted(market, "transfer", market.bob, 1, sender=market.alice, code=1, message="token is paused")
    c.transact(market.token, "unpause", sender=market.agent)
    c.transact(market.token, "transfer", market.bob, 1, sender=market.alice)


def test_batch_mint_and_batch_transfer_are_all_or_nothing(market):
    c, t = market.chain, market.token
    c.transact(t, "batchMint", [market.carol, market.issuer], [7, 8], sender=market.issuer)
    assert (t.call("balanceOf", market.carol), t.call("balanceOf", market.issuer)) == (7, 8)
    supply = t.call("totalSupply")
    with pytest.raises(TransactionReverted):
        c.transact(t, "batchMint", [market.carol, market.stranger], [1, 1], sender=market.issuer)
    assert t.call("totalSupply") == supply and t.call("balanceOf", market.carol) == 7
    c.transact(t, "batchTransfer", [market.bob, market.carol], [10, 20], sender=market.alice)
    assert t.call("balanceOf", market.alice) == 970
    with pytest.raises(TransactionReverted):
        c.transact(t, "batchTransfer", [market.bob, market.stranger], [10, 20], sender=market.alice)
    assert t.call("balanceOf", market.alice) == 970 and t.call("balanceOf", market.bob) == 510
    with pytest.raises(TransactionReverted) as caught:
        c.transact(t, "batchMint", [market.carol], [1, 2], sender=market.issuer)
    assert caught.value.error == "LengthMismatch"


def test_burn_releases_frozen_units_when_needed(market):
    c, t = market.chain, market.token
    c.transact(t, "freezePartialTokens", market.bob, 400, sender=market.agent)
    c.transact(t, "burn", market.bob, 300, sender=market.agent)  # 100 free + 200 released from frozen
    assert t.call("balanceOf", market.bob) == 200 and t.call("getFrozenTokens", market.bob) == 200
    assert t.call("totalSupply") == 1200


def test_documents(market):
    c, t = market.chain, market.token
    name = b"term-sheet".ljust(32, b"\0")
    digest = bytes(range(32))
    c.transact(t, "setDocument", name, "ipfs://term-sheet-v1", digest, sender=market.agent)
    uri, stored, modified = t.call("getDocument", name)
    assert (uri, stored) == ("ipfs://term-sheet-v1", digest) and modified == c.get_block_timestamp(c.block_number)
    assert t.call("getAllDocuments") == [name]
    c.transact(t, "removeDocument", name, sender=market.agent)
    assert t.call("getAllDocuments") == []
    with pytest.raises(ChainError, match="getDocument call reverted: UnknownDocument"):
        t.call("getDocument", name)


def test_transfer_from_needs_allowance(market):
    c, t = market.chain, market.token
    with pytest.raises(TransactionReverted) as caught:
        c.transact(t, "transferFrom", market.alice, market.bob, 5, sender=market.carol)
    assert caught.value.error == "InsufficientAllowance"
    c.transact(t, "approve", market.carol, 5, sender=market.alice)
    c.transact(t, "transferFrom", market.alice, market.bob, 5, sender=market.carol)
    assert t.call("allowance", market.alice, market.carol) == 0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 700)), min_size=1, max_size=6))
def test_supply_is_conserved_over_random_transfers(market, moves):
    c, t = market.chain, market.token
    wallets = [market.alice, market.bob, market.carol, market.retail]
    snapshot = c.snapshot()
    try:
        for src, dst, amount in moves:
            c.send(t, "transfer", wallets[dst], amount, sender=wallets[src])
        receipts = c.mine()
        balances = [t.call("balanceOf", w) for w in wallets]
        assert sum(balances) == t.call("totalSupply") == 1500
        # Every refused transfer says why; every accepted one moved exactly its amount.
        for receipt in receipts:
            assert receipt.status or receipt.revert.error == "TransferRestricted"
    finally:
        c.revert(snapshot)

"""Our vault against rwasim's real token suite, consortium ledger and bridge, with rwasim's pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from rwasim.ethereum import TransactionReverted
from rwasim.ethereum.suite import deploy_token_suite, register_investor, register_system_account

from bridge import LANE, lane_options
from sim.pricing import coupon_cents

PROJECT = Path(__file__).resolve().parents[1]
HONG_KONG = 344


def test_our_packages_named_sim_and_bridge_are_ours():
    import rwasim.bridge

    import bridge
    import sim

    assert Path(sim.__file__).parent == PROJECT / "sim"
    assert Path(bridge.__file__).parent == PROJECT / "bridge"
    assert PROJECT not in Path(rwasim.bridge.__file__).parents  # rwasim's own bridge, from the installed rwasim


def test_the_coupon_is_act_365_in_whole_cents():
    assert coupon_cents(10, 100_000, 500, 365) == 50_000
    assert coupon_cents(1, 100_000, 500, 1) == 13  # 13.69 cents, rounded down
    with pytest.raises(ValueError):
        coupon_cents(-1, 100_000, 500, 1)


def test_only_verified_investors_deposit_and_each_takes_back_only_its_own(rwasim_chain):
    chain = rwasim_chain
    issuer = chain.accounts[0]
    suite = deploy_token_suite(chain, name="Team Note", symbol="TEAM", issuer=issuer)
    vault = chain.deploy("WhitelistedVault", suite.token.address)  # our artifact, found through rwasim_artifacts
    assert vault.call("registry") == suite.identity_registry.address
    register_system_account(chain, suite, vault.address)
    alice, bob = chain.new_account("alice"), chain.new_account("bob")
    register_investor(chain, suite, alice, country=HONG_KONG, investor_class="professional")
    chain.transact(suite.token, "mint", alice, 100, sender=issuer)

    chain.transact(suite.token, "approve", vault.address, 60, sender=alice)
    chain.transact(vault, "deposit", 60, sender=alice)
    assert suite.token.call("balanceOf", vault.address) == vault.call("totalDeposited") == 60

    with pytest.raises(TransactionReverted) as refused:
        chain.transact(vault, "deposit", 1, sender=bob)
    assert refused.value.error == "NotVerified"
    with pytest.raises(TransactionReverted) as too_much:
        chain.transact(vault, "withdraw", 61, sender=alice)
    assert too_much.value.error == "MoreThanDeposited" and too_much.value.args_decoded == (60, 61)

    chain.transact(vault, "withdraw", 60, sender=alice)
    assert suite.token.call("balanceOf", alice) == 100 and vault.call("totalDeposited") == 0


def test_our_note_bridged_from_the_consortium_into_the_vault(rwasim_ledger, rwasim_bridge, rwasim_chain):
    ledger = rwasim_ledger(n_validators=4)
    issuer = ledger.org_client("issuer")
    ledger.settle(
        issuer.submit("asset.register", {"asset_id": "TEAM-NOTE", "term_sheet_hash": "0x" + "7e" * 32}),
        issuer.submit(
            "identity.register", {"holder": issuer.holder, "country": HONG_KONG, "investor_class": "professional"}
        ),
        issuer.submit("token.mint", {"asset_id": "TEAM-NOTE", "to": issuer.holder, "amount": 500}),
    )
    lane = rwasim_bridge(ledger, asset_id="TEAM-NOTE", **lane_options())
    assert lane.end.lane == LANE
    suite = lane.end.suite
    vault = rwasim_chain.deploy("WhitelistedVault", suite.token.address)
    register_system_account(rwasim_chain, suite, vault.address)
    carol = rwasim_chain.new_account("carol")
    register_investor(rwasim_chain, suite, carol, country=HONG_KONG, investor_class="professional")

    ledger.settle(lane.lock(issuer, 120, carol))
    lane.settle()
    rwasim_chain.transact(suite.token, "approve", vault.address, 80, sender=carol)
    rwasim_chain.transact(vault, "deposit", 80, sender=carol)

    assert suite.token.call("balanceOf", carol) == 40
    assert suite.token.call("balanceOf", vault.address) == 80
    assert lane.monitor.conserved()


def test_our_scenario_holds_its_invariants(rwasim_scenario):
    result = rwasim_scenario("scenarios/my_first_scenario.py", investors=2)
    assert result.invariants_hold, result.report["invariants"]
    assert result.report["scenario"] == "my_first_scenario"
    assert result.report["vault"] == {"deposited": 50, "coupon_cents": coupon_cents(50, 100_000, 500, 182)}

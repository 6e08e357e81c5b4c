"""The pytest plugin, used the way a team's CI uses it: a test file of its own, run by pytest."""

from __future__ import annotations

USER_TESTS = """
from rwasim.ethereum.suite import deploy_token_suite, register_investor


def test_deploy_a_token_first(rwasim_chain):
    suite = deploy_token_suite(rwasim_chain, name="Mine", symbol="MINE", issuer=rwasim_chain.accounts[0])
    assert suite.token.call("name") == "Mine"
    pytest_state["address"] = suite.token.address
    pytest_state["block"] = rwasim_chain.block_number


def test_the_chain_was_reverted_after_the_first_test(rwasim_chain):
    assert rwasim_chain.block_number <= pytest_state["block"] - 5
    assert rwasim_chain.backend.call(rwasim_chain.accounts[0], pytest_state["address"], bytes.fromhex("06fdde03"))[1] == b""


def test_a_ledger_and_a_bridge(rwasim_ledger, rwasim_bridge, rwasim_chain, rwasim_seed):
    assert rwasim_seed == 42
    ledger = rwasim_ledger(n_validators=4)
    issuer = ledger.org_client("issuer")
    ledger.settle(issuer.submit("asset.register", {"asset_id": "MY-NOTE", "term_sheet_hash": "0x" + "11" * 32}),
                  issuer.submit("identity.register", {"holder": issuer.holder, "country": 344,
                                                      "investor_class": "professional"}),
                  issuer.submit("token.mint", {"asset_id": "MY-NOTE", "to": issuer.holder, "amount": 500}))
    bridge = rwasim_bridge(ledger, asset_id="MY-NOTE", confirmations=2)
    alice = rwasim_chain.new_account("alice")
    register_investor(rwasim_chain, bridge.end.suite, alice, country=344, investor_class="professional")
    ledger.settle(bridge.lock(issuer, 120, alice))
    bridge.settle()
    assert bridge.end.token.call("balanceOf", alice) == 120
    assert bridge.monitor.conserved()


MY_NOTE = {
    "kind": "fixed_coupon", "id": "TEAM-FCN", "issuer": "Team Broker Ltd", "currency": "HKD",
    "denomination": "1000.00", "notional": "50000.00", "issue_date": "2026-01-05", "strike_date": "2026-01-05",
    "maturity_date": "2026-07-06", "settlement_lag_days": 1, "underlying": "", "day_count": "ACT/365F",
    "coupon_rate": "0.05", "coupon_dates": ["2026-07-06"], "eligible_investor_classes": ["professional"],
    "eligible_countries": [344], "document_hash": "0x" + "22" * 32,
}


def test_an_issuer_with_my_product_refuses_whom_my_policy_excludes(rwasim_market, rwasim_chain):
    market = rwasim_market(MY_NOTE, investors=6)
    issued = market.run_offer()
    for investor in market.investors:
        admitted = investor.investor_class == "professional" and investor.country == 344
        assert (investor.name in issued.delivered) == admitted
    assert market.note.units_issued() == sum(issued.delivered.values())
    assert market.regulator.reconcile("TEAM-FCN").holds
    pytest_state["wrapped"] = market.note.wrapped.address


def test_the_market_of_the_last_test_is_gone(rwasim_chain):
    code = rwasim_chain.backend.call(rwasim_chain.accounts[0], pytest_state["wrapped"], bytes.fromhex("18160ddd"))
    assert code[1] == b""


def test_a_whole_scenario(rwasim_scenario):
    result = rwasim_scenario("issuance", investors=3)
    assert result.invariants_hold
    assert result.report["seed"] == 42 and result.report["params"]["investors"] == 3
"""


def test_the_plugin_is_registered_and_its_fixtures_isolate_tests(pytester):
    pytester.makeconftest(
        "import pytest\npytest_state = {}\n\n@pytest.fixture(autouse=True)\n"
        "def _state(request):\n    request.module.pytest_state = pytest_state\n"
    )
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--rwasim-seed", "42", "-q")
    result.assert_outcomes(passed=6)


def test_the_options_are_documented_in_help(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--rwasim-seed*", "*--rwasim-backend*"])

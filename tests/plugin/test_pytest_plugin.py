"""The pytest plugin, used the way a team's CI uses it: a test file of its own, run by pytest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
    result.stdout.fnmatch_lines(["*--rwasim-seed*", "*--rwasim-backend*", "*--rwasim-artifacts*", "*rwasim_artifacts*"])


VAULT = Path(__file__).resolve().parents[2] / "examples" / "user_project" / "build" / "WhitelistedVault.json"

TEAM_TESTS = """
from pathlib import Path

from rwasim.ethereum.artifacts import DEFAULT_ARTIFACTS_DIR
from rwasim.ethereum.suite import deploy_token_suite


def test_the_folders_in_order(rwasim_artifacts, rwasim_chain):
    here = Path.cwd()
    assert rwasim_artifacts == (here / "cli-arts", here / "ini-arts")
    assert rwasim_chain.artifacts_dirs == (*rwasim_artifacts, DEFAULT_ARTIFACTS_DIR)


def test_our_contract_next_to_rwasims(rwasim_chain):
    suite = deploy_token_suite(rwasim_chain, name="Ours", symbol="OURS", issuer=rwasim_chain.accounts[0])
    vault = rwasim_chain.deploy("WhitelistedVault", suite.token.address)
    assert vault.call("registry") == suite.identity_registry.address
    assert "deposit" in rwasim_chain.artifact("ShadowVault").abi.functions


def test_our_scenario_by_path(rwasim_scenario):
    result = rwasim_scenario("scenarios/ours.py", units=3)
    assert result.invariants_hold and result.report["scenario"] == "ours"
"""

TEAM_SCENARIO = """\"\"\"Our scenario: our contract by name, a helper module kept beside it.\"\"\"
from helper import double
from rwasim.ethereum.suite import deploy_token_suite

PARAMS = {"units": 1}


def run(ctx):
    chain = ctx.ethereum
    suite = deploy_token_suite(chain, name="Ours", symbol="OURS", issuer=chain.accounts[0])
    vault = chain.deploy("WhitelistedVault", suite.token.address)
    ctx.check("helper_beside_the_scenario", double(ctx.params["units"]) == 6)
    ctx.check("our_vault_deployed", vault.call("totalDeposited") == 0)
"""


def test_a_teams_artifacts_from_the_command_line_and_the_ini_file_and_its_scenario_by_path(pytester):
    for folder, name in (("cli-arts", "ShadowVault.json"), ("ini-arts", "WhitelistedVault.json")):
        (pytester.path / folder).mkdir()
        shutil.copyfile(VAULT, pytester.path / folder / name)
    pytester.makeini("[pytest]\nrwasim_artifacts = ini-arts\n")
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "ours.py").write_text(TEAM_SCENARIO)
    (pytester.path / "scenarios" / "helper.py").write_text("def double(x):\n    return 2 * x\n")
    pytester.makepyfile(test_team=TEAM_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--rwasim-artifacts", "cli-arts", "-q")
    result.assert_outcomes(passed=3)


def test_a_missing_artifacts_folder_stops_the_run_in_one_line(pytester):
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--rwasim-artifacts", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: rwasim artifacts folder {pytester.path / 'nowhere'} does not exist*"])

"""Licences gate every regulated action; onboarding writes identities to both chains."""

from __future__ import annotations

import pytest

from rwasim.agents import InvestorProfile, Licence, LicenceError, Licences, LicensedIssuer, draw_investors
from rwasim.consortium import ConsortiumLedger
from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain
from rwasim.ethereum.suite import deploy_token_suite


def test_a_hong_kong_broker_may_bridge_and_one_without_a_va_licence_may_not():
    full = Licences.hong_kong_broker()
    full.require("bridge_to_public_chain")
    partial = Licences.hong_kong_broker(virtual_assets=False)
    with pytest.raises(LicenceError, match="bridge_to_public_chain in HK needs SFC virtual-asset licence"):
        partial.require("bridge_to_public_chain")
    assert partial.missing("issue_security_token") == []
    assert partial.missing("onboard_investor", jurisdiction="SG") == ["type-1"]
    with pytest.raises(ValueError, match="unknown activity"):
        partial.require("print_money")


def test_an_unlicensed_issuer_refuses_to_onboard_and_says_why():
    sim = Simulation(seed=1)
    ledger = ConsortiumLedger(sim)
    issuer = LicensedIssuer(sim, "Advisory Ltd", Licences([Licence("SFC", "type-4", "HK")]), ledger=ledger)
    profiles = draw_investors(sim, 2)
    with pytest.raises(LicenceError, match="onboard_investor in HK needs SFC type-1"):
        issuer.onboard(profiles)
    refused = sim.log.of_kind("agent.refused")
    assert refused and refused[0].data["activity"] == "onboard_investor"
    assert ledger.height == 0, "nothing was written"


def test_seeded_populations_are_reproducible_and_follow_the_weights():
    a = draw_investors(Simulation(seed=5), 400)
    b = draw_investors(Simulation(seed=5), 400)
    c = draw_investors(Simulation(seed=6), 400)
    assert a == b and a != c
    assert len({p.name for p in a}) == 400
    professional = sum(p.investor_class == "professional" for p in a) / 400
    on_ethereum = sum(p.chain == "ethereum" for p in a) / 400
    assert 0.5 < professional < 0.7 and 0.4 < on_ethereum < 0.6
    with pytest.raises(ValueError):
        draw_investors(Simulation(), 3, ethereum_share=2)


def test_onboarding_writes_identity_class_and_country_to_both_chains():
    sim = Simulation(seed=2)
    ledger = ConsortiumLedger(sim)
    chain = EthereumChain(sim)
    suite = deploy_token_suite(chain, name="Note", symbol="NOTE", issuer=chain.accounts[0])
    issuer = LicensedIssuer(sim, "Broker HK", Licences.hong_kong_broker(), ledger=ledger, chain=chain)
    profiles = [
        InvestorProfile("ann", "professional", 344, 100, "consortium"),
        InvestorProfile("bo", "retail", 702, 50, "ethereum"),
    ]
    onboarded = issuer.onboard(profiles, suite=suite)
    state = ledger.state
    for investor in onboarded:
        identity = state.identity(investor.client.holder)
        assert (identity["country"], identity["class"], identity["kyc"]) == (
            investor.profile.country,
            investor.profile.investor_class,
            True,
        )
        assert suite.identity_registry.call("isVerified", investor.wallet)
        assert suite.identity_registry.call("investorCountry", investor.wallet) == investor.profile.country
    assert sim.log.of_kind("agent.onboarded")[0].data["investors"] == 2

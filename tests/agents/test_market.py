"""The issuer's offer, holders of record, and the regulator, on the real consortium ledger and the real EVM."""

from __future__ import annotations

from pathlib import Path

import pytest

from rwasim.agents.holdings import holders_of_record
from rwasim.agents.market import open_note_market
from rwasim.engine import Simulation
from rwasim.products import load_term_sheet
from rwasim.runner import RunContext

TERMS = {
    "kind": "fixed_coupon",
    "id": "TEST-FCN",
    "issuer": "Test Broker Ltd",
    "currency": "HKD",
    "denomination": "1000.00",
    "notional": "200000.00",
    "issue_date": "2026-01-05",
    "strike_date": "2026-01-05",
    "maturity_date": "2026-07-06",
    "settlement_lag_days": 1,
    "underlying": "",
    "day_count": "ACT/365F",
    "coupon_rate": "0.05",
    "coupon_dates": ["2026-04-06", "2026-07-06"],
    "eligible_investor_classes": ["professional", "accredited"],
    "eligible_countries": [344, 702],
    "document_hash": "0x" + "11" * 32,
}


@pytest.fixture
def ctx(tmp_path: Path):
    context = RunContext(Simulation(seed=3), {}, "eth-tester", tmp_path)
    yield context
    context.close()


@pytest.fixture
def market(ctx):
    return open_note_market(ctx, load_term_sheet(TERMS), investors=10, custodian_clients=3, day_seconds=10.0)


def test_the_offer_refuses_the_ineligible_allocates_pro_rata_and_settles_dvp_on_both_chains(market):
    offer = market.offer()
    for investor in market.investors:
        eligible = market.eligible(investor.profile)
        assert (investor.name in offer.refused) != eligible
        if not eligible:
            assert offer.refused[investor.name].startswith("not eligible")
    demand = sum(units for _, units in offer.book)
    allocations = offer.allocate()
    assert sum(a.allocated for a in allocations) == min(demand, 200)
    result = offer.issue(allocations)
    assert result.failed == {}
    assert sum(result.delivered.values()) == sum(a.allocated for a in allocations)
    price = 100_000  # cents per unit
    by_chain = {"consortium": 0, "ethereum": 0}
    for a in allocations:
        by_chain[a.chain] += a.allocated * price
    assert result.cash_received == by_chain
    note, state = market.note, market.note.ledger.state
    for investor in market.investors:
        units = result.delivered.get(investor.name, 0)
        if investor.chain == "ethereum":
            assert note.wrapped.call("balanceOf", investor.wallet) == units
        else:
            assert state.balance_of(note.asset_id, investor.client.holder) == units
    assert state.total_supply(note.asset_id) == sum(result.delivered.values()), "unsold units were burned"
    assert market.bank.token.call("balanceOf", market.settlement.htlc.address) == 0, "every payment lock claimed"


def test_holders_of_record_count_units_in_flight_on_the_bridge_exactly_once(market):
    market.run_offer()
    note, bridge = market.note, market.note.bridge
    eth_investor = next(
        i for i in market.investors if i.chain == "ethereum" and note.wrapped.call("balanceOf", i.wallet) >= 2
    )
    consortium_investor = next(
        i
        for i in market.investors
        if i.chain == "consortium" and note.ledger.state.balance_of(note.asset_id, i.client.holder) >= 2
    )
    # one message each way, caught mid-flight: the burn mined (its release waits for Casper
    # finality), then the lock committed (its delivery waits for the next Ethereum slot)
    bridge.send_back(eth_investor.wallet, consortium_investor.client.holder, 1)
    note.chain.mine()
    lock = bridge.lock(consortium_investor.client, 2, eth_investor.wallet)
    note.ledger.settle(lock)
    snapshot = holders_of_record(note)
    assert snapshot.units_by_source()["in_flight"] == 3
    assert snapshot.total_units == note.units_issued() and snapshot.reconciles()
    owed = snapshot.by_holder()
    before_eth = note.wrapped.call("balanceOf", eth_investor.wallet)
    assert owed[("ethereum", eth_investor.wallet)] == before_eth + 2
    bridge.settle()
    after = holders_of_record(note)
    assert after.units_by_source().get("in_flight", 0) == 0 and after.by_holder() == owed


def test_the_regulator_looks_through_the_custodian_and_flags_a_transfer_that_compliance_should_have_stopped(market):
    market.run_offer()
    regulator, note = market.regulator, market.note
    owners = regulator.see_through(note.asset_id)
    assert any(name.startswith("custodian/") for name in owners)
    assert market.custodian.holder not in {k.split(":", 1)[-1] for k in owners}
    assert regulator.reconcile(note.asset_id).holds and regulator.review() == []
    # the issuer unbinds the investor-class module by mistake; a holder sells to a retail wallet
    chain, suite = note.chain, note.bridge.end.suite
    holder = next(i for i in market.investors if i.chain == "ethereum" and note.wrapped.call("balanceOf", i.wallet))
    retail = chain.new_account("retail-buyer")
    from rwasim.ethereum.suite import register_investor

    register_investor(chain, suite, retail, country=344, investor_class="retail")
    chain.transact(suite.compliance, "removeModule", suite.modules["investor_classes"].address, sender=suite.issuer)
    chain.transact(note.wrapped, "transfer", retail, 1, sender=holder.wallet)
    flags = regulator.review()
    assert [(f["chain"], f["to"]) for f in flags] == [("ethereum", retail)]
    assert "not eligible: retail" in flags[0]["problem"]
    assert market.ctx.alerts[-1]["name"] == "regulator_flagged_transfer"


def test_the_regulator_freezes_on_both_chains_and_halts_then_reopens_cross_border_movement(market):
    market.run_offer()
    regulator, note, bridge = market.regulator, market.note, market.note.bridge
    on_chain = next(
        i
        for i in market.investors
        if i.chain == "consortium" and note.ledger.state.balance_of(note.asset_id, i.client.holder)
    )
    on_eth = next(i for i in market.investors if i.chain == "ethereum" and note.wrapped.call("balanceOf", i.wallet))
    regulator.freeze(note.asset_id, on_chain.client.holder, chain="consortium", reason="court order")
    refused = on_chain.client.submit(
        "token.transfer", {"asset_id": note.asset_id, "to": market.issuer.client.holder, "amount": 1}
    )
    note.ledger.settle(refused)
    assert refused.reason.startswith("restricted (2)")
    regulator.freeze(note.asset_id, on_eth.wallet, chain="ethereum")
    assert note.wrapped.call("isFrozen", on_eth.wallet)
    regulator.halt_cross_border(note.asset_id, reason="policy shift")
    other = next(
        i
        for i in market.investors
        if i.chain == "consortium"
        and i is not on_chain
        and note.ledger.state.balance_of(note.asset_id, i.client.holder)
    )
    halted = bridge.lock(other.client, 1, on_eth.wallet)
    note.ledger.settle(halted)
    assert halted.reason == "lane 1 is halted"
    regulator.halt_cross_border(note.asset_id, halted=False)
    reopened = bridge.lock(other.client, 1, on_eth.wallet)
    note.ledger.settle(reopened)
    assert reopened.ok
    orders = [e.data["order"] for e in market.ctx.sim.log.of_kind("regulator.order")]
    assert orders == ["freeze", "freeze", "halt", "reopen"]


def test_an_unlicensed_broker_cannot_list_on_ethereum(ctx):
    from rwasim.agents import LicenceError, Licences, LicensedIssuer

    issuer = LicensedIssuer(
        ctx.sim,
        "Test Broker Ltd",
        Licences.hong_kong_broker(virtual_assets=False),
        ledger=ctx.consortium(),
        chain=ctx.ethereum,
    )
    note = issuer.register_note(load_term_sheet(TERMS))
    with pytest.raises(LicenceError, match="virtual-asset"):
        issuer.list_on_ethereum(note, bridge=None)


def test_an_investor_who_cannot_pay_gets_nothing_and_the_unsold_units_are_burned(market):
    note, bank = market.note, market.bank
    offer = market.offer()
    booked = {s.name for s, _ in offer.book}
    broke_here = next(i for i in market.investors if i.chain == "consortium" and i.name in booked)
    broke_there = next(i for i in market.investors if i.chain == "ethereum" and i.name in booked)
    cash = bank.balance("consortium", broke_here.client.holder)
    gone = broke_here.client.submit(
        "token.transfer", {"asset_id": bank.asset_id, "to": market.issuer.client.holder, "amount": cash}
    )
    note.ledger.settle(gone)
    assert gone.ok, gone.reason
    note.chain.transact(
        bank.token,
        "transfer",
        bank.eth_account,
        bank.balance("ethereum", broke_there.wallet),
        sender=broke_there.wallet,
    )
    allocations = offer.allocate()
    result = offer.issue(allocations)
    assert set(result.failed) == {broke_here.name, broke_there.name}
    assert result.failed[broke_here.name].startswith("restricted (4)")
    assert "payment not locked" in result.failed[broke_there.name]
    unpaid = sum(a.allocated for a in allocations if a.subscriber in result.failed)
    assert result.units_burned == unpaid
    assert note.units_issued() == sum(result.delivered.values())
    assert note.ledger.state.balance_of(note.asset_id, "dvp-escrow") == 0
    assert note.wrapped.call("balanceOf", broke_there.wallet) == 0
    assert market.regulator.reconcile(note.asset_id).holds


def test_the_calendar_maps_note_days_onto_simulated_time():
    import datetime as dt

    from rwasim.agents.lifecycle import NoteCalendar

    sim = Simulation(seed=0)
    calendar = NoteCalendar(sim, dt.date(2026, 1, 5), day_seconds=30.0)
    assert calendar.time_of(dt.date(2026, 1, 7)) == 60.0
    calendar.advance_to(dt.date(2026, 1, 8))
    assert sim.now == 90.0 and calendar.today() == dt.date(2026, 1, 8)
    calendar.advance_to(dt.date(2026, 1, 6))  # never backwards
    assert sim.now == 90.0
    with pytest.raises(ValueError):
        NoteCalendar(sim, dt.date(2026, 1, 5), day_seconds=0)


def test_a_fixed_income_note_redeems_on_demand_at_par_plus_accrued_interest_t_plus_0(ctx):
    import datetime as dt
    from decimal import Decimal

    terms = {k: v for k, v in TERMS.items() if k not in ("coupon_rate", "coupon_dates")}
    sheet = load_term_sheet(
        {
            **terms,
            "kind": "fixed_income_redeemable",
            "id": "TEST-FIR",
            "denomination": "100.00",
            "notional": "100000.00",
            "issue_date": "2026-01-01",
            "strike_date": "2026-01-01",
            "maturity_date": "2026-12-31",
            "settlement_lag_days": 0,
            "annual_rate": "0.0365",
        }
    )
    market = open_note_market(ctx, sheet, investors=8, bridged=False, day_seconds=10.0)
    issued = market.run_offer()
    investor = next(i for i in market.investors if issued.delivered.get(i.name, 0) >= 5)
    lifecycle = market.lifecycle(None)
    market.calendar.advance_to(dt.date(2026, 3, 2))  # 60 days: 100 * 3.65% * 60/365 = 0.60 accrued
    payment = lifecycle.redeem_on_demand(investor, 5)
    assert payment.per_unit == Decimal("100.60") and payment.paid_cents == {"consortium": 5 * 10_060}
    state = market.note.ledger.state
    assert state.balance_of("TEST-FIR", investor.client.holder) == issued.delivered[investor.name] - 5
    assert state.total_supply("TEST-FIR") == sum(issued.delivered.values()) - 5
    with pytest.raises(ValueError, match="cannot redeem"):
        lifecycle.redeem_on_demand(investor, 10**6)

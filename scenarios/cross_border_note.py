"""Cross-border note (flagship): a licensed HK broker issues a coupon note on a consortium chain and bridges it to Ethereum.

The broker (SFC types 1, 4, 9 and a virtual-asset licence) registers a one-year fixed
coupon note on the consortium ledger with its term-sheet and document hashes, onboards a
seeded investor population (KYC, class and country on both chains, some clients through a
custodian's omnibus account), and runs the offer: the book is allocated pro rata, consortium
investors pay and take delivery atomically by DvP, Ethereum investors lock their payment in
a hash time lock and receive the units over the bridge (a quorum-certificate light client
on Ethereum), the broker claiming the cash only once delivered. Investors trade on both
chains and move units across; quarterly coupons and the final redemption are paid to the
holders of record on both chains from one snapshot; the regulator looks through the
custodian, flags what should have been impossible and reconciles holders and supply.
"""

import datetime as dt

from rwasim.agents.market import open_note_market
from rwasim.params import Param, Rule
from rwasim.products import cash_flows, load_term_sheet, to_cents
from rwasim.topology import VERIFIERS
from rwasim.words import hkd, moved_across

PARAMS = {
    "investors": Param(24, min=4, max=200, help="investors drawn from the seed and onboarded on both chains"),
    "custodian_clients": Param(
        4, min=0, max=50, help="further investors holding through the custodian's omnibus account"
    ),
    "ethereum_share": Param(
        0.5, min=0.0, max=1.0, help="share of investors holding on Ethereum (the rest on the consortium)"
    ),
    "trades": Param(8, min=0, max=200, help="secondary trades in the trading round"),
    "moves": Param(3, min=0, max=50, help="units moved across the bridge by investors"),
    "day_seconds": Param(
        86_400.0,
        min=1.0,
        max=86_400.0,
        help="simulated seconds per note day: 86,400 is the real calendar; less compresses it (quick looks only)",
    ),
    "verifier": Param("quorum", choices=VERIFIERS, help="how the Ethereum gateway checks consortium messages"),
    "tenor_years": Param(
        1, min=1, max=30, help="years to maturity; the note keeps four coupons, spread evenly over its life"
    ),
    "holiday_calendar": Param(
        "HK", choices=("HK", "weekends"), help="business days of the note (HK's holidays are published to 2027)"
    ),
}
PARAM_RULES = [
    Rule(  # the Hong Kong holiday list rwasim carries ends in 2027
        "tenor_years == 1 or holiday_calendar == weekends",
        lambda p: p["tenor_years"] == 1 or p["holiday_calendar"] == "weekends",
    ),
]

TERM_SHEET = {
    "kind": "fixed_coupon",
    "id": "VSHK-FCN-2027",
    "issuer": "Victory Securities (HK) Ltd",
    "currency": "HKD",
    "denomination": "10000.00",
    "notional": "3000000.00",
    "issue_date": "2026-01-05",
    "strike_date": "2026-01-05",
    "maturity_date": "2027-01-05",
    "settlement_lag_days": 1,
    "underlying": "",
    "day_count": "ACT/365F",
    "coupon_rate": "0.055",
    "coupon_dates": ["2026-04-05", "2026-07-05", "2026-10-05", "2027-01-05"],  # rolled by the sheet's convention
    "eligible_investor_classes": ["professional"],
    "eligible_countries": [344, 702, 826],
    "document_hash": "0x" + "9e" * 32,
}


def _months_after(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + year, month=month + 1)


def term_sheet(tenor_years: int = 1, holiday_calendar: str = "HK") -> dict:
    """The note's term sheet for ``tenor_years``: four coupons at even intervals, the last at maturity."""
    issue = dt.date.fromisoformat(str(TERM_SHEET["issue_date"]))
    months = [round(12 * tenor_years * k / 4) for k in range(1, 5)]
    coupons = [_months_after(issue, m).isoformat() for m in months]
    return {**TERM_SHEET, "maturity_date": coupons[-1], "coupon_dates": coupons, "holiday_calendar": holiday_calendar}


def run(ctx):
    p = ctx.params
    sheet = load_term_sheet(term_sheet(p["tenor_years"], p["holiday_calendar"]))
    with ctx.phase("onboarding"):
        market = open_note_market(
            ctx,
            sheet,
            investors=p["investors"],
            ethereum_share=p["ethereum_share"],
            custodian_clients=p["custodian_clients"],
            verifier=p["verifier"],
            day_seconds=p["day_seconds"],
        )
        ctx.say(f"{market.issuer.name} registered {sheet.id}; {len(market.investors)} investors onboarded")
    with ctx.phase("issuance"):
        offer = market.offer()
        allocations = offer.allocate()
        issued = offer.issue(allocations)
        figures = issued.to_json()
        cash = ", ".join(f"{hkd(c)} on {chain}" for chain, c in figures["cash_received_cents"].items()) or "none"
        ctx.say(
            f"offer: {len(offer.book)} subscriptions, {len(offer.refused)} refused; "
            f"issued {figures['delivered_units']:,} units to {figures['investors']} investors, "
            f"{len(figures['failed'])} deliveries failed; cash received: {cash}"
        )
    with ctx.phase("trading"):
        trading = market.secondary_market()
        traded = trading.trade_round(p["trades"], name="q1")
        moved = trading.move_across(p["moves"])
        ctx.say(
            f"trading: {traded.settled} of {traded.attempted} trades settled; moved across the bridge: "
            + moved_across(moved.moved_to_consortium, moved.moved_to_ethereum)
        )
    flags = market.regulator.review()
    before = market.regulator.reconcile(sheet.id)
    with ctx.phase("coupons and redemption"):
        outcome = market.lifecycle(None).run()
    units = sum(issued.delivered.values())
    engine = sum(to_cents(f.total) for f in cash_flows(sheet, None, units=units))
    after = market.regulator.reconcile(sheet.id)
    ctx.say(f"paid {outcome.cash_paid_cents / 100:,.2f} HKD in {len(outcome.payments)} runs (engine {engine:,.2f})")

    ctx.extra["offer"] = {"subscriptions": len(offer.book), "refused": len(offer.refused), **issued.to_json()}
    ctx.extra["trading"] = {"round": traded.to_json(), "moves": moved.to_json()}
    ctx.extra["lifecycle"] = outcome.to_json()
    ctx.extra["regulator"] = {
        "flags": len(flags),
        "visibility": market.regulator.visibility(),
        "see_through_owners": before.figures["beneficial_owners"],
    }
    ctx.check("offer_delivered_every_paid_allocation", not issued.failed, str(issued.failed))
    ctx.check(
        "offer_refused_every_ineligible_subscriber",
        all(not sheet.admits(i.investor_class, i.country) for i in market.investors if i.name in offer.refused),
    )
    ctx.check(
        "payoff_cash_paid_matches_payoff_engine_to_the_cent",
        outcome.cash_paid_cents == int(engine * 100),
        f"paid {outcome.cash_paid_cents} cents, engine {engine}",
    )
    ctx.check(
        "reconciliation_holds_and_supply_across_chains",
        before.holds and after.holds and outcome.snapshots_reconciled,
        "; ".join(before.problems + after.problems),
    )
    ctx.check("regulator_found_no_transfer_that_should_have_been_impossible", not market.regulator.review())
    ctx.check("every_unit_retired_after_redemption", market.note.units_issued() == 0)
    ctx.check("bridge_units_conserved_across_chains", market.note.bridge.monitor.conserved())
    ctx.check("bridge_every_message_final", all(r.final for r in market.note.bridge.book.records.values()))

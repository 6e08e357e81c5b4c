"""Note lifecycle: two one-year autocallables, one knocked out early and one knocked in, paid on both chains.

A licensed broker issues two snowball notes on the Hang Seng index to the same kind of
investor population (half on the consortium, half on Ethereum, some through a custodian).
The first note's index rises through the knock-out barrier on the second quarterly
observation: it is redeemed early at par plus the coupon accrued to that date. The second
note's index falls through the knock-in barrier in June and ends below the strike: it pays
par times final/strike and no coupon. Every close is published on the consortium ledger,
and each redemption is paid to the holders of record on both chains from one snapshot.
Invariants: the cash paid matches the payoff engine to the cent, and the regulator's
reconciliation of holders and supply across chains holds before and after.
"""

import datetime as dt

from rwasim.agents.market import open_note_market
from rwasim.engine import derive_seed
from rwasim.params import Param
from rwasim.products import cash_flows, load_term_sheet, to_cents
from rwasim.products.shaped import shaped_path
from rwasim.words import or_else

PARAMS = {
    "investors": Param(16, min=4, max=2000, help="investors drawn from the seed for each note"),
    "custodian_clients": Param(
        4, min=0, max=50, help="further investors holding through the custodian's omnibus account"
    ),
    "ethereum_share": Param(
        0.5, min=0.0, max=1.0, help="share of investors holding on Ethereum (the rest on the consortium)"
    ),
    "day_seconds": Param(
        86_400.0,
        min=1.0,
        max=86_400.0,
        help="simulated seconds per note day: 86,400 is the real calendar; less compresses it (quick looks only)",
    ),
    "trades": Param(6, min=0, max=200, help="secondary trades in each note's trading round"),
    "notes": Param("both", choices=("both", "knock_out", "knock_in"), help="which autocallable notes to issue"),
    "notional": Param("5000000.00", min=10_000, max=10**10, help="HKD notional of each note (a decimal text)"),
}

D = dt.date
TERMS = {
    "kind": "autocallable",
    "issuer": "Victory Securities (HK) Ltd",
    "currency": "HKD",
    "denomination": "10000.00",
    "notional": "5000000.00",
    "issue_date": "2026-01-05",
    "strike_date": "2026-01-05",
    "maturity_date": "2027-01-05",
    "settlement_lag_days": 2,
    "underlying": "HSI",
    "initial_fixing": "20000",
    "day_count": "ACT/365F",
    "coupon_rate": "0.10",
    "knock_out_barrier": "1.03",
    "knock_in_barrier": "0.75",
    "strike": "1.00",
    "knock_out_dates": ["2026-04-06", "2026-07-06", "2026-10-05", "2027-01-05"],  # 6 April: 8 April (HK holidays)
    "eligible_investor_classes": ["professional", "accredited"],
    "eligible_countries": [344, 702, 826],
    "document_hash": "0x" + "3c" * 32,
}
STORIES = {  # anchor closes on HK business days: the knock-out note rises through 20,600 on 6 July; the other
    # falls through 15,000
    "HSN-KO-2027": {D(2026, 1, 5): 20000, D(2026, 4, 8): 20300, D(2026, 7, 6): 21100, D(2027, 1, 5): 21500},
    "HSN-KI-2027": {
        D(2026, 1, 5): 20000,
        D(2026, 4, 8): 19000,
        D(2026, 6, 15): 14600,
        D(2026, 10, 5): 16500,
        D(2027, 1, 5): 18000,
    },
}


def run(ctx):
    p = ctx.params
    chosen = {"both": list(STORIES), "knock_out": ["HSN-KO-2027"], "knock_in": ["HSN-KI-2027"]}.get(p["notes"])
    if chosen is None:
        raise ValueError(f"notes must be both, knock_out or knock_in, not {p['notes']!r}")
    stories = {note_id: STORIES[note_id] for note_id in chosen}
    markets = {}
    for lane, (note_id, _anchors) in enumerate(stories.items(), start=1):
        sheet = load_term_sheet({**TERMS, "id": note_id, "notional": p["notional"]})
        with ctx.phase(f"issue {note_id}"):
            market = open_note_market(
                ctx,
                sheet,
                investors=p["investors"],
                ethereum_share=p["ethereum_share"],
                custodian_clients=p["custodian_clients"],
                day_seconds=p["day_seconds"],
                lane=lane,
                name=note_id.lower(),
                alongside=next(iter(markets.values()), None),
            )
            issued = market.run_offer()
            ctx.say(f"{note_id}: {issued.to_json()['delivered_units']} units to {len(issued.delivered)} subscribers")
        markets[note_id] = market
    for note_id, market in markets.items():
        with ctx.phase(f"trade {note_id}"):
            market.secondary_market().trade_round(p["trades"], name=note_id)
        reconciled = market.regulator.reconcile(note_id)
        ctx.check(
            "reconciliation_holds_and_supply_across_chains_before_redemption",
            reconciled.holds,
            "; ".join(reconciled.problems),
        )

    for note_id, market in markets.items():
        sheet = market.note.term_sheet
        path = shaped_path(stories[note_id], seed=derive_seed(ctx.sim.seed, "HSI", note_id), calendar=sheet.calendar)
        units = market.note.units_issued()
        with ctx.phase(f"lifecycle {note_id}"):
            outcome = market.lifecycle(path).run()
        engine = sum(to_cents(f.total) for f in cash_flows(market.note.term_sheet, path, units=units))
        ctx.say(
            f"{note_id}: knock-in {or_else(outcome.knock_in, 'not reached')}, "
            f"knock-out {or_else(outcome.knock_out, 'not reached')}, "
            f"paid {outcome.cash_paid_cents / 100:,.2f} HKD for {units} units (engine {engine:,.2f})"
        )
        ctx.extra.setdefault("lifecycle", {})[note_id] = outcome.to_json()
        ctx.check(
            "payoff_cash_paid_matches_payoff_engine_to_the_cent",
            outcome.cash_paid_cents == int(engine * 100),
            f"{note_id}: paid {outcome.cash_paid_cents} cents, engine {engine}",
        )
        ctx.check("lifecycle_agent_and_payoff_engine_saw_the_same_barrier_events", outcome.engine_agreed)
        ctx.check("every_unit_retired_after_redemption", market.note.units_issued() == 0)
        reconciled = market.regulator.reconcile(note_id)
        ctx.check(
            "reconciliation_holds_and_supply_across_chains_after_redemption",
            reconciled.holds and outcome.snapshots_reconciled,
            "; ".join(reconciled.problems),
        )
    seen = ctx.extra["lifecycle"]
    if "HSN-KO-2027" in seen:
        ctx.check(
            "first_note_knocked_out_early_on_the_second_observation", seen["HSN-KO-2027"]["knock_out"] == "2026-07-06"
        )
    if "HSN-KI-2027" in seen:
        ctx.check(
            "second_note_knocked_in_and_was_never_knocked_out",
            seen["HSN-KI-2027"]["knock_in"] is not None and seen["HSN-KI-2027"]["knock_out"] is None,
        )
    ctx.check("bridge_units_conserved_across_chains", all(m.note.bridge.monitor.conserved() for m in markets.values()))

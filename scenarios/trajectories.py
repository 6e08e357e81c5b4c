"""Trajectories: three futures for the bridged model, a busy offshore hub, a club of a few institutions, or an ending.

Analysts give this "consortium + public chain + licensed institution" model three futures.
One broker runs a note for each on the same consortium ledger, each on its own bridge lane:

- ``offshore_hub``: a wide, mostly-Ethereum investor base in five markets; heavy trading on
  both chains and frequent movement across;
- ``club``: a handful of large professional institutions in Hong Kong, all on the
  consortium; little trading, nothing crosses;
- ``ending``: it starts like the hub, then a security incident (a verifier "upgrade" that
  skips the signer check, Wormhole-style) mints units from nothing; the monitor and the
  regulator's reconciliation catch it, the regulator halts cross-border movement for good and
  freezes the wallet that received the forged units.

Each future's outcome (reach, holders, volume, movement across, value at risk, time to
detection, whether the border is open) is in the report under ``trajectories``.
"""

from rwasim.agents.market import open_note_market
from rwasim.bridge.ledger_module import lane_halted
from rwasim.params import Param
from rwasim.products import load_term_sheet
from rwasim.words import yes_no

PARAMS = {
    "hub_investors": Param(24, min=12, max=200, help="investors of the offshore hub and of the ending futures"),
    "club_investors": Param(5, min=2, max=12, help="investors of the club future (Hong Kong professionals only)"),
    "trades": Param(10, min=3, max=200, help="secondary trades in the hub and ending futures (the club trades 2)"),
    "moves": Param(4, min=0, max=50, help="units moved across the bridge in the hub and ending futures"),
    "forged_units": Param(500, min=1, max=10**9, help="units the verifier bug mints in the ending future"),
}

BASE = {
    "kind": "fixed_coupon",
    "issuer": "Victory Securities (HK) Ltd",
    "currency": "HKD",
    "denomination": "10000.00",
    "issue_date": "2026-01-05",
    "strike_date": "2026-01-05",
    "maturity_date": "2027-01-05",
    "settlement_lag_days": 1,
    "underlying": "",
    "day_count": "ACT/365F",
    "coupon_rate": "0.05",
    "coupon_dates": ["2026-07-06", "2027-01-05"],
    "document_hash": "0x" + "7a" * 32,
}
FUTURES = {  # name: (term-sheet terms, population size key, share on Ethereum)
    "offshore_hub": (
        {
            "notional": "3000000.00",
            "eligible_investor_classes": ["professional", "accredited"],
            "eligible_countries": [344, 702, 156, 840, 826],
        },
        "hub_investors",
        0.7,
    ),
    "club": (
        {"notional": "3000000.00", "eligible_investor_classes": ["professional"], "eligible_countries": [344]},
        "club_investors",
        0.0,
    ),
    "ending": (
        {
            "notional": "3000000.00",
            "eligible_investor_classes": ["professional", "accredited"],
            "eligible_countries": [344, 702, 156, 840, 826],
        },
        "hub_investors",
        0.7,
    ),
}


def run(ctx):
    p = ctx.params
    outcomes, first = {}, None
    for lane, (future, (terms, size, on_ethereum)) in enumerate(FUTURES.items(), start=1):
        sheet = load_term_sheet({**BASE, **terms, "id": f"VS-{future.upper().replace('_', '-')}"})
        with ctx.phase(future):
            market = open_note_market(
                ctx, sheet, investors=p[size], ethereum_share=on_ethereum, lane=lane, name=future, alongside=first
            )
            first = first or market
            issued = market.run_offer()
            trading = market.secondary_market()
            traded = trading.trade_round(p["trades"] if future != "club" else 2, name=future)
            moved = trading.move_across(p["moves"], name=future) if on_ethereum else None
            incident = _incident(ctx, market, p["forged_units"]) if future == "ending" else {}
        bridge = market.note.bridge
        reconciled = market.regulator.reconcile(sheet.id)
        outcomes[future] = {
            "investors": len(market.investors),
            "reach": round(len(issued.delivered) / len(market.investors), 4),
            "holders": len(market.regulator.see_through(sheet.id)),
            "units_issued": sum(issued.delivered.values()),
            "units_on_ethereum": bridge.end.token.call("totalSupply"),
            "trades_settled": traded.settled,
            "units_moved_across": (moved.moved_to_consortium + moved.moved_to_ethereum) if moved else 0,
            "max_value_at_risk": bridge.monitor.max_value_at_risk,
            "border_open": not note_lane_halted(market),
            "reconciliation_holds": reconciled.holds,
            **incident,
        }
        ctx.say(f"{future}: {_in_words(outcomes[future])}")
    ctx.extra["trajectories"] = outcomes
    hub, club, end = outcomes["offshore_hub"], outcomes["club"], outcomes["ending"]
    ctx.check(
        "hub_reaches_more_investors_and_trades_more_than_the_club",
        hub["holders"] > club["holders"] and hub["trades_settled"] > club["trades_settled"],
    )
    ctx.check("club_stays_on_the_consortium", club["units_on_ethereum"] == 0 and club["units_moved_across"] == 0)
    ctx.check("hub_and_club_reconcile_across_chains", hub["reconciliation_holds"] and club["reconciliation_holds"])
    ctx.check(
        "ending_incident_detected_by_monitor_and_regulator",
        end["max_value_at_risk"] == p["forged_units"]
        and not end["reconciliation_holds"]
        and end["detected_after_s"] is not None,
    )
    ctx.check("ending_closes_the_border_and_freezes_the_forged_units", not end["border_open"] and end["frozen"])


def note_lane_halted(market) -> bool:
    return lane_halted(market.note.ledger.state, market.note.bridge.end.lane)


def _in_words(o: dict) -> str:
    """A future's outcome as a sentence for the narration (the report keeps the figures)."""
    text = (
        f"{o['investors']} investors, reach {o['reach']:.0%}, {o['holders']} holders; "
        f"{o['units_issued']:,} units issued, {o['units_on_ethereum']:,} on Ethereum; "
        f"{o['trades_settled']} trades settled, {o['units_moved_across']:,} units moved across; "
        f"most value at risk {o['max_value_at_risk']:,} units; border {yes_no(o['border_open'], 'open', 'closed')}, "
        f"reconciliation {yes_no(o['reconciliation_holds'], 'holds', 'fails')}"
    )
    if "detected_after_s" in o:
        after = o["detected_after_s"]
        text += "; incident not detected" if after is None else f"; incident detected after {after:,.1f} s"
    if "frozen" in o:
        text += f", receiving wallet {yes_no(o['frozen'], 'frozen', 'not frozen')}"
    return text


def _incident(ctx, market, units: int) -> dict:
    """A forged mint to a taken-over investor wallet, detection, and the regulator's response."""
    bridge, note = market.note.bridge, market.note
    holders = note.ethereum_holders()
    victim = next(i for i in market.investors if holders.get(i.wallet))  # an eligible holder's wallet, taken over
    started = ctx.sim.now
    bridge.faults.inject("verifier_bug", amount=units, receiver=victim.wallet)
    alerts = [a for a in bridge.monitor.alerts if a["name"] == "bridge_supply_mismatch"]
    detected = alerts[0]["time"] - started if alerts else None
    market.regulator.halt_cross_border(note.asset_id, reason="forged mint on the Ethereum side")
    market.regulator.freeze(note.asset_id, victim.wallet, chain="ethereum", reason="received forged units")
    return {"detected_after_s": detected, "frozen": note.wrapped.call("isFrozen", victim.wallet)}

"""Regulatory shift: the regulator halts cross-border movement of a bridged note mid-run, then reopens it.

A licensed broker's note is issued on the consortium and bridged to eligible Ethereum
investors. While investors move units across, a policy shift makes the regulator halt the
lane on both sides: new locks on the consortium are refused with the reason, burns on
Ethereum revert at the paused gateway, and deliveries already in flight wait at the gateway
(their units still counted once in the regulator's holders of record; the monitor flags them
as overdue). Trading within each
chain goes on. When the lane reopens, the waiting deliveries land and investors move again.
Invariants: nothing crossed while halted, no unit was lost, every message ends final, and the
regulator's reconciliation held before, during and after.
"""

from rwasim.agents.market import open_note_market
from rwasim.params import Param
from rwasim.products import load_term_sheet
from rwasim.words import counted, moved_across

PARAMS = {
    "investors": Param(24, min=16, max=200, help="investors drawn from the seed and onboarded on both chains"),
    "moves": Param(4, min=2, max=50, help="Ethereum holders who try to move units home (and move after reopening)"),
    "trades": Param(6, min=0, max=200, help="secondary trades while cross-border movement is halted"),
    "halt_for": Param(
        1800.0, min=600.0, max=86_400.0, help="seconds the lane stays halted (long enough for the overdue alert)"
    ),
}

TERM_SHEET = {
    "kind": "fixed_coupon",
    "id": "VSHK-FCN-2026B",
    "issuer": "Victory Securities (HK) Ltd",
    "currency": "HKD",
    "denomination": "10000.00",
    "notional": "2000000.00",
    "issue_date": "2026-01-05",
    "strike_date": "2026-01-05",
    "maturity_date": "2027-01-05",
    "settlement_lag_days": 1,
    "underlying": "",
    "day_count": "ACT/365F",
    "coupon_rate": "0.05",
    "coupon_dates": ["2026-07-06", "2027-01-05"],
    "eligible_investor_classes": ["professional"],
    "eligible_countries": [344, 702, 826],
    "document_hash": "0x" + "5d" * 32,
}


def run(ctx):
    p = ctx.params
    market = open_note_market(ctx, load_term_sheet(TERM_SHEET), investors=p["investors"])
    note, regulator, bridge = market.note, market.regulator, market.note.bridge
    with ctx.phase("issuance"):
        market.run_offer()
    before = regulator.reconcile(note.asset_id)
    holders = note.ethereum_holders()
    movers = [i for i in market.investors if holders.get(i.wallet, 0) >= 2][: p["moves"]]
    sender = next(
        (
            i
            for i in market.investors
            if i.chain == "consortium" and note.ledger.state.balance_of(note.asset_id, i.client.holder) >= 3
        ),
        None,
    )
    if len(movers) < 2 or sender is None:
        raise ValueError("the population must put units with two Ethereum investors and one consortium investor")

    with ctx.phase("halted"):
        in_flight = [bridge.lock(sender.client, 1, movers[0].wallet)]  # locked, not yet delivered
        note.ledger.settle(*in_flight)
        regulator.halt_cross_border(note.asset_id, reason="cross-border distribution suspended")
        refused_locks = [bridge.lock(sender.client, 1, movers[0].wallet) for _ in range(2)]
        note.ledger.settle(*refused_locks)
        burns = [
            note.chain.transact(bridge.end.gateway, "send", bridge.end.lane, i.wallet, 1, sender=i.wallet, check=False)
            for i in movers[1:]
        ]
        bridge.sync()  # a delivery mined in the block that carried the pause went ahead of it
        crossed_before = bridge.book.counts()
        market.secondary_market().trade_round(p["trades"], name="during-halt")
        ctx.sim.run(until=ctx.sim.now + p["halt_for"])
        during = regulator.reconcile(note.asset_id)
        crossed_during = bridge.book.counts()
        ctx.say(
            f"halted: {len(refused_locks)} locks refused, {len(burns)} burns reverted; bridge messages {counted(crossed_during)}"
        )

    with ctx.phase("reopened"):
        regulator.halt_cross_border(note.asset_id, halted=False, reason="policy reviewed")
        bridge.settle(timeout=4 * bridge.finality_bound("to_consortium"))
        moved = market.secondary_market().move_across(p["moves"], name="after-reopen")
        after = regulator.reconcile(note.asset_id)
        ctx.say(
            f"reopened: bridge messages {counted(bridge.book.counts())}; moved across the bridge: "
            + moved_across(moved.moved_to_consortium, moved.moved_to_ethereum)
        )

    ctx.extra["regulatory_shift"] = {
        "locks_refused": sum(not h.ok for h in refused_locks),
        "burns_reverted": sum(not r.status for r in burns),
        "book_during_halt": crossed_during,
        "book_after": bridge.book.counts(),
    }
    ctx.check(
        "halt_refused_every_new_lock_on_the_consortium_with_its_reason",
        len(refused_locks) == 2 and all(h.reason == f"lane {bridge.end.lane} is halted" for h in refused_locks),
    )
    ctx.check("halt_reverted_every_burn_at_the_paused_gateway", all(not r.status for r in burns))
    ctx.check(
        "nothing_crossed_while_halted", crossed_during == crossed_before and crossed_during.get("in_flight", 0) >= 1
    )
    ctx.check(
        "reconciliation_held_before_during_and_after_the_halt",
        before.holds and during.holds and after.holds,
        "; ".join(before.problems + during.problems + after.problems),
    )
    ctx.check("bridge_every_message_final_after_reopening", all(r.final for r in bridge.book.records.values()))
    ctx.check("bridge_units_conserved_across_chains", bridge.monitor.conserved())
    ctx.check("movement_resumed_after_reopening", moved.moved_to_consortium > 0)
    ctx.check(
        "monitor_flagged_the_held_delivery_as_overdue", any(a["name"] == "bridge_message_overdue" for a in ctx.alerts)
    )

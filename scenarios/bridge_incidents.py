"""Bridge incidents: the named faults of the bridge, one after another, and what the monitor saw.

A note bridged over a committee lane (5 of 9, the Ronin design) lives through: a relayer
that dies right after submitting (it resumes from its SQLite checkpoint; the resubmission is
refused on chain and costs only gas), a replayed message, a rate limit that runs dry, the
consortium below quorum (releases wait for a quorum of attestations), a reorg shallower than the
lane's finality, and finally the theft of five committee keys, which mints unbacked units:
the monitor raises an alert with the time of detection and the value at risk.
"""

from rwasim.ethereum.suite import register_investor
from rwasim.params import Param
from rwasim.words import counted, yes_no

PARAMS = {
    "stolen_keys": Param(5, min=0, max=9, help="committee keys of 9 the attacker steals (6 or more forge a mint)"),
    "theft": Param(50_000, min=1, max=10**12, help="units the attacker tries to mint with the stolen keys"),
    "confirmations": Param(
        6, min=1, max=64, help="Ethereum blocks the lane waits before a deposit is final (the reorg here is 1 deep)"
    ),
}

ASSET = "HKSN-2027-B"


def run(ctx):
    p = ctx.params
    ledger = ctx.consortium()
    issuer = ledger.org_client("issuer")
    ledger.settle(
        issuer.submit("asset.register", {"asset_id": ASSET, "term_sheet_hash": "0x" + "5b" * 32}),
        issuer.submit("identity.register", {"holder": issuer.holder, "country": 344, "investor_class": "professional"}),
        issuer.submit("token.mint", {"asset_id": ASSET, "to": issuer.holder, "amount": 1_000_000}),
    )
    bridge = ctx.bridge(
        ledger,
        asset_id=ASSET,
        verifier="committee",
        confirmations=p["confirmations"],
        token={"name": "Wrapped HKSN B", "symbol": "wHKSNB"},
    )
    chain, faults = ctx.ethereum, bridge.faults
    alice, mule = chain.new_account("alice"), chain.new_account("mule")
    for wallet in (alice, mule):
        register_investor(chain, bridge.end.suite, wallet, country=344, investor_class="professional")

    def step(title, *locks, back=0):
        if locks:
            ledger.settle(*locks)
        if back:
            bridge.send_back(alice, issuer.holder, back)
        bridge.settle(timeout=7200)
        ctx.say(f"{title}: bridge messages {counted(bridge.book.counts())}")

    with ctx.phase("incidents"):
        faults.inject("relayer_crash", stage="after_submit")
        handle = bridge.lock(issuer, 1_000, alice)
        ledger.settle(handle)
        ctx.sim.run(until=ctx.sim.now + 60)
        faults.inject("relayer_restart")
        step("relayer crashed after submitting, resumed from its checkpoint")
        contained = not faults.inject("replay")
        ctx.say(f"replayed message {yes_no(contained, 'refused', 'accepted')} on chain")
        faults.inject("rate_limit", capacity=500, refill=2)
        step("rate limit exhausted, then refilled", *[bridge.lock(issuer, 400, alice) for _ in range(2)])
        faults.inject("rate_limit", capacity=0, refill=0)
        faults.inject("consortium_below_quorum")
        bridge.send_back(alice, issuer.holder, 100)
        ctx.sim.run(until=ctx.sim.now + 300)
        faults.inject("consortium_restore")
        step("consortium below quorum: the release waited for a quorum (ceil(2n/3)) of attestations")
        faults.inject("arm_reorg")
        bridge.send_back(alice, issuer.holder, 10)
        ctx.sim.run(until=ctx.sim.now + chain.slot_seconds)
        faults.inject("reorg")
        step("reorg shallower than the lane's finality")
        before_theft = list(bridge.monitor.alerts)
        stolen = faults.inject("key_compromise", keys=p["stolen_keys"], amount=p["theft"], receiver=mule)
        ctx.say(f"{p['stolen_keys']} of 9 committee keys stolen: forged mint {'succeeded' if stolen else 'refused'}")

    records = list(bridge.book.records.values())
    alerts = [a for a in bridge.monitor.alerts if a not in before_theft]
    ctx.check("bridge_every_message_final", all(r.final for r in records))
    ctx.check("bridge_no_message_executed_twice", all(r.executions <= 1 for r in records))
    ctx.check("bridge_replay_refused", contained)
    ctx.check("bridge_contained_before_theft", not [a for a in before_theft if a["name"] != "bridge_message_overdue"])
    ctx.check(
        "bridge_theft_detected_with_value_at_risk",
        (not stolen) or any(a["name"] == "bridge_supply_mismatch" and a["value_at_risk"] == p["theft"] for a in alerts),
    )

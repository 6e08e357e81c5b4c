"""Consortium ledger under faults: a note registered and traded while validators crash, split and lie.

The issuer registers a note on a 4-validator QBFT ledger (SQLite per validator under the
run's folder), onboards investors and mints to them; investors then trade while the named
faults below strike on a schedule: the next proposer crashes, a validator dies in the middle
of writing a block, the network splits 3/1, a proposer equivocates, and for a while more
than f validators are offline (the ledger halts, then resumes). Invariants: no two blocks
at one height, every transfer final exactly once, supply conserved, all validators agree,
and the equivocation is on record.
"""

from rwasim.consortium.shapes import SHAPES
from rwasim.params import Param

PARAMS = {
    "validators": Param(4, min=4, max=16, help="QBFT validators (4 or more, so f >= 1 and the faults fit)"),
    "investors": Param(6, min=2, max=200, help="investors onboarded and trading (a transfer needs two)"),
    "rounds": Param(10, min=1, max=100, help="trading rounds, one every 12 simulated seconds, while faults strike"),
    "transfers_per_round": Param(6, min=1, max=50, help="transfers submitted in each round"),
    "latency": Param(0.02, min=0.0, max=1.0, help="one-way link latency between validators, seconds"),
    "jitter": Param(0.005, min=0.0, max=0.5, help="random extra link delay, seconds"),
    "shape": Param("mesh", choices=SHAPES, help="how the validators are linked"),
}

ASSET = "HKSN-2027-CONS"


def run(ctx):
    p = ctx.params
    ledger = ctx.consortium(n_validators=p["validators"], shape=p["shape"], latency=p["latency"], jitter=p["jitter"])
    issuer = ledger.org_client("issuer")

    with ctx.phase("onboarding"):
        register = issuer.submit(
            "asset.register",
            {
                "asset_id": ASSET,
                "term_sheet_hash": "0x" + "5a" * 32,
                "name": "HK Structured Note 2027",
                "rules": {"countries": [344, 702], "investor_classes": ["professional", "accredited"]},
            },
        )
        investors, joins = [], [register]
        for i in range(p["investors"]):
            client, handle = ledger.add_client(f"investor-{i}", "issuer")
            investors.append(client)
            joins.append(handle)
        ledger.settle(*joins)
        onboard = []
        for i, client in enumerate(investors):
            onboard.append(
                issuer.submit(
                    "identity.register",
                    {"holder": client.holder, "country": 344 if i % 2 else 702, "investor_class": "professional"},
                )
            )
            onboard.append(issuer.submit("token.mint", {"asset_id": ASSET, "to": client.holder, "amount": 10_000}))
        ledger.settle(*onboard)
        ctx.say(f"note {ASSET} registered, {len(investors)} investors onboarded and funded at height {ledger.height}")

    start = ctx.sim.now
    names = sorted(ledger.nodes)
    next_proposer = ledger.node_name(ledger.validator_set.proposer(ledger.height + 1, 0))
    faults = ledger.faults
    faults.schedule(start + 1, "crash", node=next_proposer)
    faults.schedule(start + 15, "restart", node=next_proposer)
    faults.schedule(start + 20, "crash_mid_write", node=names[1], stage="after_diff")
    faults.schedule(start + 30, "restart", node=names[1])
    faults.schedule(start + 35, "partition", groups=[names[:-1], names[-1:]])
    faults.schedule(start + 50, "heal")
    faults.schedule(start + 55, "equivocate", node=names[0])
    faults.schedule(start + 80, "equivocate", node=names[0], enabled=False)
    faults.schedule(start + 85, "offline", count=ledger.validator_set.f + 1)
    faults.schedule(start + 110, "restart", node=names[-1])
    for node in names[-(ledger.validator_set.f + 1) : -1]:
        faults.schedule(start + 112, "restart", node=node)

    handles = []
    rng = ctx.sim.rng.stream("scenario", "trades")
    with ctx.phase("trading"):
        for r in range(p["rounds"]):
            for _ in range(p["transfers_per_round"]):
                a, b = rng.sample(investors, 2)
                handles.append(
                    a.submit("token.transfer", {"asset_id": ASSET, "to": b.holder, "amount": rng.randint(1, 50)})
                )
            ctx.sim.run(until=start + (r + 1) * 12)
        ledger.settle(*handles, timeout=3600)
        ledger.catch_up(ledger.height, grace=60)
        ctx.say(
            f"{len(handles)} transfers decided by height {ledger.height} at t={ctx.sim.now:.0f}s "
            f"({len(ctx.sim.log.of_kind('consortium.round_change'))} round changes)"
        )

    state = ledger.state
    online = [n for n in ledger.nodes.values() if n.online]
    ctx.check("consortium_safety_no_conflicting_blocks", not ledger.monitor.violations)
    ctx.check("consortium_every_transfer_final", all(h.status in ("ok", "rejected") for h in handles))
    ctx.check("consortium_validators_agree", len({(n.height, n.state.state_root) for n in online}) == 1)
    ctx.check(
        "consortium_supply_conserved",
        sum(state.holders(ASSET).values()) == state.total_supply(ASSET) == 10_000 * len(investors),
    )
    equivocations_sent = len(ctx.sim.log.of_kind("consortium.equivocation_sent"))
    ctx.check("consortium_every_equivocation_detected", len(ledger.monitor.equivocations) >= equivocations_sent)
    ctx.check("consortium_nonces_match", all(state.nonce_of(c.address) == c.nonce for c in investors))
    for evidence in ledger.monitor.equivocations:
        ctx.alert(
            "consortium_equivocation",
            proposer=evidence["proposer"],
            height=evidence["height"],
            round=evidence["round"],
            detected_at=evidence["detected_at"],
            value_at_risk=0,
        )
    ctx.track_token("consortium", ASSET, lambda: ledger.state.holders(ASSET), lambda: ledger.state.total_supply(ASSET))

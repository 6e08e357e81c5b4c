"""Cross-chain transfer: a note registered on the consortium is bridged to eligible Ethereum investors and back.

The issuer registers the note and mints it on the consortium ledger, then locks units in
the bridge escrow for Ethereum investors: the eligible ones receive wrapped units (the
gateway checks the consortium's quorum certificate and the Merkle proof on chain), an
investor without a verified identity on Ethereum is refused with restriction code 5 and the
units go back to the issuer. Investors then send units home; one names a consortium account
with no identity, which the consortium refuses, and the units are refunded on Ethereum.
Invariants: every message final, units conserved across chains, nothing executed twice.
"""

from rwasim.ethereum.finality import FINALITY_CHOICES
from rwasim.ethereum.suite import register_investor
from rwasim.params import Param, Rule
from rwasim.topology import VERIFIERS
from rwasim.words import counted

PARAMS = {
    "investors": Param(4, min=2, max=100, help="eligible Ethereum investors the issuer bridges units to"),
    "units_each": Param(250, min=1, max=10_000, help="units bridged to each investor (and to the unverified wallet)"),
    "send_back": Param(40, min=1, max=10_000, help="units two investors send home (at most units_each)"),
    "verifier": Param("quorum", choices=VERIFIERS, help="how the Ethereum gateway checks consortium messages"),
    "finality": Param(
        "finalized", choices=FINALITY_CHOICES, help="what the lane waits for on Ethereum before releasing a burn"
    ),
    "batch_size": Param(10, min=1, max=100, help="messages a relayer carries in one transaction"),
}
PARAM_RULES = [
    Rule(
        "send_back <= units_each", lambda p: p["send_back"] <= p["units_each"]
    ),  # an investor sends home what it holds
    Rule(  # the issuer mints 1,000,000 units and bridges units_each to each investor and the unverified wallet
        "(investors + 1) * units_each <= 1000000", lambda p: (p["investors"] + 1) * p["units_each"] <= 1_000_000
    ),
]

ASSET = "HKSN-2027-X"


def run(ctx):
    p = ctx.params
    ledger = ctx.consortium()
    issuer = ledger.org_client("issuer")
    with ctx.phase("issuance"):
        handles = [
            issuer.submit(
                "asset.register",
                {
                    "asset_id": ASSET,
                    "term_sheet_hash": "0x" + "5a" * 32,
                    "name": "HK Structured Note 2027 (cross-chain)",
                },
            ),
            issuer.submit(
                "identity.register", {"holder": issuer.holder, "country": 344, "investor_class": "professional"}
            ),
            issuer.submit("token.mint", {"asset_id": ASSET, "to": issuer.holder, "amount": 1_000_000}),
        ]
        ledger.settle(*handles)
        bridge = ctx.bridge(
            ledger,
            asset_id=ASSET,
            verifier=p["verifier"],
            finality=p["finality"],
            batch_size=p["batch_size"],
            token={
                "name": "Wrapped HKSN 2027",
                "symbol": "wHKSN27",
                "modules": {"investor_classes": ["professional"], "countries": [344, 702]},
            },
        )
        chain = ctx.ethereum
        investors = [chain.new_account(f"investor-{i}") for i in range(p["investors"])]
        for i, wallet in enumerate(investors):
            register_investor(
                chain, bridge.end.suite, wallet, country=344 if i % 2 else 702, investor_class="professional"
            )
        unverified = chain.new_account("unverified")
        ctx.say(f"note {ASSET} minted on the consortium; gateway {bridge.end.gateway.address} on Ethereum")

    with ctx.phase("to_ethereum"):
        locks = [bridge.lock(issuer, p["units_each"], wallet) for wallet in investors]
        locks.append(bridge.lock(issuer, p["units_each"], unverified))
        ledger.settle(*locks)
        bridge.settle(timeout=7200)
        ctx.say(f"bridged to Ethereum: messages {counted(bridge.book.counts())}")

    home, stranger = investors[0], ledger.new_client_key("no-identity")
    with ctx.phase("to_consortium"):
        bridge.send_back(home, issuer.holder, p["send_back"])
        bridge.send_back(investors[1], "0x" + stranger.address.hex(), p["send_back"])
        bridge.settle(timeout=7200)
        ctx.say(f"back to the consortium: messages {counted(bridge.book.counts())}")

    token = bridge.end.token
    records = list(bridge.book.records.values())
    ctx.check("bridge_every_message_final", all(r.final for r in records))
    ctx.check("bridge_units_conserved_across_chains", bridge.monitor.conserved())
    ctx.check("bridge_no_message_executed_twice", all(r.executions <= 1 for r in records))
    ctx.check(
        "bridge_ineligible_receiver_refused_with_code_5",
        any(r.code == 5 and r.state == "refunded" for r in records if r.direction == "to_ethereum"),
    )
    ctx.check(
        "bridge_wrapped_supply_matches_escrow",
        token.call("totalSupply") == ledger.state.balance_of(ASSET, "bridge-escrow"),
    )
    ctx.track_token("consortium", ASSET, lambda: ledger.state.holders(ASSET), lambda: ledger.state.total_supply(ASSET))
    ctx.track_token(
        "ethereum",
        "wHKSN27",
        lambda: {w: token.call("balanceOf", w) for w in investors + [unverified]},
        lambda: token.call("totalSupply"),
    )

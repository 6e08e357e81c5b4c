"""Our vault next to rwasim's token suite: a note issued on the consortium, bridged to Ethereum, deposited in our vault.

The issuer registers and mints the note on the consortium ledger and opens a bridge lane
(our lane policy from ``bridge``); verified investors receive wrapped units on Ethereum and
deposit part of them in our WhitelistedVault, an investor the registry does not know is
refused by the vault, and our desk prices the coupon the vault's deposits earn
(``sim.pricing``). Invariants: units conserved across the bridge, the vault holds exactly
what was deposited, the stranger was refused.
"""

from rwasim.ethereum import TransactionReverted
from rwasim.ethereum.suite import register_investor, register_system_account

from bridge import lane_options
from sim.pricing import coupon_cents

PARAMS = {"investors": 3, "units_each": 40, "deposit_each": 25, "coupon_bps": 500, "days": 182}
ARTIFACTS = ["../build"]  # our compiled contracts, relative to this file; rwasim's own are searched after

ASSET = "TEAM-NOTE-2027"
HONG_KONG = 344
DENOMINATION_CENTS = 100_000


def run(ctx):
    p = ctx.params
    ledger = ctx.consortium(n_validators=4)
    issuer = ledger.org_client("issuer")
    total = p["investors"] * p["units_each"]
    with ctx.phase("issuance"):
        ledger.settle(
            issuer.submit("asset.register", {"asset_id": ASSET, "term_sheet_hash": "0x" + "7e" * 32}),
            issuer.submit(
                "identity.register", {"holder": issuer.holder, "country": HONG_KONG, "investor_class": "professional"}
            ),
            issuer.submit("token.mint", {"asset_id": ASSET, "to": issuer.holder, "amount": total}),
        )
        bridge = ctx.bridge(ledger, asset_id=ASSET, **lane_options())
        chain = ctx.ethereum
        suite = bridge.end.suite
        vault = chain.deploy("WhitelistedVault", suite.token.address)
        register_system_account(chain, suite, vault.address)
        investors = [chain.new_account(f"investor-{i}") for i in range(p["investors"])]
        for wallet in investors:
            register_investor(chain, suite, wallet, country=HONG_KONG, investor_class="professional")
        ctx.say(f"note {ASSET} on the consortium; our vault at {vault.address} on Ethereum")

    with ctx.phase("to_ethereum"):
        ledger.settle(*[bridge.lock(issuer, p["units_each"], wallet) for wallet in investors])
        bridge.settle()

    stranger = chain.new_account("stranger")
    with ctx.phase("deposits"):
        for wallet in investors:
            chain.transact(suite.token, "approve", vault.address, p["deposit_each"], sender=wallet)
            chain.transact(vault, "deposit", p["deposit_each"], sender=wallet)
        try:
            chain.transact(vault, "deposit", 1, sender=stranger)
            stranger_refused = False
        except TransactionReverted as exc:
            stranger_refused = exc.error == "NotVerified"
        ctx.say(f"{len(investors)} investors deposited {p['deposit_each']} units each")

    held = vault.call("totalDeposited")
    coupon = coupon_cents(held, DENOMINATION_CENTS, p["coupon_bps"], p["days"])
    ctx.extra["vault"] = {"deposited": held, "coupon_cents": coupon}
    holders = {wallet: suite.token.call("balanceOf", wallet) for wallet in [*investors, vault.address]}
    supply = suite.token.call("totalSupply")
    ctx.track_token("ethereum", "wrapped", lambda: holders, lambda: supply)
    ctx.check("bridge_units_conserved", bridge.monitor.conserved())
    ctx.check("vault_holds_what_was_deposited", holders[vault.address] == held == p["deposit_each"] * len(investors))
    ctx.check("unverified_depositor_refused", stranger_refused)
    each = [coupon_cents(vault.call("deposited", w), DENOMINATION_CENTS, p["coupon_bps"], p["days"]) for w in investors]
    ctx.check("vault_coupon_is_the_sum_of_its_depositors_within_rounding", 0 <= coupon - sum(each) < len(investors))

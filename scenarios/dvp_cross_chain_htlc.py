"""Cross-chain DvP by hash time locks: the note on the consortium against HKD cash on Ethereum.

The seller locks units on the consortium to the buyer under H = sha256(secret) with a long
timeout T1; the buyer reads that lock, checks T1 leaves it a margin after its own shorter
timeout T2, and locks cash on Ethereum to the seller under the same H; the seller claims the
cash, revealing the secret, and the buyer's watcher reads it from the Ethereum claim event
and claims the units. Five swaps: the seller claims at once; the seller claims one poll
before T2 (the buyer still has the margin); the seller goes silent (both refund after
expiry); the buyer walks away (the seller refunds); a seller asks for T1 shorter than the
buyer's T2 plus the margin, which would let it refund the units and then take the cash,
and the buyer declines. Both chains run on one clock; Ethereum mines when a party sends.
Invariants: each swap ends with both legs claimed or every lock refunded, nobody ends worse
off, every lock is final, units and cash are conserved.
"""

from rwasim.bridge.htlc import HTLCDesk, HTLCSwap, SwapTerms, Trader
from rwasim.ethereum.suite import deploy_cash_token
from rwasim.params import Param, Rule
from rwasim.words import or_else

PARAMS = {
    "units": Param(100, min=2, max=10**9, help="most units in one swap (each swap draws between half and all)"),
    "price_cents": Param(10_000, min=1, max=10**9, help="price of one unit in HKD cents"),
    "seller_timeout": Param(1800, min=60, max=43_200, help="T1: seconds until the seller may refund the units"),
    "buyer_timeout": Param(900, min=60, max=21_600, help="T2: seconds until the buyer may refund the cash"),
    "margin": Param(300, min=0, max=3_600, help="seconds the buyer needs between T2 and T1 to claim the units"),
    "poll": Param(12.0, min=1.0, max=600.0, help="seconds between the parties' looks at the other chain"),
}
PARAM_RULES = [
    Rule(  # the buyer locks cash only if T1 leaves it the margin after T2; it may look up to a poll late
        "seller_timeout >= buyer_timeout + margin + 2 * poll + 60",
        lambda p: p["seller_timeout"] >= p["buyer_timeout"] + p["margin"] + 2 * p["poll"] + 60,
    ),
    Rule("buyer_timeout >= 2 * poll", lambda p: p["buyer_timeout"] >= 2 * p["poll"]),  # a claim one poll before T2
]

NOTE = "HKSN-2027-HTLC"
# swap name -> (seller plan, buyer locks, seller asks for T1 before T2, expected outcome)
SWAPS = {
    "prompt": ("prompt", True, False, "swapped"),
    "last-moment": ("last_moment", True, False, "swapped"),
    "seller-silent": ("never", True, False, "unwound"),
    "buyer-walks-away": ("prompt", False, False, "unwound"),
    "unsafe-timeouts": ("cheat", True, True, "unwound"),
}


def run(ctx):
    p = ctx.params
    ledger, chain = ctx.consortium(), ctx.ethereum
    issuer, eth_bank = ledger.org_client("issuer"), chain.accounts[2]
    rng = ctx.sim.rng.stream("scenario", "htlc")
    with ctx.phase("setup"):
        seller, joined_s = ledger.add_client("seller", "issuer")
        buyer, joined_b = ledger.add_client("buyer", "issuer")
        handles = [
            joined_s,
            joined_b,
            issuer.submit(
                "asset.register",
                {
                    "asset_id": NOTE,
                    "term_sheet_hash": "0x" + "5a" * 32,
                    "rules": {"investor_classes": ["professional"]},
                },
            ),
        ]
        for client in (seller, buyer):
            handles.append(
                issuer.submit(
                    "identity.register", {"holder": client.holder, "country": 344, "investor_class": "professional"}
                )
            )
        handles.append(issuer.submit("token.mint", {"asset_id": NOTE, "to": seller.holder, "amount": 10 * p["units"]}))
        ledger.settle(*handles)
        cash, htlc = deploy_cash_token(chain, symbol="HKD", bank=eth_bank), chain.deploy("HashedTimelock")
        wallets = {"seller": chain.new_account("seller"), "buyer": chain.new_account("buyer")}
        chain.transact(cash, "batchSetAllowed", [*wallets.values(), htlc.address], True, sender=eth_bank)
        chain.transact(cash, "mint", wallets["buyer"], 10 * p["units"] * p["price_cents"], sender=eth_bank)
        ctx.check("htlc_setup_accepted", all(h.ok for h in handles))
    desk = HTLCDesk(ledger, chain, htlc, cash)
    sells, buys = Trader("seller", seller, wallets["seller"]), Trader("buyer", buyer, wallets["buyer"])
    supply = (ledger.state.total_supply(NOTE), cash.call("totalSupply"))

    swaps = {}
    for name, (plan, locks, short, _) in SWAPS.items():
        units = rng.randint(p["units"] // 2, p["units"])
        seller_timeout = p["buyer_timeout"] * 2 // 3 if short else p["seller_timeout"]
        terms = SwapTerms(NOTE, units, units * p["price_cents"], seller_timeout, p["buyer_timeout"])
        with ctx.phase(f"swap_{name}"):
            swap = swaps[name] = HTLCSwap(
                desk, name, sells, buys, terms, margin=p["margin"], poll=p["poll"], seller_plan=plan, buyer_locks=locks
            ).run()
        states = swap.lock_states()
        ctx.say(
            f"{name}: {swap.outcome.replace('_', ' ')} (units lock {or_else(states['units'], 'never made')}, "
            f"cash lock {or_else(states['cash'], 'never made')})"
            + (f"; buyer declined: {swap.record.refusal}" if swap.record.refusal else "")
        )

    locks = [s for swap in swaps.values() for s in swap.lock_states().values() if s is not None]
    ctx.check(
        "htlc_each_swap_both_claimed_or_all_refunded", all(s.outcome in ("swapped", "unwound") for s in swaps.values())
    )
    ctx.check("htlc_each_swap_ended_as_expected", all(swaps[n].outcome == SWAPS[n][3] for n in SWAPS))
    ctx.check("htlc_nobody_worse_off", all(s.nobody_worse_off() for s in swaps.values()))
    ctx.check(
        "htlc_every_lock_final",
        all(s in ("claimed", "refunded") for s in locks)
        and ledger.state.balance_of(NOTE, "htlc") == 0
        and cash.call("balanceOf", htlc.address) == 0,
    )
    ctx.check(
        "htlc_buyer_claimed_with_the_secret_revealed_on_ethereum",
        all(
            desk.units_lock(s.record.units_lock)["preimage"]
            == "0x" + desk.cash_lock(s.record.cash_lock)["preimage"].hex()
            for s in swaps.values()
            if s.outcome == "swapped"
        ),
    )
    ctx.check(
        "htlc_cash_locked_only_with_margin_before_the_units_expire",
        all(s.record.units_expiry >= s.record.cash_timelock + p["margin"] for s in swaps.values() if s.record.cash_lock)
        and swaps["unsafe-timeouts"].record.cash_lock is None,
    )
    ctx.check(
        "htlc_units_and_cash_conserved",
        supply
        == (ledger.state.total_supply(NOTE), cash.call("totalSupply"))
        == (sum(ledger.state.holders(NOTE).values()), sum(cash.call("balanceOf", w) for w in wallets.values())),
    )
    ctx.track_token("consortium", NOTE, lambda: ledger.state.holders(NOTE), lambda: ledger.state.total_supply(NOTE))
    ctx.track_token(
        "ethereum",
        "HKD",
        lambda: {w: cash.call("balanceOf", w) for w in [*wallets.values(), htlc.address]},
        lambda: cash.call("totalSupply"),
    )

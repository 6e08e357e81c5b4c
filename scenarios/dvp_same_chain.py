"""Delivery versus payment on one chain, on each chain: both legs settle together or neither moves.

On Ethereum, investors trade the note against a tokenized HKD deposit (``CashToken``, cents)
through ``DvPEscrow``; on the consortium, the same seeded trades go through ``dvp.propose`` and
``dvp.accept`` against the bank's ``HKD-DEPOSIT``. On each chain two trades must fail: a buyer
without enough cash (the settlement is refused, the trade is cancelled after its deadline) and
a retail buyer the note excludes (refused by compliance; cancelled). Invariants: every settled
trade moved both legs exactly, every failed one moved neither, units and cash are conserved.
"""

from rwasim.ethereum.suite import deploy_cash_token, deploy_token_suite, register_investor
from rwasim.params import Param, Rule
from rwasim.settlement import ConsortiumDvP, EthereumDvP

PARAMS = {
    "investors": Param(4, min=2, max=100, help="professional investors trading (a trade needs two)"),
    "trades": Param(6, min=0, max=200, help="seeded trades settled on each chain"),
    "units_each": Param(1_000, min=20, max=10**9, help="units of the note each investor starts with"),
    "cash_each": Param(5_000_000, min=200_000, max=10**12, help="HKD cents each investor starts with"),
    "max_units": Param(50, min=1, max=10**6, help="most units in one seeded trade"),
    "ttl": Param(600, min=60, max=86_400, help="seconds a proposed trade stays open"),
}
PARAM_RULES = [  # every seeded trade must be affordable even if one investor sells (or buys) them all
    Rule("trades * max_units <= units_each", lambda p: p["trades"] * p["max_units"] <= p["units_each"]),
    Rule(  # a unit is priced at most 10,500 cents
        "trades * max_units * 10500 <= cash_each", lambda p: p["trades"] * p["max_units"] * 10_500 <= p["cash_each"]
    ),
]

NOTE, CASH, RULES = "HKSN-2027-DVP", "HKD-DEPOSIT", {"investor_classes": ["professional"], "countries": [344, 702]}
PEOPLE = ["poor", "retail"]  # a professional with almost no cash, and a retail investor the note excludes


def run(ctx):
    p = ctx.params
    names = [f"investor-{i}" for i in range(p["investors"])] + PEOPLE
    cash_of = {n: p["cash_each"] for n in names} | {"poor": 1_000}
    rng = ctx.sim.rng.stream("scenario", "dvp")
    book = []  # the same seeded trades on both chains: (seller, buyer, units, cents)
    for _ in range(p["trades"]):
        seller, buyer = rng.sample(names[:-2], 2)
        units = rng.randint(1, p["max_units"])
        book.append((seller, buyer, units, units * rng.randint(9_500, 10_500)))
    failing = [("investor-0", "poor", 10, 100_000), ("investor-1", "retail", 10, 100_000)]

    chain, ledger = ctx.ethereum, ctx.consortium()
    issuer, bank, eth_bank = ledger.org_client("issuer"), ledger.org_client("bank"), chain.accounts[2]
    with ctx.phase("setup"):
        suite = deploy_token_suite(
            chain, name="HK Structured Note 2027", symbol="HKSN27", issuer=chain.accounts[0], modules=RULES
        )
        cash = deploy_cash_token(chain, symbol="HKD", bank=eth_bank)
        escrow = chain.deploy("DvPEscrow")
        wallet = {n: chain.new_account(n) for n in names}
        for i, n in enumerate(names):
            register_investor(
                chain,
                suite,
                wallet[n],
                country=344 if i % 2 else 702,
                investor_class="retail" if n == "retail" else "professional",
            )
        chain.transact(
            suite.token,
            "batchMint",
            [wallet[n] for n in names[:-1]],
            [p["units_each"]] * (len(names) - 1),
            sender=chain.accounts[0],
        )
        chain.transact(cash, "batchSetAllowed", list(wallet.values()), True, sender=eth_bank)
        for n in names:
            chain.transact(cash, "mint", wallet[n], cash_of[n], sender=eth_bank)
        handles = [
            issuer.submit("asset.register", {"asset_id": NOTE, "term_sheet_hash": "0x" + "5a" * 32, "rules": RULES}),
            bank.submit(
                "asset.register",
                {"asset_id": CASH, "term_sheet_hash": "0x" + "00" * 32, "trusted_claim_issuers": ["bank", "issuer"]},
            ),
        ]
        client = {}
        for n in names:
            client[n], joined = ledger.add_client(n, "issuer")
            handles.append(joined)
        for i, n in enumerate(names):
            handles.append(
                issuer.submit(
                    "identity.register",
                    {
                        "holder": client[n].holder,
                        "country": 344 if i % 2 else 702,
                        "investor_class": "retail" if n == "retail" else "professional",
                    },
                )
            )
            handles.append(bank.submit("token.mint", {"asset_id": CASH, "to": client[n].holder, "amount": cash_of[n]}))
            if n != "retail":
                handles.append(
                    issuer.submit("token.mint", {"asset_id": NOTE, "to": client[n].holder, "amount": p["units_each"]})
                )
        ledger.settle(*handles)
        ctx.check("dvp_setup_accepted", all(h.ok for h in handles), str([h.reason for h in handles if not h.ok]))

    desks = {
        "ethereum": (EthereumDvP(chain, escrow, suite.token, cash), wallet),
        "consortium": (ConsortiumDvP(ledger, NOTE, CASH), client),
    }
    supply = {
        "ethereum": (suite.token.call("totalSupply"), cash.call("totalSupply")),
        "consortium": (ledger.state.total_supply(NOTE), ledger.state.total_supply(CASH)),
    }
    for name, (desk, party) in desks.items():
        with ctx.phase(f"{name}_dvp"):
            for seller, buyer, units, cents in book:
                desk.settle(desk.propose(party[seller], party[buyer], units, cents, ttl=p["ttl"]))
            refused = [desk.propose(party[s], party[b], u, c, ttl=p["ttl"]) for s, b, u, c in failing]
            for (_, buyer, _, _), trade in zip(failing, refused):
                if not desk.settle(trade):
                    ctx.say(f"{name}: settlement to {buyer} refused: {trade.failures[-1]}")
            desk.wait_past(max(t.deadline for t in refused))  # after the deadline either party may end them
            desk.cancel(refused[0], by=refused[0].buyer)
            desk.cancel(refused[1], by=refused[1].seller)
            ctx.say(f"{name}: {len(book)} trades settled, {sum(t.state == 'cancelled' for t in refused)} cancelled")
        settled = [t for t in desk.trades if t.state == "settled"]
        failed = [t for t in desk.trades if t.state != "settled"]
        ctx.check(f"dvp_{name}_seeded_trades_all_settled", len(settled) == len(book) and failed == refused)
        ctx.check(f"dvp_{name}_settled_trades_moved_both_legs", all(t.moved_both_legs() for t in settled))
        ctx.check(
            f"dvp_{name}_failed_trades_moved_neither_leg",
            all(t.moved_neither_leg() and t.failures_moved_nothing and t.state == "cancelled" for t in failed),
        )
        ctx.check(
            f"dvp_{name}_failures_refused_for_the_expected_reason",
            ("InsufficientBalance" in refused[0].failures[0] or "restricted (4)" in refused[0].failures[0])
            and "InvestorClassModule" in refused[1].failures[0],
        )

    everyone = [wallet[n] for n in names]
    held = {
        "ethereum": (
            sum(suite.token.call("balanceOf", w) for w in everyone),
            sum(cash.call("balanceOf", w) for w in everyone),
        ),
        "consortium": (sum(ledger.state.holders(NOTE).values()), sum(ledger.state.holders(CASH).values())),
    }
    for name in desks:
        ctx.check(f"dvp_{name}_units_and_cash_conserved", held[name] == supply[name])
    ctx.check("dvp_consortium_escrow_empty", ledger.state.balance_of(NOTE, "dvp-escrow") == 0)
    ctx.track_token(
        "ethereum",
        "HKSN27",
        lambda: {w: suite.token.call("balanceOf", w) for w in everyone},
        lambda: suite.token.call("totalSupply"),
    )
    ctx.track_token(
        "ethereum", "HKD", lambda: {w: cash.call("balanceOf", w) for w in everyone}, lambda: cash.call("totalSupply")
    )
    ctx.track_token("consortium", NOTE, lambda: ledger.state.holders(NOTE), lambda: ledger.state.total_supply(NOTE))
    ctx.track_token("consortium", CASH, lambda: ledger.state.holders(CASH), lambda: ledger.state.total_supply(CASH))

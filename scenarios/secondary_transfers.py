"""Secondary trading of a note on both chains: seeded trades, the refusals the rules require, enforcement.

The same investors hold the note on the consortium ledger (``token.transfer``) and on
Ethereum (the ERC-3643-style ``SecurityToken``), under the same rules: professional investors
of Hong Kong and Singapore, at most N holders, a lock-up after issuance. Investors first try
to trade during the lock-up, then trade seeded random pairs and amounts; among them the
trades that must fail (to a retail investor, to a wallet without identity, to or from a
wallet the regulator froze, beyond the balance, to a newcomer past the holder cap) are
refused on both chains with the same restriction code and reason. Then the issuer forces a
transfer out of the frozen wallet (a court order) on both chains and recovers a lost wallet
on Ethereum. Invariants: every outcome is what the rules say, identical on both chains;
refused transfers moved nothing; trading left supply unchanged; balances sum to supply.
"""

from rwasim.ethereum.suite import deploy_token_suite, register_investor
from rwasim.params import Param, Rule
from rwasim.settlement import consortium_transfer, ethereum_transfer


def _refusal(refusal: tuple[int, str] | None) -> str:
    """A refusal ``(code, reason)`` as ``code 6 (compliance: MaxHoldersModule)``."""
    return "not refused" if refusal is None else f"code {refusal[0]} ({refusal[1]})"


PARAMS = {
    "investors": Param(5, min=2, max=100, help="professional investors trading (a trade needs two)"),
    "units_each": Param(1_000, min=100, max=10**9, help="units each investor starts with"),
    "trades": Param(18, min=0, max=200, help="seeded trades attempted on both chains"),
    "max_amount": Param(50, min=1, max=10**6, help="most units in one seeded trade"),
    "lockup_seconds": Param(
        600, min=64, max=86_400, help="seconds after issuance during which no transfer may settle (outlasts the setup)"
    ),
}
PARAM_RULES = [  # each setup transaction mines an Ethereum block a second later: the lock-up must outlast them
    Rule("lockup_seconds >= 60 + 2 * investors", lambda p: p["lockup_seconds"] >= 60 + 2 * p["investors"]),
]

NOTE = "HKSN-2027-SEC"
EXPECTED = {
    "ok": (0, "ok"),
    "to_retail": (6, "compliance: InvestorClassModule"),
    "to_unverified": (5, "receiver identity is not verified"),
    "to_frozen": (3, "receiver wallet is frozen"),
    "from_frozen": (2, "sender wallet is frozen"),
    "overdraft": (4, "insufficient unfrozen balance"),
    "to_newcomer": (6, "compliance: MaxHoldersModule"),
}
OTHERS = {"retail": "retail", "unverified": None, "newcomer": "professional"}  # name -> class (None: no identity)
RECEIVER = {"to_retail": "retail", "to_unverified": "unverified", "to_frozen": "frozen", "to_newcomer": "newcomer"}


def run(ctx):
    p = ctx.params
    traders = [f"investor-{i}" for i in range(p["investors"])]
    holders, names = traders + ["frozen"], traders + ["frozen", *OTHERS]
    klass = {n: OTHERS.get(n, "professional") for n in names}
    rules = {
        "countries": [344, 702],
        "investor_classes": ["professional", "accredited"],
        "max_holders": len(holders),
        "locked_until": ctx.sim.timestamp() + p["lockup_seconds"],
    }
    ledger, chain = ctx.consortium(), ctx.ethereum
    issuer, regulator = ledger.org_client("issuer"), ledger.org_client("regulator")
    eth_issuer, eth_regulator = chain.accounts[0], chain.accounts[4]
    with ctx.phase("setup"):
        suite = deploy_token_suite(
            chain,
            name="HK Structured Note 2027",
            symbol="HKSN27",
            issuer=eth_issuer,
            agents=[eth_regulator],
            modules=rules,
        )
        token, wallet, client = suite.token, {n: chain.new_account(n) for n in names}, {}
        handles = [
            issuer.submit("asset.register", {"asset_id": NOTE, "term_sheet_hash": "0x" + "5a" * 32, "rules": rules})
        ]
        for i, n in enumerate(names):
            client[n], joined = ledger.add_client(n, "issuer")
            handles.append(joined)
            if klass[n]:  # the same identity on both chains
                register_investor(chain, suite, wallet[n], country=(702, 344)[i % 2], investor_class=klass[n])
                handles.append(
                    issuer.submit(
                        "identity.register",
                        {"holder": client[n].holder, "country": (702, 344)[i % 2], "investor_class": klass[n]},
                    )
                )
        handles += [
            issuer.submit("token.mint", {"asset_id": NOTE, "to": client[n].holder, "amount": p["units_each"]})
            for n in holders
        ]
        handles.append(
            regulator.submit("token.freeze", {"asset_id": NOTE, "holder": client["frozen"].holder, "frozen": True})
        )
        ledger.settle(*handles)
        chain.transact(
            token, "batchMint", [wallet[n] for n in holders], [p["units_each"]] * len(holders), sender=eth_issuer
        )
        chain.transact(token, "setAddressFrozen", wallet["frozen"], True, sender=eth_regulator)
        ctx.check("secondary_setup_accepted", all(h.ok for h in handles))
    balance = {
        "consortium": lambda n: ledger.state.balance_of(NOTE, client[n].holder),
        "ethereum": lambda n: token.call("balanceOf", wallet[n]),
    }
    supply = {"consortium": lambda: ledger.state.total_supply(NOTE), "ethereum": lambda: token.call("totalSupply")}
    issued = {c: supply[c]() for c in supply}

    def attempt(sender, receiver, amount):
        return {
            "consortium": consortium_transfer(ledger, NOTE, client[sender], client[receiver].holder, amount),
            "ethereum": ethereum_transfer(chain, token, wallet[sender], wallet[receiver], amount),
        }

    with ctx.phase("lockup"):
        early = attempt(traders[0], traders[1], 10)
        ctx.sim.run(until=rules["locked_until"] - ctx.sim.epoch + 1)
    ctx.check(
        "secondary_lockup_refused_early_transfers",
        all(o.refusal == (6, "compliance: LockUpModule") and o.exact for o in early.values()),
    )

    rng = ctx.sim.rng.stream("scenario", "secondary")
    kinds = [k for k in EXPECTED if k != "ok"]  # each refusal once, then seeded draws (two thirds good trades)
    kinds += [rng.choice(["ok"] * 2 * len(kinds) + kinds) for _ in range(max(0, p["trades"] - len(kinds)))]
    rng.shuffle(kinds)
    results = []
    with ctx.phase("trading"):
        for kind in kinds:
            sender, receiver = rng.sample(traders, 2)
            sender = "frozen" if kind == "from_frozen" else sender
            receiver = RECEIVER.get(kind, receiver)
            own = balance["consortium"](sender)
            amount = own + 1 if kind == "overdraft" else rng.randint(1, max(1, min(p["max_amount"], own - 1)))
            results.append((kind, attempt(sender, receiver, amount)))
            said = {c: o.refusal for c, o in results[-1][1].items()}
            if kind != "ok":
                same = said["ethereum"] == said["consortium"]
                why = (
                    _refusal(said["ethereum"])
                    if same
                    else "; ".join(f"on {chain} {_refusal(r)}" for chain, r in said.items())
                )
                ctx.say(f"{sender} -> {receiver} {amount} units: refused, {why}")
    outcomes = [(kind, o) for kind, pair in results for o in pair.values()]
    ctx.check(
        "secondary_every_outcome_as_the_rules_say_on_both_chains", all(o.refusal == EXPECTED[k] for k, o in outcomes)
    )
    ctx.check("secondary_refused_transfers_left_balances_untouched", all(o.exact for k, o in outcomes if k != "ok"))
    ctx.check("secondary_accepted_transfers_moved_exactly_their_amount", all(o.exact for k, o in outcomes if k == "ok"))
    ctx.check(
        "secondary_chains_hold_the_same_balances",
        all(balance["consortium"](n) == balance["ethereum"](n) for n in names),
    )
    for c in supply:
        ctx.check(f"secondary_supply_unchanged_by_trading_{c}", supply[c]() == issued[c])

    with ctx.phase("enforcement"):
        seized = p["units_each"] // 2  # a court order: the issuer moves units out of the frozen wallet
        forced = issuer.submit(
            "token.forced_transfer",
            {"asset_id": NOTE, "from": client["frozen"].holder, "to": client[traders[0]].holder, "amount": seized},
        )
        ledger.settle(forced)
        receipt = chain.transact(
            token, "forcedTransfer", wallet["frozen"], wallet[traders[0]], seized, sender=eth_issuer
        )
        ctx.check(
            "secondary_issuer_forced_units_out_of_the_frozen_wallet",
            forced.ok
            and receipt.status
            and balance["consortium"]("frozen") == balance["ethereum"]("frozen") == p["units_each"] - seized,
        )
        lost, kept = wallet[traders[1]], balance["ethereum"](traders[1])  # investor-1 lost its key
        wallet[traders[1]] = chain.new_account(f"{traders[1]}-new")
        register_investor(chain, suite, wallet[traders[1]], country=344, investor_class="professional")
        chain.transact(token, "recoveryAddress", lost, wallet[traders[1]], sender=eth_issuer)
        ctx.say(f"issuer recovered {kept} units from lost wallet {lost} to {wallet[traders[1]]}")
        ctx.check(
            "secondary_recovery_moved_the_whole_balance_to_the_new_wallet",
            token.call("balanceOf", lost) == 0 and balance["ethereum"](traders[1]) == kept > 0,
        )

    every_wallet = [*wallet.values(), lost]
    ctx.check(
        "secondary_sum_of_balances_equals_supply_consortium",
        sum(ledger.state.holders(NOTE).values()) == supply["consortium"]() == issued["consortium"],
    )
    ctx.check(
        "secondary_sum_of_balances_equals_supply_ethereum",
        sum(token.call("balanceOf", w) for w in every_wallet) == supply["ethereum"]() == issued["ethereum"],
    )
    ctx.track_token("consortium", NOTE, lambda: ledger.state.holders(NOTE), supply["consortium"])
    ctx.track_token(
        "ethereum", "HKSN27", lambda: {w: token.call("balanceOf", w) for w in every_wallet}, supply["ethereum"]
    )

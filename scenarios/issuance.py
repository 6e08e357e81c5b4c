"""Issuance on Ethereum: a licensed issuer onboards investors and mints a note to the eligible ones.

The issuer deploys an ERC-3643-style token with its identity registry and compliance,
registers investors (some professional, one retail that the product excludes), mints to
each by batchMint, and shows that the ineligible investor is refused with its restriction
code while supply equals the sum of balances.
"""

from rwasim.ethereum import TransactionReverted
from rwasim.ethereum.suite import deploy_token_suite, register_investor
from rwasim.params import Param

PARAMS = {
    "investors": Param(
        5, min=1, max=100, help="professional investors onboarded and minted to on Ethereum (one batch mint)"
    ),
    "units_each": Param(100, min=1, max=10**12, help="units of the note minted to each professional investor"),
    "retail_investors": Param(1, min=0, max=50, help="retail investors whose transfer the class rule must refuse"),
}

HONG_KONG, SINGAPORE = 344, 702


def run(ctx):
    chain = ctx.ethereum
    issuer = chain.accounts[0]
    p = ctx.params

    with ctx.phase("setup"):
        suite = deploy_token_suite(
            chain,
            name="HK Structured Note 2027",
            symbol="HKSN27",
            issuer=issuer,
            agents=[issuer],
            modules={"investor_classes": ["professional"]},
        )
        ctx.say(f"issuer {issuer} deployed {suite.token.name} at {suite.token.address}")

    investors = [chain.new_account(f"investor-{i}") for i in range(p["investors"])]
    retail = [chain.new_account(f"retail-{i}") for i in range(p["retail_investors"])]
    with ctx.phase("onboarding"):
        for i, wallet in enumerate(investors):
            register_investor(
                chain, suite, wallet, country=HONG_KONG if i % 2 == 0 else SINGAPORE, investor_class="professional"
            )
        for wallet in retail:
            register_investor(chain, suite, wallet, country=HONG_KONG, investor_class="retail")
        ctx.say(f"onboarded {len(investors)} professional and {len(retail)} retail investors")

    with ctx.phase("issuance"):
        chain.transact(suite.token, "batchMint", investors, [p["units_each"]] * len(investors), sender=issuer)
        ctx.say(f"minted {p['units_each']} units to each of {len(investors)} eligible investors")
        refused = 0
        for wallet in retail:
            code, message = suite.token.call("canTransfer", investors[0], wallet, 1)
            try:
                chain.transact(suite.token, "transfer", wallet, 1, sender=investors[0])
            except TransactionReverted as exc:
                refused += 1
                ctx.say(f"transfer to retail {wallet} refused: code {code} ({message}); revert {exc.error}")

    ctx.sim.run(until=ctx.sim.now + 2 * chain.slot_seconds)
    holders = {w: suite.token.call("balanceOf", w) for w in investors + retail}
    supply = suite.token.call("totalSupply")
    ctx.track_token("ethereum", "HKSN27", lambda: holders, lambda: supply)
    ctx.check("supply_equals_sum_of_balances", supply == sum(holders.values()))
    ctx.check("ineligible_investors_refused", refused == len(retail))
    ctx.check("eligible_investors_hold_units", all(holders[w] == p["units_each"] for w in investors))

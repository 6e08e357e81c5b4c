"""Token transfers per second through rwasim's chain interface against raw eth-tester.

Both paths run in this process on the same deployed SecurityToken (identity registry and
compliance included), with the same pre-built calldata shape and explicit gas, so the ratio
is the interface's own overhead. Raw eth-tester is measured two ways: auto-mining every
transaction (its usual mode) and mining blocks of the same size as the interface's blocks;
the ratio is taken against the faster of the two. Also prints gas per transfer, per
batchMint of 100 and per forcedTransfer.

Run: ``.venv/bin/python benchmarks/ethereum_transfers.py [--transfers N] [--block-size B]``
"""

from __future__ import annotations

import argparse
import statistics
import time

from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain
from rwasim.ethereum.suite import deploy_token_suite, register_investor

GAS = 300_000
GAS_PRICE = 10**11


def build_market(seed: int = 0, backend: str = "eth-tester", wallets: int = 102):
    """A deployed SecurityToken with ``wallets`` registered investors, the first two holding 10^9 units.

    eth-tester by default: the raw path below drives eth-tester itself, so the interface is
    measured on the same engine (revm is the chain's default backend).
    """
    chain = EthereumChain(Simulation(seed=seed), backend)
    issuer = chain.accounts[0]
    suite = deploy_token_suite(
        chain,
        name="Bench Note",
        symbol="BENCH",
        issuer=issuer,
        modules={"countries": [344, 702], "investor_classes": ["professional"]},
    )
    holders = [chain.new_account(f"bench-{i}") for i in range(wallets)]
    for wallet in holders:
        register_investor(chain, suite, wallet, country=344, investor_class="professional")
    for wallet in holders[:2]:
        chain.transact(suite.token, "mint", wallet, 10**9, sender=issuer)
    return chain, suite, holders


def through_interface(chain, suite, sender, receiver, n: int, block_size: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        chain.send(suite.token, "transfer", receiver, 1, sender=sender, gas=GAS)
        if (i + 1) % block_size == 0:
            chain.mine()
    chain.mine()
    elapsed = time.perf_counter() - start
    assert all(r.status for r in chain.receipts[-n:]), "a benchmark transfer failed"
    return n / elapsed


def through_raw_eth_tester(chain, suite, sender, receiver, n: int, block_size: int | None) -> float:
    """EthereumTester.send_transaction directly; block_size None = auto-mine each transaction.

    Runs on a market of its own: eth-tester stamps these blocks itself, off rwasim's slot grid,
    so the chain interface must not mine after them.
    """
    tester = chain.backend._tester
    account = chain._accounts[sender]
    if sender not in tester.get_accounts():
        tester.add_account("0x" + account.private_key.hex())
    data = "0x" + suite.token.abi.function("transfer", 2).encode((receiver, 1)).hex()
    tx = {"from": sender, "to": suite.token.address, "data": data, "gas": GAS, "gas_price": GAS_PRICE, "value": 0}
    if block_size is None:
        tester.enable_auto_mine_transactions()
    start = time.perf_counter()
    hashes = []
    for i in range(n):
        hashes.append(tester.send_transaction(tx))
        if block_size is not None and (i + 1) % block_size == 0:
            tester.mine_blocks()
    if block_size is not None:
        tester.mine_blocks()
    elapsed = time.perf_counter() - start
    tester.disable_auto_mine_transactions()
    assert tester.get_transaction_receipt(hashes[-1])["status"] == 1, "a raw benchmark transfer failed"
    return n / elapsed


def gas_figures(chain, suite, wallets) -> dict[str, int]:
    issuer = suite.issuer
    transfer = chain.transact(suite.token, "transfer", wallets[2], 5, sender=wallets[0], gas=GAS)
    batch = chain.transact(suite.token, "batchMint", wallets[2:102], [1] * 100, sender=issuer, gas=30_000_000)
    forced = chain.transact(suite.token, "forcedTransfer", wallets[0], wallets[3], 1, sender=issuer)
    return {"transfer": transfer.gas_used, "batchMint of 100": batch.gas_used, "forcedTransfer": forced.gas_used}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1500, help="transfers per measurement (default 1500)")
    parser.add_argument("--block-size", type=int, default=100, help="transactions per block (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per path; the median is shown")
    args = parser.parse_args()

    chain, suite, wallets = build_market()
    raw = build_market()  # the same seed: the same contracts and wallets, for the raw path alone
    sender, receiver = wallets[0], wallets[1]
    print(f"warming up ({args.transfers // 5} transfers each way)...", flush=True)
    through_interface(chain, suite, sender, receiver, args.transfers // 5, args.block_size)
    through_raw_eth_tester(raw[0], raw[1], sender, receiver, args.transfers // 5, args.block_size)

    results: dict[str, list[float]] = {"interface": [], "raw auto-mine": [], "raw blocks": []}
    for r in range(args.repeats):
        print(f"round {r + 1}/{args.repeats}", flush=True)
        results["interface"].append(through_interface(chain, suite, sender, receiver, args.transfers, args.block_size))
        results["raw auto-mine"].append(through_raw_eth_tester(raw[0], raw[1], sender, receiver, args.transfers, None))
        results["raw blocks"].append(
            through_raw_eth_tester(raw[0], raw[1], sender, receiver, args.transfers, args.block_size)
        )
    medians = {k: statistics.median(v) for k, v in results.items()}
    best_raw = max(medians["raw auto-mine"], medians["raw blocks"])

    print()
    print(
        f"SecurityToken.transfer, {args.transfers} transfers per round, blocks of {args.block_size}, "
        f"median of {args.repeats} rounds"
    )
    print(f"  {'path':<34}{'transfers/s':>12}")
    print(f"  {'chain interface (rwasim)':<34}{medians['interface']:>12.1f}")
    print(f"  {'raw eth-tester, auto-mine':<34}{medians['raw auto-mine']:>12.1f}")
    print(f"  {'raw eth-tester, blocks':<34}{medians['raw blocks']:>12.1f}")
    overhead = best_raw / medians["interface"] - 1
    print(
        f"  interface time / best raw time = {best_raw / medians['interface']:.3f} "
        f"({overhead:+.1%} overhead; goal: at most +25%)"
    )
    print()
    print("gas")
    for name, gas in gas_figures(chain, suite, wallets).items():
        print(f"  {name:<20}{gas:>10,}")
    chain.close()
    raw[0].close()


if __name__ == "__main__":
    main()

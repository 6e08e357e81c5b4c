"""Ethereum backends side by side: transfers per second, note_lifecycle at 1,000 investors, scaling.

Every figure is measured in this run, on this machine, for each backend in turn, and printed
with its ratio to eth-tester (the reference backend) and, for transfers, to the raw engine under
it:

1. ``SecurityToken.transfer`` per second through rwasim's chain interface (blocks of 100,
   median of ``--repeats`` rounds). Under each backend, its raw engine: eth-tester's own
   ``send_transaction`` for py-evm, and pyrevm's bare ``message_call`` for revm (no nonce, fee,
   signature or receipt, and wrong gas: the ceiling the revm backend gives up for exactness).
2. ``note_lifecycle`` with ``--lifecycle-investors`` investors (1,000) on each backend: wall
   time and peak memory, and whether the two event logs are byte-identical.
3. ``cross_border_note`` at ``--scaling`` investors (24, 100, 400, 1,600) on each backend: wall
   time and peak memory, and whether the event logs are byte-identical.
4. With ``--split``: where a revm ``note_lifecycle`` run spends its time (EVM, consortium,
   bridge, glue), from cProfile (which slows Python code more than C code: read the shares as
   rough).

Scenario runs each happen in a fresh process (peak memory is that process's own). The
scenarios declare at most 200 investors; the benchmark runs them through a copy of their
parameter table whose ``investors`` bound is raised, with the same ``run``.

Run: ``.venv/bin/python benchmarks/backends.py [--backends eth-tester,revm] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ethereum_transfers import build_market  # this folder: the same token market, on any backend

GAS = 300_000
GAS_PRICE = 10**11
BLOCK = 100

WIDENED = '''"""{name} with a wider investors bound, for benchmarks/backends.py."""
from rwasim.params import Param
from rwasim.scenarios import {name} as _scenario

PARAMS = dict(_scenario.PARAMS)
PARAMS["investors"] = Param(PARAMS["investors"].default, min=PARAMS["investors"].min, max=100_000)
PARAM_RULES = getattr(_scenario, "PARAM_RULES", ())
run = _scenario.run
'''


# -- 1. transfers ------------------------------------------------------------------------------
def through_interface(chain, suite, sender, receiver, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        chain.send(suite.token, "transfer", receiver, 1, sender=sender, gas=GAS)
        if (i + 1) % BLOCK == 0:
            chain.mine()
    chain.mine()
    elapsed = time.perf_counter() - start
    assert all(r.status for r in chain.receipts[-n:]), "a benchmark transfer failed"
    return n / elapsed


def raw_eth_tester(chain, suite, sender, receiver, n: int) -> float:
    """EthereumTester.send_transaction with auto-mining (eth-tester re-executes its whole
    pending block on every send without it, so blocks of 100 would be quadratic)."""
    tester = chain.backend.tester
    account = chain._accounts[sender]
    if sender not in tester.get_accounts():
        tester.add_account("0x" + account.private_key.hex())
    data = "0x" + suite.token.abi.function("transfer", 2).encode((receiver, 1)).hex()
    tx = {"from": sender, "to": suite.token.address, "data": data, "gas": GAS, "gas_price": GAS_PRICE, "value": 0}
    tester.enable_auto_mine_transactions()
    start = time.perf_counter()
    hashes = [tester.send_transaction(tx) for _ in range(n)]
    elapsed = time.perf_counter() - start
    tester.disable_auto_mine_transactions()
    assert tester.get_transaction_receipt(hashes[-1])["status"] == 1, "a raw benchmark transfer failed"
    return n / elapsed


def raw_pyrevm(chain, suite, sender, receiver, n: int) -> float:
    """pyrevm's bare message_call on the revm backend's EVM; leaves that EVM unusable (a journal left open)."""
    evm = chain.backend.engine.evm
    data = suite.token.abi.function("transfer", 2).encode((receiver, 1))
    token = suite.token.address
    start = time.perf_counter()
    for _ in range(n):
        evm.message_call(sender, token, data, gas=GAS, gas_price=GAS_PRICE)
    return n / (time.perf_counter() - start)


def transfers(backends: list[str], n_slow: int, n_fast: int, repeats: int) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    for backend in backends:
        n = n_slow if backend == "eth-tester" else n_fast
        chain, suite, (sender, receiver) = build_market(backend=backend, wallets=2)
        through_interface(chain, suite, sender, receiver, max(n // 5, 10))  # warm-up
        rounds = []
        for _ in range(repeats):
            rounds.append(through_interface(chain, suite, sender, receiver, n))
        figures[backend] = {"interface": statistics.median(rounds), "n": n}
        if backend == "eth-tester":
            figures[backend]["raw"] = statistics.median(
                raw_eth_tester(chain, suite, sender, receiver, n) for _ in range(repeats)
            )
            figures[backend]["raw_name"] = "eth-tester send_transaction, auto-mine"  # type: ignore[assignment]
        elif backend == "revm":
            figures[backend]["raw"] = statistics.median(
                raw_pyrevm(chain, suite, sender, receiver, n * 3) for _ in range(repeats)
            )
            figures[backend]["raw_name"] = "pyrevm message_call (inexact)"  # type: ignore[assignment]
        chain.close()
        print(f"  measured {backend}", flush=True)
    return figures


# -- 2 and 3. scenario runs in fresh processes ----------------------------------------------------
def child(scenario: str, backend: str, investors: int, out: str) -> None:
    from rwasim.runner import run_scenario

    folder = Path(out).parent / f"scenario-{scenario}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{scenario}.py"
    path.write_text(WIDENED.format(name=scenario))
    start = time.perf_counter()
    result = run_scenario(
        str(path), seed=0, out_dir=Path(out), backend=backend, overrides={"investors": str(investors)}
    )
    wall = time.perf_counter() - start
    print(json.dumps({"wall": wall, "peak_mb": peak_rss_kb() / 1024, "invariants": result.invariants_hold}))


def peak_rss_kb() -> int:
    """This process's peak resident memory since it started: ``VmHWM`` (ru_maxrss would carry the
    parent's peak over the fork and exec that started it)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(scenario: str, backend: str, investors: int, out: Path) -> dict:
    command = [sys.executable, __file__, "--child", scenario, backend, str(investors), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{scenario} on {backend} with {investors} investors failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def scenario_runs(scenario: str, sizes: list[int], backends: list[str], work: Path) -> dict[int, dict[str, dict]]:
    table: dict[int, dict[str, dict]] = {}
    for size in sizes:
        table[size] = {}
        for backend in backends:
            out = work / f"{scenario}-{size}-{backend}"
            table[size][backend] = run_child(scenario, backend, size, out)
            print(f"  {scenario} {size} investors on {backend}: {table[size][backend]['wall']:.1f} s", flush=True)
        logs = {(work / f"{scenario}-{size}-{b}" / "events.jsonl").read_bytes() for b in backends}
        table[size]["identical"] = {"value": len(logs) == 1}
    return table


# -- 4. where the time goes -----------------------------------------------------------------------
BUCKETS = (
    ("EVM (pyrevm and the revm engine, or py-evm)", ("pyrevm", "builtins.EVM", "revm_engine", "/eth/", "eth_tester")),
    ("Ethereum interface (chain, ABI, signing)", ("/ethereum/", "eth_abi", "eth_utils", "coincurve", "/rlp/")),
    ("consortium (QBFT, state, SQLite)", ("/consortium/",)),
    ("bridge (relayers, monitor, attestation)", ("/bridge/",)),
)
GLUE = "glue (engine, agents, products, event log, ...)"


def _bucket(filename: str, function: str) -> str | None:
    where = f"{filename} {function}"
    for name, needles in BUCKETS:
        if any(needle in where for needle in needles):
            return name
    return None


def split(scenario: str, backend: str, investors: int, work: Path) -> list[tuple[str, float]]:
    """Own time per component; a C function's time goes to the component of the code that called it."""
    import cProfile
    import pstats

    from rwasim.runner import run_scenario

    path = work / f"{scenario}.py"
    path.write_text(WIDENED.format(name=scenario))
    profile = cProfile.Profile()
    profile.enable()
    run_scenario(str(path), seed=0, out_dir=work / "split", backend=backend, overrides={"investors": str(investors)})
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    totals = {name: 0.0 for name, _ in BUCKETS}
    totals[GLUE] = 0.0
    for (filename, _line, function), (_cc, _nc, tottime, _ct, callers) in stats.items():
        own = _bucket(filename, function)
        if own is None and filename == "~" and callers:  # a builtin: charge its callers
            for (caller_file, _l, caller_function), (_c, _n, caller_tt, _t) in callers.items():
                totals[_bucket(caller_file, caller_function) or GLUE] += caller_tt
            continue
        totals[own or GLUE] += tottime
    return sorted(totals.items(), key=lambda item: -item[1])


# -- output ----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="eth-tester,revm", help="comma-separated (eth-tester first)")
    parser.add_argument("--transfers", type=int, default=3000, help="transfers per round on fast backends")
    parser.add_argument("--slow-transfers", type=int, default=300, help="transfers per round on eth-tester")
    parser.add_argument("--repeats", type=int, default=3, help="rounds per transfer measurement (median shown)")
    parser.add_argument("--lifecycle-investors", type=int, default=1000)
    parser.add_argument("--scaling", default="24,100,400,1600", help="cross_border_note investor counts")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the script")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: transfers,lifecycle,scaling")
    parser.add_argument("--split", action="store_true", help="profile a revm note_lifecycle run by component")
    parser.add_argument(
        "--work",
        default="/dev/shm" if Path("/dev/shm").is_dir() else None,
        help="folder for the runs' output (default /dev/shm where it exists: the consortium's SQLite files then "
        "cost no disk waits, which other work on a shared machine makes erratic)",
    )
    parser.add_argument("--child", nargs=4, metavar=("SCENARIO", "BACKEND", "INVESTORS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scenario, backend, investors, out = args.child
        child(scenario, backend, int(investors), out)
        return
    backends = args.backends.split(",")
    skip = set(filter(None, args.skip.split(",")))
    sizes = [int(s) for s in args.scaling.split(",")]
    lifecycle = args.lifecycle_investors
    if args.quick:
        args.transfers, args.slow_transfers, args.repeats, lifecycle, sizes = 300, 60, 1, 40, [24, 50]
    base = backends[0]
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; backends: {', '.join(backends)}")

    if "transfers" not in skip:
        print("\n1. SecurityToken.transfer through the chain interface, blocks of 100", flush=True)
        figures = transfers(backends, args.slow_transfers, args.transfers, args.repeats)
        print(f"  {'backend':<14}{'transfers/s':>12}{'vs ' + base:>16}")
        for backend, row in figures.items():
            print(f"  {backend:<14}{row['interface']:>12,.0f}{row['interface'] / figures[base]['interface']:>15.1f}x")
            if "raw" in row:
                print(
                    f"  {'':<4}raw engine: {row['raw_name']}: {row['raw']:,.0f}/s; "
                    f"interface / raw = {row['interface'] / row['raw']:.2f}"
                )

    print(f"scenario output under {args.work or tempfile.gettempdir()}")
    with tempfile.TemporaryDirectory(prefix="rwasim-bench-", dir=args.work) as tmp:
        work = Path(tmp)
        if "lifecycle" not in skip:
            print(f"\n2. note_lifecycle with {lifecycle} investors", flush=True)
            table = scenario_runs("note_lifecycle", [lifecycle], backends, work)[lifecycle]
            print(f"  {'backend':<14}{'wall s':>9}{'peak MB':>9}{'vs ' + base:>14}")
            for backend in backends:
                row = table[backend]
                ratio = table[base]["wall"] / row["wall"]
                print(f"  {backend:<14}{row['wall']:>9.1f}{row['peak_mb']:>9.0f}{ratio:>13.1f}x")
            print(f"  event logs byte-identical across backends: {table['identical']['value']}")

        if "scaling" not in skip:
            print(f"\n3. cross_border_note scaling ({', '.join(map(str, sizes))} investors)", flush=True)
            table = scenario_runs("cross_border_note", sizes, backends, work)
            header = "".join(f"{b + ' s':>16}{b + ' MB':>16}" for b in backends)
            print(f"  {'investors':>9}{header}{'speed-up':>10}{'identical':>10}")
            for size in sizes:
                cells = "".join(f"{table[size][b]['wall']:>16.1f}{table[size][b]['peak_mb']:>16.0f}" for b in backends)
                speedup = table[size][base]["wall"] / table[size][backends[-1]]["wall"]
                print(f"  {size:>9}{cells}{speedup:>9.1f}x{str(table[size]['identical']['value']):>10}")

        if args.split:
            print(f"\n4. where a revm note_lifecycle run with {lifecycle} investors spends its time (cProfile)")
            parts = split("note_lifecycle", "revm", lifecycle, work)
            total = sum(t for _, t in parts)
            for name, seconds in parts:
                print(f"  {name:<52}{seconds:>8.1f} s{seconds / total:>8.1%}")


if __name__ == "__main__":
    main()

"""Consortium ledger figures: throughput, commit latency, message cost per block, memory.

1. Throughput: ``--transactions`` pre-signed token transfers (default 100,000) submitted to a
   4-validator mesh, run until every one is committed; transfers committed per wall-clock
   second, next to the raw state machine (the same transfers executed by one
   ``LedgerState`` with no consensus, network or storage) measured in the same run.
2. Latency: transfers arriving as a Poisson stream; commit latency p50/p95/p99 in simulated
   seconds under the stated network model and block period.
3. Message cost: consensus messages and bytes per committed block for n = 4, 7, 16, 31, 64
   (proposal, prepare, commit; all-to-all prepare and commit grow as n^2).
4. Peak memory (max RSS of this process) after the throughput run.

Run: ``.venv/bin/python benchmarks/consortium.py [--transactions N] [--quick]``
"""

from __future__ import annotations

import argparse
import resource
import time

from rwasim.consortium import ConsensusConfig, ConsortiumLedger
from rwasim.consortium.capacity import funded_clients
from rwasim.consortium.state import LedgerState
from rwasim.engine import Simulation
from rwasim.metrics import percentile


def setup_market(ledger: ConsortiumLedger, n_investors: int):
    """An asset, ``n_investors`` registered clients with identities and 10^9 units each."""
    return funded_clients(ledger, n_investors, countries=(344, 702))


def signed_transfers(investors, count: int):
    txs = []
    n = len(investors)
    for i in range(count):
        sender, receiver = investors[i % n], investors[(i * 7 + 1) % n]
        if receiver is sender:
            receiver = investors[(i + 1) % n]
        txs.append(sender.sign("token.transfer", {"asset_id": "NOTE", "to": receiver.holder, "amount": 1}))
    return txs


def throughput(count: int, max_block: int) -> dict:
    sim = Simulation(seed=1)
    ledger = ConsortiumLedger(
        sim, n_validators=4, config=ConsensusConfig(max_block_txs=max_block), log_transactions=True
    )
    investors = setup_market(ledger, 200)
    reference: LedgerState = ledger.state.copy()
    start_height = ledger.height

    t0 = time.perf_counter()
    txs = signed_transfers(investors, count)
    signing = time.perf_counter() - t0

    t0 = time.perf_counter()
    handles = [ledger.submit(tx, via=ledger.network.nodes[i % 4]) for i, tx in enumerate(txs)]
    ledger.settle(*handles, timeout=10 * count)
    elapsed = time.perf_counter() - t0
    ok = sum(h.ok for h in handles)
    if ok != count:
        raise RuntimeError(f"only {ok} of {count} transfers committed ok")
    blocks = ledger.height - start_height

    # the raw backend: one state machine executing the same transfers in blocks of the same size
    from rwasim.consortium import crypto, transactions

    crypto.recover_address.cache_clear()  # no help from signatures checked above
    transactions._VERIFIED.clear()
    t0 = time.perf_counter()
    for i in range(0, count, max_block):
        execution = reference.execute_block(
            txs[i : i + max_block], height=reference.height + 1, timestamp=sim.epoch + 10
        )
        reference.apply(execution)
    raw = time.perf_counter() - t0
    return {
        "count": count,
        "blocks": blocks,
        "signing_s": signing,
        "elapsed_s": elapsed,
        "raw_s": raw,
        "sim_seconds": sim.now,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def latency(rate: float, duration: float) -> dict:
    sim = Simulation(seed=2)
    ledger = ConsortiumLedger(sim, n_validators=4, latency=0.02, jitter=0.005)
    investors = setup_market(ledger, 50)
    rng = sim.rng.stream("bench", "arrivals")
    txs = signed_transfers(investors, int(rate * duration * 1.2) + 10)
    handles = []

    def arrivals():
        i = 0
        end = sim.now + duration
        while sim.now < end:
            yield sim.timeout(rng.expovariate(rate))
            handles.append(ledger.submit(txs[i]))
            i += 1

    sim.process(arrivals())
    sim.run(until=sim.now + duration + 0.001)
    ledger.settle(*handles)
    lat = sorted(ledger.commit_times[h.height] - h.submitted_at for h in handles)
    return {"n": len(handles), "p50": percentile(lat, 50), "p95": percentile(lat, 95), "p99": percentile(lat, 99)}


def message_cost(n: int, blocks: int) -> dict:
    sim = Simulation(seed=3)
    ledger = ConsortiumLedger(sim, n_validators=n, latency=0.02, jitter=0.005)
    investors = setup_market(ledger, 8)
    before_sent = dict(ledger.network.sent)
    before_bytes = dict(ledger.network.bytes_sent)
    h0 = ledger.height
    txs = signed_transfers(investors, blocks * 8)
    for i in range(blocks):
        ledger.settle(*[ledger.submit(tx) for tx in txs[i * 8 : (i + 1) * 8]])
    done = ledger.height - h0
    consensus = ("proposal", "prepare", "commit", "round_change")
    msgs = sum(ledger.network.sent[k] - before_sent.get(k, 0) for k in consensus)
    size = sum(ledger.network.bytes_sent[k] - before_bytes.get(k, 0) for k in consensus)
    return {
        "n": n,
        "blocks": done,
        "messages": msgs / done,
        "bytes": size / done,
        "predicted": (n - 1) + 2 * n * (n - 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000, help="transfers in the throughput run")
    parser.add_argument("--block-size", type=int, default=2000, help="max transactions per block")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    count = 5000 if args.quick else args.transactions
    sizes = (4, 7, 16) if args.quick else (4, 7, 16, 31, 64)

    print(f"throughput: {count:,} signed transfers, 4 validators (mesh), blocks of up to {args.block_size}", flush=True)
    t = throughput(count, args.block_size)
    print(f"  signing (clients, not counted below)  {count / t['signing_s']:>10,.0f} tx/s")
    print(
        f"  committed through the ledger          {count / t['elapsed_s']:>10,.0f} tx/s wall-clock "
        f"({t['blocks']} blocks, {t['sim_seconds']:.0f} simulated s)"
    )
    print(f"  raw state machine (one LedgerState)   {count / t['raw_s']:>10,.0f} tx/s")
    print(f"  ledger time / raw time                {t['elapsed_s'] / t['raw_s']:>10.2f}x  (goal: >= 5,000 tx/s)")
    print(f"  peak memory (max RSS)                 {t['maxrss_mb']:>10,.0f} MB", flush=True)

    rate, duration = (100.0, 30.0) if args.quick else (500.0, 120.0)
    print(
        f"\ncommit latency: Poisson arrivals at {rate:.0f} tx/s for {duration:.0f} s, 4 validators, "
        f"links 20 ms + U(0, 5 ms) jitter, block period 1 s",
        flush=True,
    )
    lat = latency(rate, duration)
    print(
        f"  {lat['n']:,} transfers: p50 {lat['p50']:.3f} s, p95 {lat['p95']:.3f} s, p99 {lat['p99']:.3f} s", flush=True
    )

    print("\nconsensus messages per committed block (proposal + prepare + commit, 8 transfers a block)")
    print(f"  {'n':>4}{'messages':>12}{'(n-1)+2n(n-1)':>16}{'bytes':>12}")
    for n in sizes:
        m = message_cost(n, 5)
        print(f"  {n:>4}{m['messages']:>12.1f}{m['predicted']:>16}{m['bytes']:>12,.0f}", flush=True)


if __name__ == "__main__":
    main()

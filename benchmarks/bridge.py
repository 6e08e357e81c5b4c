"""Bridge figures: end-to-end latency per direction and verifier, messages per wall-clock
second, and Ethereum gas per delivered message, one per transaction and 50 under one certificate.

1. Latency (simulated seconds, lock or burn to final) for each verifier — quorum certificate,
   5-of-9 committee, optimistic with a 30-minute fraud window — and, for the quorum lane, each
   finality policy for burns (Casper ``finalized``, the default; ``safe``; ``confirmations=12``),
   on 12-second slots.
2. Throughput: ``--messages`` locks committed in consortium blocks, relayed in batches of 50
   under one certificate and delivered on the default backend (eth-tester); the wall-clock
   time through the bridge, next to the raw backend — the same ``deliver`` transactions with
   the same evidence sent straight through the chain interface — measured in the same run.
3. Gas per delivered message with one message per transaction and with batches of 50.

Run: ``.venv/bin/python benchmarks/bridge.py [--messages N] [--quick]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would hide the
# ``bridge`` package; drop that entry before importing it.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from rwasim.bridge.bridge import Bridge  # noqa: E402
from rwasim.bridge.gateway import deploy_ethereum_end, quorum_evidence
from rwasim.consortium import ConsortiumLedger
from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain
from rwasim.ethereum.suite import register_investor
from rwasim.metrics import percentile

ASSET = "BENCH-NOTE"


def build(
    verifier: str = "quorum", batch_size: int = 1, seed: int = 1, finality: str = "finalized", fraud_window: int = 1800
):
    sim = Simulation(seed=seed)
    ledger = ConsortiumLedger(sim)
    chain = EthereumChain(sim)
    issuer_eth = chain.accounts[0]
    end = deploy_ethereum_end(
        chain,
        ledger,
        asset_id=ASSET,
        lane=1,
        issuer=issuer_eth,
        guardian=chain.accounts[1],
        verifier=verifier,
        watchers=[chain.accounts[2]],
        fraud_window=fraud_window,
    )
    bridge = Bridge(sim, ledger, chain, end, finality=finality, batch_size=batch_size, watchers=[chain.accounts[2]])
    holder = chain.new_account("holder")
    register_investor(chain, end.suite, holder, country=344, investor_class="professional")
    issuer = ledger.org_client("issuer")
    ledger.settle(
        issuer.submit("asset.register", {"asset_id": ASSET, "term_sheet_hash": "0x" + "ab" * 32}),
        issuer.submit("identity.register", {"holder": issuer.holder, "country": 344, "investor_class": "professional"}),
        issuer.submit("token.mint", {"asset_id": ASSET, "to": issuer.holder, "amount": 10**9}),
    )
    return sim, ledger, chain, end, bridge, issuer, holder


def latency(verifier: str, count: int, finality: str = "finalized") -> dict[str, list[float]]:
    sim, ledger, chain, end, bridge, issuer, holder = build(verifier, finality=finality)
    rng = sim.rng.stream("bench", "arrivals")

    def arrivals(direction: str):
        for _ in range(count):
            yield sim.timeout(rng.expovariate(1 / 60))
            if direction == "in":
                bridge.lock(issuer, 1, holder)
            else:
                bridge.send_back(holder, issuer.holder, 1)

    sim.process(arrivals("in"))
    sim.run(until=sim.now + 60 * count + 60)
    bridge.settle(timeout=20_000)
    sim.process(arrivals("out"))
    sim.run(until=sim.now + 60 * count + 60)
    bridge.settle(timeout=20_000)
    out = {"to_ethereum": [], "to_consortium": []}
    for record in bridge.book.records.values():
        if record.state == "delivered":
            out[record.direction].append(record.finalised_at - record.created_at)
    return out


def throughput(count: int, batch: int) -> dict[str, float]:
    sim, ledger, chain, end, bridge, issuer, holder = build(batch_size=batch)
    for relayer in bridge.relayers:
        relayer.crash()  # paused while the consortium commits the locks
    handles = [bridge.lock(issuer, 1, holder) for _ in range(count)]
    ledger.settle(*handles)
    # the raw backend: the same deliver calls with the same evidence, straight through the chain
    snapshot = chain.snapshot()
    blocks: dict[int, list] = {}
    for handle in handles:
        index = [i for i, e in enumerate(handle.events) if e.kind == "bridge.lock"][0]
        blocks.setdefault(handle.height, []).append(
            (handle.hash, index, bridge.inbound_message(handle.events[index].fields))
        )
    calls = []
    for _height, located in sorted(blocks.items()):
        for start in range(0, len(located), batch):
            chunk = located[start : start + batch]
            calls.append(
                ([m.as_tuple() for _, _, m in chunk], quorum_evidence([ledger.prove_event(h, i) for h, i, _ in chunk]))
            )
    t0 = time.perf_counter()
    for messages, evidence in calls:
        receipt = chain.transact(end.gateway, "deliver", 1, messages, evidence, sender=chain.accounts[3])
        assert receipt.status, "a raw delivery failed"
    raw = time.perf_counter() - t0
    chain.revert(snapshot)

    t0 = time.perf_counter()
    bridge.relayers[0].restart()
    bridge.settle(timeout=100_000)
    through = time.perf_counter() - t0
    assert end.token.call("balanceOf", holder) == count, "not every message was delivered"
    relayed = sim.log.of_kind("bridge.relayed")
    gas = sum(e.data["gas_used"] for e in relayed) / sum(e.data["messages"] for e in relayed)
    return {"bridge_s": through, "raw_s": raw, "gas_per_message": gas}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500, help="messages in the throughput run")
    parser.add_argument("--latency-messages", type=int, default=40, help="messages per direction and verifier")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    count = 100 if args.quick else args.messages
    n_latency = 8 if args.quick else args.latency_messages

    print(
        f"end-to-end latency, simulated seconds ({n_latency} messages per direction, 12-s slots, "
        "Poisson arrivals one a minute)",
        flush=True,
    )
    print(f"  {'verifier':<12}{'finality (burns)':<20}{'direction':<16}{'p50':>8}{'p95':>8}{'p99':>8}")
    cases = [("quorum", "finalized"), ("quorum", "safe"), ("quorum", "confirmations=12")]
    cases += [("committee", "finalized"), ("optimistic", "finalized")]
    for verifier, finality in cases:
        lat = latency(verifier, n_latency, finality)
        for direction, values in lat.items():
            v = sorted(values)
            print(
                f"  {verifier:<12}{finality:<20}{direction:<16}{percentile(v, 50):>8.0f}{percentile(v, 95):>8.0f}"
                f"{percentile(v, 99):>8.0f}",
                flush=True,
            )

    print(f"\nthroughput and gas: {count} consortium->Ethereum messages, eth-tester backend", flush=True)
    single = throughput(min(count, 100), 1)
    batched = throughput(count, 50)
    print(
        f"  batches of 50: {count / batched['bridge_s']:.1f} messages/s through the bridge, "
        f"{count / batched['raw_s']:.1f} messages/s raw deliver calls "
        f"(bridge time / raw time = {batched['bridge_s'] / batched['raw_s']:.2f})"
    )
    print(
        f"  one per tx:    {min(count, 100) / single['bridge_s']:.1f} messages/s through the bridge, "
        f"{min(count, 100) / single['raw_s']:.1f} messages/s raw"
    )
    saving = 1 - batched["gas_per_message"] / single["gas_per_message"]
    print(
        f"  gas per delivered message: {single['gas_per_message']:,.0f} one per tx, "
        f"{batched['gas_per_message']:,.0f} in batches of 50 ({saving:.0%} less)"
    )


if __name__ == "__main__":
    main()

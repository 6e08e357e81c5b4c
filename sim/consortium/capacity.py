"""How much a consortium ledger carries: offered against achieved transfers per second.

:func:`offered_load` submits pre-signed token transfers as a seeded Poisson stream at a given
rate for a stated simulated duration, then lets the ledger drain, and reports what it
achieved: transfers committed per simulated second from the first offer to the last commit
(at most the offered rate; under overload the ledger's service rate) and the commit latency
percentiles. With :data:`~rwasim.consortium.node.BESU_TX_TIME` each transaction costs
simulated execution time at the proposer and at every validator, so achieved throughput
saturates near Besu's published QBFT figure (520-645 ERC-20 transfers/s with 4 validators)
and latency climbs as offered load approaches it.
"""

from __future__ import annotations

from typing import Any

from rwasim.consortium.ledger import ConsortiumLedger
from rwasim.consortium.node import BESU_TX_TIME, ConsensusConfig
from rwasim.engine import Simulation


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (as ``rwasim.metrics.percentile``, a layer above)."""
    if not values:
        return float("nan")
    rank = (len(values) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def funded_clients(ledger: ConsortiumLedger, n_investors: int, countries: tuple[int, ...] = (344,)) -> list[Any]:
    """An asset ``NOTE`` open to ``countries`` and ``n_investors`` registered clients (Hong Kong,
    professional) holding 10^9 units each: the market a load test trades in."""
    issuer = ledger.org_client("issuer")
    handles = [
        issuer.submit(
            "asset.register",
            {"asset_id": "NOTE", "term_sheet_hash": "0x" + "ab" * 32, "rules": {"countries": list(countries)}},
        )
    ]
    investors = []
    for i in range(n_investors):
        client, handle = ledger.add_client(f"investor-{i}", "issuer")
        investors.append(client)
        handles.append(handle)
    for client in investors:
        handles.append(
            issuer.submit(
                "identity.register", {"holder": client.holder, "country": 344, "investor_class": "professional"}
            )
        )
        handles.append(issuer.submit("token.mint", {"asset_id": "NOTE", "to": client.holder, "amount": 10**9}))
    ledger.settle(*handles)
    refused = [h.reason for h in handles if not h.ok]
    if refused:
        raise RuntimeError(f"the load test's market could not be set up: {refused[:3]}")
    return investors


def offered_load(
    rate: float,
    duration: float = 30.0,
    *,
    validators: int = 4,
    tx_time: float = BESU_TX_TIME,
    block_period: float = 1.0,
    seed: int = 1,
    investors: int = 100,
) -> dict[str, float]:
    """Offer ``rate`` transfers/s for ``duration`` simulated seconds; what the ledger achieved.

    ``block_period`` defaults to 1 s (a throughput configuration: Besu's performance runs
    use short block periods; its documented default is 5 s). Blocks are not capped in size
    (Besu caps them by gas, not by count).
    """
    sim = Simulation(seed=seed)
    config = ConsensusConfig(block_period=block_period, tx_time=tx_time, max_block_txs=1_000_000)
    ledger = ConsortiumLedger(sim, n_validators=validators, config=config, latency=0.02, jitter=0.005)
    clients = funded_clients(ledger, investors)
    rng = sim.rng.stream("capacity", "arrivals")
    count = int(rate * duration)
    txs = []
    for i in range(count):
        sender, receiver = clients[i % investors], clients[(i * 7 + 1) % investors]
        if receiver is sender:
            receiver = clients[(i + 1) % investors]
        txs.append(sender.sign("token.transfer", {"asset_id": "NOTE", "to": receiver.holder, "amount": 1}))
    handles: list[Any] = []
    start = sim.now

    def arrivals():
        for i, tx in enumerate(txs):
            yield sim.timeout(rng.expovariate(rate))
            handles.append(ledger.submit(tx, via=ledger.network.nodes[i % validators]))

    sim.process(arrivals())
    sim.run(until=start + duration)
    ledger.settle(*handles, timeout=100 * duration)
    committed = [ledger.commit_times[h.height] for h in handles if h.height is not None]
    lat = sorted(ledger.commit_times[h.height] - h.submitted_at for h in handles if h.height is not None)
    # everything offered, over the time it took to commit it all (the ledger's service rate under overload)
    busy = max(duration, max(committed) - start) if committed else duration
    return {
        "offered_tps": rate,
        "achieved_tps": len(committed) / busy,
        "p50_s": _percentile(lat, 50),
        "p95_s": _percentile(lat, 95),
        "blocks": float(ledger.height),
    }

"""Network graphs for validator sets: where a consortium's nodes sit and what each link costs.

Every edge carries ``latency`` (seconds, one way), ``jitter`` (seconds, the spread of a
uniform extra delay) and ``loss`` (probability a message on that link is lost). Messages
between nodes that share no edge travel the lowest-latency path, so a ring or a hub pays for
its extra hops. Shapes follow networkx's conventions: a ``seed`` wherever randomness enters.
"""

from __future__ import annotations

import random

import networkx as nx

SHAPES = ("mesh", "ring", "star", "random", "geo")

# The ``geo`` preset: validators in these cities, in this order (validator i in GEO_CITIES[i % 4]).
# Coordinates (latitude, longitude) place them for drawing only; latencies come from GEO_RTT_MS.
GEO_CITIES: tuple[str, ...] = ("Hong Kong", "Singapore", "Frankfurt", "Virginia")
GEO_COORDINATES: dict[str, tuple[float, float]] = {
    "Hong Kong": (22.32, 114.17),
    "Singapore": (1.35, 103.82),
    "Frankfurt": (50.11, 8.68),
    "Virginia": (39.04, -77.49),
}
# Round-trip times in milliseconds between the Azure regions in these cities (East Asia = Hong
# Kong, Southeast Asia = Singapore, Germany West Central = Frankfurt, East US = Virginia), from
# Microsoft's "Azure network round-trip latency statistics"
# (https://learn.microsoft.com/azure/networking/azure-network-latency): monthly P95 of 1-minute
# probes over the 30 days ending 30 July 2026. The table is per direction; each figure here is
# the mean of the two directions (they differ by at most 1 ms for these pairs).
GEO_RTT_MS: dict[frozenset[str], float] = {
    frozenset({"Hong Kong", "Singapore"}): 40.5,  # 41 / 40
    frozenset({"Hong Kong", "Frankfurt"}): 244.0,  # 244 / 244
    frozenset({"Hong Kong", "Virginia"}): 207.5,  # 208 / 207
    frozenset({"Singapore", "Frankfurt"}): 179.0,  # 179 / 179
    frozenset({"Singapore", "Virginia"}): 229.0,  # 229 / 229
    frozenset({"Frankfurt", "Virginia"}): 97.0,  # 97 / 97
}
# Two validators in one city (more validators than cities): round trip within one cloud region,
# cloudping.co's AWS matrix, ap-east-1 (Hong Kong) to itself, p50 1.08 ms (retrieved December 2026).
GEO_SAME_CITY_RTT_MS = 1.08


def geo_rtt(a: str, b: str) -> float:
    """The cited round-trip time between two cities of the ``geo`` preset, in seconds."""
    if a == b:
        return GEO_SAME_CITY_RTT_MS / 1000
    return GEO_RTT_MS[frozenset({a, b})] / 1000


def validator_names(n: int, prefix: str = "v") -> list[str]:
    """``v0 .. v{n-1}``, zero-padded so they sort in order."""
    width = len(str(n - 1))
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def consortium_graph(
    n: int,
    shape: str = "mesh",
    *,
    latency: float = 0.02,
    jitter: float = 0.005,
    loss: float = 0.0,
    degree: int = 4,
    seed: int | None = 0,
    prefix: str = "v",
) -> nx.Graph:
    """A connected graph of ``n`` validators.

    Parameters
    ----------
    n : int
        Number of validators (at least 1).
    shape : {"mesh", "ring", "star", "random", "geo"}
        ``mesh``: every pair linked (a typical consortium VPN); ``ring``; ``star``: all through
        the first node (a hub data centre); ``random``: a connected random regular graph of
        ``degree``; ``geo``: a mesh of validators placed in :data:`GEO_CITIES` in turn (node
        attribute ``city``), each link's latency half the cited round-trip time between its
        cities (:data:`GEO_RTT_MS`); ``latency`` is not used.
    latency, jitter, loss : float
        Per-link figures (seconds, seconds, probability). ``jitter`` and ``loss`` apply to
        ``geo`` links too: its round trips are P95 figures already, so ``jitter=0`` reproduces
        them exactly and any jitter adds to them.
    seed : int, optional
        Seed for the random shapes.
    """
    if n < 1:
        raise ValueError("a consortium needs at least one validator")
    if shape not in SHAPES:
        raise ValueError(f"unknown topology shape {shape!r}; choose one of {', '.join(SHAPES)}")
    if latency < 0 or jitter < 0 or not 0 <= loss < 1:
        raise ValueError("latency and jitter must be >= 0 and loss in [0, 1)")
    names = validator_names(n, prefix)
    rng = random.Random(seed)
    if shape == "mesh" or n <= 2:
        g = nx.complete_graph(n)
    elif shape == "ring":
        g = nx.cycle_graph(n)
    elif shape == "star":
        g = nx.star_graph(n - 1)
    elif shape == "random":
        d = min(degree, n - 1)
        if (d * n) % 2:
            d -= 1
        for _ in range(100):
            g = nx.random_regular_graph(d, n, seed=rng.randrange(2**32))
            if nx.is_connected(g):
                break
        else:
            raise ValueError(f"could not draw a connected {d}-regular graph on {n} nodes")
    else:  # geo
        g = nx.complete_graph(n)
    if shape == "geo":
        for i in g.nodes:
            city = GEO_CITIES[i % len(GEO_CITIES)]
            lat, lon = GEO_COORDINATES[city]
            g.nodes[i]["city"] = city
            g.nodes[i]["pos"] = (round((lon + 180) / 360, 4), round((90 - lat) / 180, 4))
        for a, b in g.edges:
            g.edges[a, b]["latency"] = geo_rtt(g.nodes[a]["city"], g.nodes[b]["city"]) / 2
    g = nx.relabel_nodes(g, dict(enumerate(names)))
    for a, b in g.edges:
        g.edges[a, b].setdefault("latency", latency)
        g.edges[a, b]["jitter"] = jitter
        g.edges[a, b]["loss"] = loss
    g.graph["shape"] = shape
    return g

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
        ``degree``; ``geo``: random points in a unit square, linked within a radius, latency
        proportional to distance (``latency`` is the latency across the whole square).
    latency, jitter, loss : float
        Per-link figures (seconds, seconds, probability).
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
    else:
        radius = 0.5
        while True:
            pos = {i: (rng.random(), rng.random()) for i in range(n)}
            g = nx.random_geometric_graph(n, radius, pos=pos)
            if nx.is_connected(g):
                break
            radius *= 1.2
        for a, b in g.edges:
            (xa, ya), (xb, yb) = pos[a], pos[b]
            g.edges[a, b]["latency"] = latency * ((xa - xb) ** 2 + (ya - yb) ** 2) ** 0.5 / 2**0.5
    g = nx.relabel_nodes(g, dict(enumerate(names)))
    for a, b in g.edges:
        g.edges[a, b].setdefault("latency", latency)
        g.edges[a, b]["jitter"] = jitter
        g.edges[a, b]["loss"] = loss
    g.graph["shape"] = shape
    return g

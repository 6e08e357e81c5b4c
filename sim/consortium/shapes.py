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

#: Link jitter (seconds) of every shape but ``geo`` when the caller gives none.
DEFAULT_JITTER = 0.005

# Where the ``geo`` figures come from; GEO_RTT_SOURCE names one of these for each pair.
GEO_SOURCES: dict[str, str] = {
    "azure": (
        'Microsoft, "Azure network round-trip latency statistics", '
        "https://learn.microsoft.com/azure/networking/azure-network-latency, dataset of 30 July 2026: "
        "monthly P95 of 1-minute probes between Azure regions"
    ),
    "wonderproxy": (
        'WonderProxy, "A day in the life of the Internet" (Paul Reinheimer, 28 October 2020), '
        "https://wonderproxy.com/blog/a-day-in-the-life-of-the-internet/: hourly `ping -c 30` between "
        "its servers on 19-20 July 2020 (pings-2020-07-19-2020-07-20.csv, servers-2020-07-19.csv), "
        "reduced to one row per direction by the per-pair median of every column in "
        "github.com/sm86/geo-latency-data, pings-2020-07-19-2020-07-20-grouped.csv "
        "(commit 0ab28d0, GeoDec's aggregatePingDelays)"
    ),
}

# The ``geo`` preset: validators in these cities, in this order (validator i in
# GEO_CITIES[i % len(GEO_CITIES)]). Shanghai comes last so that ledgers of up to four
# validators keep the cities, and the timings, they had before it was added.
# Coordinates (latitude, longitude) place them for drawing only; latencies come from GEO_RTT_MS.
GEO_CITIES: tuple[str, ...] = ("Hong Kong", "Singapore", "Frankfurt", "Virginia", "Shanghai")
GEO_COORDINATES: dict[str, tuple[float, float]] = {
    "Hong Kong": (22.32, 114.17),
    "Singapore": (1.35, 103.82),
    "Frankfurt": (50.11, 8.68),
    "Virginia": (39.04, -77.49),
    "Shanghai": (31.2, 121.5),  # WonderProxy's Shanghai server (servers-2020-07-19.csv, id 180)
}
# Round-trip times in milliseconds. Two sources, two statistics: read GEO_RTT_SOURCE.
#
# Pairs without Shanghai ("azure"): between the Azure regions in these cities (East Asia = Hong
# Kong, Southeast Asia = Singapore, Germany West Central = Frankfurt, East US = Virginia), from
# Microsoft's "Azure network round-trip latency statistics"
# (https://learn.microsoft.com/azure/networking/azure-network-latency): monthly P95 of 1-minute
# probes over the 30 days ending 30 July 2026. The table is per direction; each figure here is
# the mean of the two directions (they differ by at most 1 ms for these pairs).
#
# Pairs with Shanghai ("wonderproxy"): Microsoft's public table has no Azure China region, so
# these come from WonderProxy's published ping data of 19-20 July 2020 between its servers in
# Shanghai (id 180), Hong Kong (72), Singapore (31), Frankfurt (29) and Herndon, Virginia (16):
# for each direction, the median over the two days' hourly runs of each run's average of 30
# pings (the ``avg`` column of sm86/geo-latency-data's grouped file); each figure here is the
# mean of the two directions, written out. These are averages over the public Internet between
# hosting providers, not P95s over a cloud backbone: typical rather than tail figures, and six
# years older than Azure's. They break the triangle inequality (Shanghai-Hong Kong-Singapore is
# far shorter than Shanghai-Singapore), as routes out of mainland China do; the network routes
# each message along the lowest-latency path, so it relays such messages through Hong Kong.
GEO_RTT_MS: dict[frozenset[str], float] = {
    frozenset({"Hong Kong", "Singapore"}): 40.5,  # 41 / 40
    frozenset({"Hong Kong", "Frankfurt"}): 244.0,  # 244 / 244
    frozenset({"Hong Kong", "Virginia"}): 207.5,  # 208 / 207
    frozenset({"Singapore", "Frankfurt"}): 179.0,  # 179 / 179
    frozenset({"Singapore", "Virginia"}): 229.0,  # 229 / 229
    frozenset({"Frankfurt", "Virginia"}): 97.0,  # 97 / 97
    # WonderProxy, median of hourly averages: Shanghai -> city / city -> Shanghai
    frozenset({"Shanghai", "Hong Kong"}): (37.376 + 38.0415) / 2,  # 37.7
    frozenset({"Shanghai", "Singapore"}): (208.6255 + 200.8675) / 2,  # 204.7
    frozenset({"Shanghai", "Frankfurt"}): (239.284 + 232.188) / 2,  # 235.7
    frozenset({"Shanghai", "Virginia"}): (300.0105 + 281.0275) / 2,  # 290.5
}
GEO_RTT_SOURCE: dict[frozenset[str], str] = {
    pair: "wonderproxy" if "Shanghai" in pair else "azure" for pair in GEO_RTT_MS
}
# Two validators in one city (more validators than cities): round trip within one cloud region,
# cloudping.co's AWS matrix, ap-east-1 (Hong Kong) to itself, p50 1.08 ms (retrieved December 2026).
GEO_SAME_CITY_RTT_MS = 1.08

# Jitter of the ``geo`` links, from the same WonderProxy data for every pair (Azure publishes no
# spread): ping's ``mdev``, the standard deviation of the 30 round trips of one run, median over
# the hourly runs (the ``mdev`` column of the grouped file), in milliseconds, as (the first city
# written -> the second, the second -> the first).
GEO_RTT_MDEV_MS: dict[frozenset[str], tuple[float, float]] = {
    frozenset({"Hong Kong", "Singapore"}): (0.4185, 0.423),
    frozenset({"Hong Kong", "Frankfurt"}): (0.6255, 0.568),
    frozenset({"Hong Kong", "Virginia"}): (0.659, 0.7285),
    frozenset({"Singapore", "Frankfurt"}): (0.406, 0.407),
    frozenset({"Singapore", "Virginia"}): (0.6315, 0.511),
    frozenset({"Frankfurt", "Virginia"}): (0.389, 0.42),
    frozenset({"Shanghai", "Hong Kong"}): (2.677, 3.0105),
    frozenset({"Shanghai", "Singapore"}): (4.7315, 2.5445),
    frozenset({"Shanghai", "Frankfurt"}): (12.478, 8.941),
    frozenset({"Shanghai", "Virginia"}): (13.2625, 6.496),
}
# A link adds a uniform delay in [0, jitter] to each one-way message, so a round trip carries two
# independent draws whose sum has standard deviation jitter / sqrt(6). The default jitter of a
# geo link is therefore sqrt(6) x the mean of the two directions' mdev: the simulated round trips
# spread as the measured ones do. (It also raises their mean by that jitter: the cited figures
# stay the floor, reached with ``jitter=0``.)
GEO_JITTER_PER_MDEV = 6**0.5


def geo_rtt(a: str, b: str) -> float:
    """The cited round-trip time between two cities of the ``geo`` preset, in seconds."""
    if a == b:
        return GEO_SAME_CITY_RTT_MS / 1000
    return GEO_RTT_MS[frozenset({a, b})] / 1000


def geo_jitter(a: str, b: str) -> float:
    """The default jitter of a ``geo`` link between two cities, in seconds (see GEO_RTT_MDEV_MS).

    Two validators in one city get none: no published spread was found for that case.
    """
    if a == b:
        return 0.0
    there, back = GEO_RTT_MDEV_MS[frozenset({a, b})]
    return GEO_JITTER_PER_MDEV * (there + back) / 2 / 1000


def validator_names(n: int, prefix: str = "v") -> list[str]:
    """``v0 .. v{n-1}``, zero-padded so they sort in order."""
    width = len(str(n - 1))
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def consortium_graph(
    n: int,
    shape: str = "mesh",
    *,
    latency: float = 0.02,
    jitter: float | None = None,
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
        cities (:data:`GEO_RTT_MS`, :data:`GEO_RTT_SOURCE`); ``latency`` is not used.
    latency, loss : float
        Per-link latency (seconds) and loss probability. ``loss`` applies to ``geo`` links too.
    jitter : float, optional
        Per-link jitter, seconds: each one-way message waits a uniform extra delay in
        ``[0, jitter]``. A number applies to every link of every shape, ``geo`` included, on
        top of its cited round trips (``jitter=0`` reproduces them exactly). ``None`` (the
        default) means the sourced figure: for ``geo``, each link's :func:`geo_jitter`, from the
        measured spread of its round trips (:data:`GEO_RTT_MDEV_MS`); for the other shapes,
        :data:`DEFAULT_JITTER`.
    seed : int, optional
        Seed for the random shapes.
    """
    if n < 1:
        raise ValueError("a consortium needs at least one validator")
    if shape not in SHAPES:
        raise ValueError(f"unknown topology shape {shape!r}; choose one of {', '.join(SHAPES)}")
    if latency < 0 or (jitter is not None and jitter < 0) or not 0 <= loss < 1:
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
            cities = g.nodes[a]["city"], g.nodes[b]["city"]
            g.edges[a, b]["latency"] = geo_rtt(*cities) / 2
            if jitter is None:
                g.edges[a, b]["jitter"] = geo_jitter(*cities)
    g = nx.relabel_nodes(g, dict(enumerate(names)))
    for a, b in g.edges:
        g.edges[a, b].setdefault("latency", latency)
        if jitter is not None:
            g.edges[a, b]["jitter"] = jitter
        else:
            g.edges[a, b].setdefault("jitter", DEFAULT_JITTER)
        g.edges[a, b]["loss"] = loss
    g.graph["shape"] = shape
    return g

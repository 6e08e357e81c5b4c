"""Consensus timing against published figures: Besu's QBFT defaults and measured round trips.

The block period, request timeout and round-timer doubling are Besu's documented QBFT
configuration; the ``geo`` preset's link latencies are half the round-trip times Microsoft
publishes between its Hong Kong, Singapore, Frankfurt and Virginia regions, and, for Shanghai,
half those in WonderProxy's published ping data, whose spread (ping's mdev) gives the preset's
default jitter. These tests check that the defaults are those figures and that a real ledger's
commit and round-change times follow from them.
"""

from __future__ import annotations

import itertools
import math
import random

import networkx as nx
import pytest

from rwasim.consortium import ConsensusConfig, ConsortiumLedger
from rwasim.consortium.shapes import (
    DEFAULT_JITTER,
    GEO_CITIES,
    GEO_RTT_MDEV_MS,
    GEO_RTT_MS,
    GEO_RTT_SOURCE,
    GEO_SAME_CITY_RTT_MS,
    GEO_SOURCES,
    consortium_graph,
    geo_jitter,
)
from rwasim.engine import Simulation


def _register(ledger: ConsortiumLedger, label: str, via: str | None = None):
    """An identity registration by the issuer's admin: valid whatever else has committed."""
    holder = "0x" + ledger.new_client_key(label).address.hex()
    return ledger.org_client("issuer").submit(
        "identity.register", {"holder": holder, "country": 344, "investor_class": "professional"}, via=via
    )


def _commit_time(ledger: ConsortiumLedger, handle) -> float:
    assert handle.ok, handle.reason
    return ledger.commit_times[handle.height]


def test_defaults_are_besus_documented_qbft_timing():
    cfg = ConsensusConfig()
    assert cfg.block_period == 5.0  # blockperiodseconds in Besu's QBFT genesis example
    assert cfg.round_timeout == 10.0  # requesttimeoutseconds, twice the block period
    assert cfg.max_round_timeout is None  # Besu's RoundTimer doubles without a cap
    assert [cfg.timeout(r) for r in range(6)] == [10.0, 20.0, 40.0, 80.0, 160.0, 320.0]
    assert ConsensusConfig(round_timeout=4.0, max_round_timeout=30.0).timeout(5) == 30.0


def test_a_lone_transaction_waits_for_the_block_period_boundary_and_no_longer():
    sim = Simulation(seed=3)
    ledger = ConsortiumLedger(sim, n_validators=4, shape="mesh", latency=0.02, jitter=0.005)
    cfg = ledger.config
    hops = cfg.gossip_interval + 4 * (0.02 + 0.005)  # gossip, proposal, prepare, commit (+ slack)
    first = _register(ledger, "first")  # the genesis block is the parent: wait for its period
    ledger.settle(first)
    assert cfg.block_period <= _commit_time(ledger, first) - first.submitted_at <= cfg.block_period + hops
    soon = _register(ledger, "soon")  # right after a block: waits for parent time + block period
    ledger.settle(soon)
    parent_time = ledger.commit_times[first.height]
    assert parent_time + cfg.block_period <= _commit_time(ledger, soon) <= parent_time + cfg.block_period + hops
    sim.run(until=sim.now + 3 * cfg.block_period)  # idle: no empty blocks, no waiting either
    height = ledger.height
    late = _register(ledger, "late")
    ledger.settle(late)
    assert late.height == height + 1
    assert _commit_time(ledger, late) - late.submitted_at <= hops


def test_round_changes_follow_the_request_timeout_and_double():
    sim = Simulation(seed=5)
    ledger = ConsortiumLedger(sim, n_validators=7, latency=0.02, jitter=0.005)  # f = 2
    cfg = ledger.config
    ledger.settle(_register(ledger, "warm-up"))
    sim.run(until=sim.now + 2 * cfg.block_period)
    height = ledger.height + 1
    vs = ledger.validator_set
    down = [ledger.node_name(vs.proposer(height, r)) for r in (0, 1)]
    assert len(set(down)) == 2
    for name in down:
        ledger.faults.inject("crash", node=name)
    handle = _register(ledger, "stuck", via=next(n for n in sorted(ledger.nodes) if n not in down))
    ledger.settle(handle, timeout=600)
    assert ledger.block(handle.height).header.round == 2
    changes = [e for e in sim.log.of_kind("consortium.round_change") if e.time >= handle.submitted_at]
    first = {r: min(e.time for e in changes if e.data["round"] == r) for r in (1, 2)}
    arrival = cfg.gossip_interval + 2 * (0.02 + 0.005)  # the transaction reaches every validator
    # round 0's timer is the request timeout; round 1's is twice it
    assert cfg.timeout(0) <= first[1] - handle.submitted_at <= cfg.timeout(0) + arrival
    assert cfg.timeout(1) <= first[2] - first[1] <= cfg.timeout(1) + arrival
    assert _commit_time(ledger, handle) - handle.submitted_at >= cfg.timeout(0) + cfg.timeout(1)


def test_geo_preset_links_are_half_the_cited_round_trips():
    g = consortium_graph(5, "geo", jitter=0.0)
    assert [g.nodes[v]["city"] for v in sorted(g.nodes)] == list(GEO_CITIES)
    assert g.number_of_edges() == 10
    for a, b, data in g.edges(data=True):
        rtt_ms = GEO_RTT_MS[frozenset({g.nodes[a]["city"], g.nodes[b]["city"]})]
        assert data["latency"] == rtt_ms / 2 / 1000  # jitter=0: the cited round trip, exactly
        assert data["jitter"] == 0.0
    assert GEO_RTT_MS[frozenset({"Frankfurt", "Virginia"})] == 97.0  # Azure P95, 30 days to 30 July 2026
    assert GEO_RTT_MS[frozenset({"Hong Kong", "Singapore"})] == 40.5
    # WonderProxy, 19-20 July 2020: the median hourly average, Shanghai -> city and city -> Shanghai
    assert GEO_RTT_MS[frozenset({"Shanghai", "Hong Kong"})] == (37.376 + 38.0415) / 2
    assert GEO_RTT_MS[frozenset({"Shanghai", "Singapore"})] == (208.6255 + 200.8675) / 2
    assert GEO_RTT_MS[frozenset({"Shanghai", "Frankfurt"})] == (239.284 + 232.188) / 2
    assert GEO_RTT_MS[frozenset({"Shanghai", "Virginia"})] == (300.0105 + 281.0275) / 2
    g6 = consortium_graph(6, "geo")
    assert g6.nodes["v5"]["city"] == g6.nodes["v0"]["city"] == "Hong Kong"
    assert g6.edges["v0", "v5"]["latency"] == pytest.approx(GEO_SAME_CITY_RTT_MS / 2 / 1000)
    assert g6.edges["v0", "v5"]["jitter"] == 0.0  # no published spread within one city


def test_shanghai_comes_fifth_so_smaller_geo_ledgers_keep_their_cities():
    g = consortium_graph(4, "geo", jitter=0.0)
    assert [g.nodes[v]["city"] for v in sorted(g.nodes)] == ["Hong Kong", "Singapore", "Frankfurt", "Virginia"]
    assert consortium_graph(5, "geo").nodes["v4"]["city"] == "Shanghai"


def test_geo_default_jitter_is_the_measured_spread_of_each_round_trip():
    """``jitter=None`` (the default) gives each geo link sqrt(6) x the mean mdev of its two
    directions: two uniform draws in [0, jitter], one each way, then spread a round trip by
    jitter / sqrt(6), the standard deviation ping reports as mdev."""
    g = consortium_graph(5, "geo")
    assert list(consortium_graph(5, "geo", jitter=None).edges(data=True)) == list(g.edges(data=True))
    for a, b, data in g.edges(data=True):
        pair = frozenset({g.nodes[a]["city"], g.nodes[b]["city"]})
        there, back = GEO_RTT_MDEV_MS[pair]
        assert data["jitter"] == geo_jitter(*pair) == math.sqrt(6) * (there + back) / 2 / 1000
        assert data["latency"] == GEO_RTT_MS[pair] / 2 / 1000  # the jitter adds to the cited figure
    assert GEO_RTT_MDEV_MS[frozenset({"Shanghai", "Frankfurt"})] == (12.478, 8.941)
    assert GEO_RTT_MDEV_MS[frozenset({"Frankfurt", "Virginia"})] == (0.389, 0.42)
    assert g.edges["v2", "v4"]["jitter"] == pytest.approx(0.026233, abs=1e-6)  # Frankfurt-Shanghai
    assert g.edges["v2", "v3"]["jitter"] == pytest.approx(0.000991, abs=1e-6)  # Frankfurt-Virginia
    # the conversion: simulated round trips spread as the measured ones did
    rng = random.Random(0)
    spread = geo_jitter("Shanghai", "Frankfurt")
    rtts = [(rng.random() + rng.random()) * spread for _ in range(20_000)]
    mean = sum(rtts) / len(rtts)
    sd = math.sqrt(sum((r - mean) ** 2 for r in rtts) / len(rtts))
    assert sd * 1000 == pytest.approx(sum(GEO_RTT_MDEV_MS[frozenset({"Shanghai", "Frankfurt"})]) / 2, rel=0.03)


def test_an_explicit_jitter_overrides_the_sourced_default():
    for value in (0.0, 0.005, 0.02):
        g = consortium_graph(5, "geo", jitter=value)
        assert {d["jitter"] for _, _, d in g.edges(data=True)} == {value}
    for shape in ("mesh", "ring", "star", "random"):
        g = consortium_graph(6, shape, seed=2)
        assert {d["jitter"] for _, _, d in g.edges(data=True)} == {DEFAULT_JITTER} == {0.005}
        assert {d["jitter"] for _, _, d in consortium_graph(6, shape, jitter=0.0, seed=2).edges(data=True)} == {0.0}
    with pytest.raises(ValueError, match="jitter must be >= 0"):
        consortium_graph(5, "geo", jitter=-0.001)


def test_every_geo_figure_names_its_source():
    assert set(GEO_RTT_SOURCE) == set(GEO_RTT_MS)
    for pair, source in GEO_RTT_SOURCE.items():
        assert source == ("wonderproxy" if "Shanghai" in pair else "azure")
    assert "learn.microsoft.com/azure/networking/azure-network-latency" in GEO_SOURCES["azure"]
    assert "P95" in GEO_SOURCES["azure"]
    assert "wonderproxy.com/blog/a-day-in-the-life-of-the-internet" in GEO_SOURCES["wonderproxy"]
    assert "19-20 July 2020" in GEO_SOURCES["wonderproxy"]
    assert "median" in GEO_SOURCES["wonderproxy"]


def test_geo_ledger_commits_no_faster_than_its_quorum_round_trips():
    """A block needs proposal, prepares and commits from a quorum: three message delays, two of
    them waiting for the (quorum - 1)-th nearest peer. On the geo preset that is at least
    2 x 89.5 ms + 20.25 ms; on a 20 ms mesh the same transaction commits far sooner."""
    sim = Simulation(seed=11)
    ledger = ConsortiumLedger(sim, n_validators=4, shape="geo", jitter=0.0)
    g, q = ledger.graph, ledger.validator_set.quorum
    one_way = {frozenset((a, b)): d["latency"] for a, b, d in g.edges(data=True)}
    nearest = min(sorted(one_way[frozenset((v, w))] for w in g.nodes if w != v)[q - 2] for v in g.nodes)
    lower = 2 * nearest + min(one_way.values())
    upper = ledger.config.gossip_interval + 4 * max(one_way.values())
    assert nearest == pytest.approx(0.0895)
    ledger.settle(_register(ledger, "warm-up"))
    sim.run(until=sim.now + 2 * ledger.config.block_period)
    handle = _register(ledger, "geo")
    ledger.settle(handle)
    geo = _commit_time(ledger, handle) - handle.submitted_at
    assert lower <= geo <= upper, (lower, geo, upper)

    mesh_sim = Simulation(seed=11)
    mesh = ConsortiumLedger(mesh_sim, n_validators=4, shape="mesh", latency=0.02, jitter=0.0)
    mesh.settle(_register(mesh, "warm-up"))
    mesh_sim.run(until=mesh_sim.now + 2 * mesh.config.block_period)
    fast = _register(mesh, "mesh")
    mesh.settle(fast)
    assert _commit_time(mesh, fast) - fast.submitted_at < lower


def test_five_validator_geo_ledger_commits_within_its_quorum_path_delays():
    """With Shanghai, messages follow the lowest-latency path: Shanghai-Singapore (204.7 ms
    measured directly) relays through Hong Kong (37.7 + 40.5 ms). Bounds as above, on the
    path delays rather than the direct links."""
    sim = Simulation(seed=11)
    g = consortium_graph(5, "geo", jitter=0.0)
    ledger = ConsortiumLedger(sim, n_validators=5, graph=g)
    q = ledger.validator_set.quorum
    assert q == 4
    path = dict(nx.all_pairs_dijkstra_path_length(g, weight="latency"))
    assert path["v4"]["v1"] == pytest.approx((GEO_RTT_MS[frozenset({"Shanghai", "Hong Kong"})] + 40.5) / 2000)
    assert path["v4"]["v1"] < g.edges["v4", "v1"]["latency"]
    nearest = min(sorted(path[v][w] for w in g.nodes if w != v)[q - 2] for v in g.nodes)
    lower = 2 * nearest + min(path[v][w] for v in g.nodes for w in g.nodes if w != v)
    upper = ledger.config.gossip_interval + 4 * max(max(d.values()) for d in path.values())
    ledger.settle(_register(ledger, "warm-up"))
    sim.run(until=sim.now + 2 * ledger.config.block_period)
    handle = _register(ledger, "geo")
    ledger.settle(handle)
    geo = _commit_time(ledger, handle) - handle.submitted_at
    assert lower <= geo <= upper, (lower, geo, upper)


def test_geo_round_trips_are_symmetric_and_cover_every_pair():
    pairs = {frozenset(p) for p in itertools.combinations(GEO_CITIES, 2)}
    assert len(pairs) == 10
    assert set(GEO_RTT_MS) == set(GEO_RTT_MDEV_MS) == pairs
    assert all(0 < rtt < 400 for rtt in GEO_RTT_MS.values())
    assert all(0 < mdev < 20 for spread in GEO_RTT_MDEV_MS.values() for mdev in spread)

"""Topology presets: each builds, has the kinds of node its design names, and can be drawn by hand."""

from __future__ import annotations

import networkx as nx
import pytest

from rwasim.topology import (
    TOPOLOGIES,
    add_consortium,
    add_cross_space,
    add_ethereum,
    add_lane,
    add_participant,
    add_space,
    describe_system,
    lanes,
    new_system,
    topology_preset,
    validate_system,
    venues,
)

EXPECTED = {  # kind -> count, per preset with its defaults (4 validators, 2 relayers per lane, 2 hub ledgers)
    "consortium-only": {"chain": 1, "space": 0, "validator": 4, "relayer": 0},
    "public-only": {"chain": 1, "space": 0, "validator": 0, "relayer": 0},
    "bridged": {"chain": 2, "space": 0, "validator": 4, "relayer": 2},
    "dual-space": {"chain": 1, "space": 2, "validator": 0, "relayer": 0},
    "hub": {"chain": 3, "space": 0, "validator": 8, "relayer": 4},
}


@pytest.mark.parametrize("name", TOPOLOGIES)
def test_each_preset_builds_with_the_expected_kinds_of_node(name):
    g = topology_preset(name)
    counts = describe_system(g)
    assert {k: counts[k] for k in EXPECTED[name]} == EXPECTED[name]
    assert counts["participant"] >= 3  # issuer(s), investors, regulator
    assert g.graph["topology"] == name
    validate_system(g)


def test_preset_details_match_the_design():
    bridged = topology_preset("bridged", validators=7, relayers=3, verifier="committee", finality="confirmations=6")
    assert venues(bridged) == ["consortium", "ethereum"]
    assert lanes(bridged) == [
        {
            "consortium": "consortium",
            "ethereum": "ethereum",
            "lane": 1,
            "verifier": "committee",
            "relayers": 3,
            "batch_size": 50,
        }
    ]
    assert describe_system(bridged)["validator"] == 7
    assert bridged.nodes["ethereum"]["finality"] == "confirmations=6"

    dual = topology_preset("dual-space")
    cross = [(a, b) for a, b, d in dual.edges(data=True) if d["kind"] == "cross_space"]
    assert len(cross) == 1 and not lanes(dual)  # joined by the atomic call, not by a bridge
    assert {dual.nodes[s]["permissioned"] for s in ("permissioned-space", "evm-space")} == {True, False}

    hub = topology_preset("hub", hub_consortia=3)
    assert [lane["consortium"] for lane in lanes(hub)] == ["consortium-a", "consortium-b", "consortium-c"]
    assert {lane["ethereum"] for lane in lanes(hub)} == {"ethereum"}

    assert not [n for n, d in topology_preset("consortium-only").nodes(data=True) if d.get("chain") == "ethereum"]


def test_regulator_sees_the_public_chain_only_with_an_indexer():
    assert topology_preset("bridged").nodes["regulator"]["sees"] == ["consortium"]
    assert topology_preset("bridged", regulator_indexer=True).nodes["regulator"]["sees"] == ["consortium", "ethereum"]


def test_validator_links_carry_the_chosen_latency_and_shape():
    g = topology_preset("consortium-only", validators=5, shape="ring", latency=0.05)
    links = [d for _, _, d in g.edges(data=True) if d["kind"] == "link"]
    assert len(links) == 5 and all(d["latency"] == 0.05 for d in links)


def test_a_preset_can_be_drawn_by_hand():
    g = new_system("bridged")
    add_consortium(g, "consortium")
    add_ethereum(g, "ethereum")
    add_lane(g, "consortium", "ethereum", lane=1)
    add_participant(g, "issuer", "issuer", ["consortium", "ethereum"])
    add_participant(g, "investors", "investors", ["consortium", "ethereum"])
    add_participant(g, "regulator", "regulator", [], sees=["consortium"])
    assert nx.utils.graphs_equal(g, topology_preset("bridged"))  # same nodes, edges and attributes


def test_mistakes_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="unknown topology"):
        topology_preset("star-of-david")
    g = new_system("x")
    add_ethereum(g, "ethereum")
    add_space(g, "ethereum", "s1", permissioned=True)
    with pytest.raises(ValueError, match="consortium ledger to the Ethereum"):
        add_lane(g, "ethereum", "ethereum", lane=1)
    other = new_system("y")
    add_ethereum(other, "eth-a")
    add_ethereum(other, "eth-b")
    add_space(other, "eth-a", "a", permissioned=True)
    add_space(other, "eth-b", "b", permissioned=False)
    with pytest.raises(ValueError, match="two spaces of one chain"):
        add_cross_space(other, "a", "b")
    with pytest.raises(ValueError, match="one public chain"):
        validate_system(other)
    with pytest.raises(ValueError, match="unknown verifier"):
        topology_preset("bridged", verifier="trust-me")

"""System topologies: which chains, validators, relayers and participants a run is made of.

A *system* graph says what a run is made of, not how messages route inside one consortium
(that is :mod:`rwasim.consortium.shapes`): its nodes carry ``kind`` (chain, space, validator,
relayer, participant) and its edges carry ``kind`` (runs, link, lane, cross_space, relays,
uses). The presets below are the five topologies researchers compare; the builder functions
let anyone draw another by hand, and :mod:`rwasim.topology_workload` instantiates whatever the
graph describes on the simulation.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from rwasim.consortium.node import BESU_BLOCK_PERIOD
from rwasim.consortium.shapes import consortium_graph
from rwasim.ethereum.finality import FinalityPolicy

TOPOLOGIES = ("consortium-only", "public-only", "bridged", "dual-space", "hub")
NODE_KINDS = ("chain", "space", "validator", "relayer", "participant")
CHAIN_KINDS = ("consortium", "ethereum")
VERIFIERS = ("quorum", "committee", "optimistic")


def new_system(name: str) -> nx.Graph:
    """An empty system graph named ``name`` (the topology name in reports)."""
    g = nx.Graph()
    g.graph["topology"] = name
    return g


def _require(g: nx.Graph, node: str, kind: str) -> None:
    if node not in g or g.nodes[node].get("kind") != kind:
        raise ValueError(f"{node!r} is not a {kind} of topology {g.graph.get('topology')!r}")


def add_consortium(
    g: nx.Graph,
    name: str,
    *,
    validators: int = 4,
    shape: str = "mesh",
    latency: float = 0.02,
    jitter: float | None = None,
    block_period: float = BESU_BLOCK_PERIOD,
    issuer: str = "issuer",
    seed: int | None = 0,
) -> str:
    """Add a consortium ledger ``name`` with its validators and their links.

    Validators are named ``{name}/v0 ..``; their links come from :func:`consortium_graph`
    (``shape``, ``latency``, ``jitter``; ``jitter=None`` is the sourced per-link figure on
    ``geo`` and 5 ms elsewhere), so the ledger built from this graph routes its messages
    exactly as drawn. ``issuer`` names the organisation that issues on it.
    """
    if validators < 1:
        raise ValueError("a consortium needs at least one validator")
    if block_period <= 0:
        raise ValueError("block_period must be > 0")
    g.add_node(
        name,
        kind="chain",
        chain="consortium",
        block_period=float(block_period),
        issuer=issuer,
        validators=int(validators),
        shape=shape,
        latency=float(latency),
        jitter="sourced" if jitter is None else float(jitter),
    )
    links = consortium_graph(validators, shape, latency=latency, jitter=jitter, seed=seed)
    for v in links.nodes:
        g.add_node(f"{name}/{v}", kind="validator", chain=name, local=v, **links.nodes[v])
        g.add_edge(f"{name}/{v}", name, kind="runs")
    for a, b, data in links.edges(data=True):
        g.add_edge(f"{name}/{a}", f"{name}/{b}", kind="link", **data)
    return name


def add_ethereum(
    g: nx.Graph,
    name: str = "ethereum",
    *,
    slot_seconds: float = 12.0,
    finality: str = "finalized",
    identity: bool = True,
) -> str:
    """Add the public EVM chain ``name``.

    ``finality`` is the policy its lanes wait for before acting on an Ethereum event
    (``finalized``, ``safe`` or ``confirmations=N``; see :mod:`rwasim.ethereum.finality`);
    ``identity`` says on-chain identity and compliance are deployed.
    """
    if slot_seconds <= 0:
        raise ValueError("slot_seconds must be > 0")
    g.add_node(
        name,
        kind="chain",
        chain="ethereum",
        slot_seconds=float(slot_seconds),
        finality=str(FinalityPolicy.parse(finality)),
        identity=bool(identity),
    )
    return name


def add_space(g: nx.Graph, chain: str, name: str, *, permissioned: bool) -> str:
    """Add a space of ``chain`` (Conflux-style): a permissioned space or an open EVM space."""
    _require(g, chain, "chain")
    g.add_node(name, kind="space", chain=chain, permissioned=bool(permissioned))
    g.add_edge(name, chain, kind="runs")
    return name


def add_cross_space(g: nx.Graph, a: str, b: str) -> None:
    """Join two spaces of one chain by the internal atomic cross-space call (no bridge)."""
    _require(g, a, "space")
    _require(g, b, "space")
    if g.nodes[a]["chain"] != g.nodes[b]["chain"]:
        raise ValueError("a cross-space call joins two spaces of one chain; use a lane between chains")
    g.add_edge(a, b, kind="cross_space", atomic=True)


def add_lane(
    g: nx.Graph,
    consortium: str,
    ethereum: str,
    *,
    lane: int,
    verifier: str = "quorum",
    relayers: int = 2,
    batch_size: int = 50,
) -> str:
    """Join a consortium ledger to the public chain by a bridge lane with ``relayers`` relayers."""
    _require(g, consortium, "chain")
    _require(g, ethereum, "chain")
    if g.nodes[consortium]["chain"] != "consortium" or g.nodes[ethereum]["chain"] != "ethereum":
        raise ValueError("a lane joins a consortium ledger to the Ethereum chain")
    if verifier not in VERIFIERS:
        raise ValueError(f"unknown verifier {verifier!r}; choose one of {', '.join(VERIFIERS)}")
    if relayers < 1 or batch_size < 1:
        raise ValueError("a lane needs at least one relayer and a batch size >= 1")
    if any(d.get("kind") == "lane" and d.get("lane") == lane for _, _, d in g.edges(data=True)):
        raise ValueError(f"lane {lane} is already used")
    g.add_edge(
        consortium,
        ethereum,
        kind="lane",
        lane=int(lane),
        verifier=verifier,
        relayers=int(relayers),
        batch_size=int(batch_size),
    )
    for i in range(relayers):
        relayer = f"lane-{lane}/relayer-{i}"
        g.add_node(relayer, kind="relayer", lane=int(lane))
        g.add_edge(relayer, consortium, kind="relays")
        g.add_edge(relayer, ethereum, kind="relays")
    return f"lane-{lane}"


def add_participant(g: nx.Graph, name: str, role: str, uses: list[str], *, sees: list[str] | None = None) -> str:
    """Add a participant (issuer, investors, custodian, regulator) and the venues it uses.

    ``sees`` lists the venues whose transfers it observes in real time (a regulator's member
    seat on a consortium or a permissioned space, or a node/indexer it runs on a public chain).
    """
    for venue in uses + list(sees or []):
        if venue not in g or g.nodes[venue].get("kind") not in ("chain", "space"):
            raise ValueError(f"participant {name!r} names {venue!r}, which is no chain or space of this topology")
    g.add_node(name, kind="participant", role=role, sees=sorted(sees or []))
    for venue in uses:
        g.add_edge(name, venue, kind="uses")
    return name


def venues(g: nx.Graph) -> list[str]:
    """Where units can be held: consortium ledgers, spaces, and a public chain without spaces (sorted)."""
    spaced = {d["chain"] for _, d in g.nodes(data=True) if d.get("kind") == "space"}
    return sorted(
        n for n, d in g.nodes(data=True) if d.get("kind") == "space" or (d.get("kind") == "chain" and n not in spaced)
    )


def nodes_of_kind(g: nx.Graph, kind: str) -> list[str]:
    """Node names of one ``kind``, sorted."""
    return sorted(n for n, d in g.nodes(data=True) if d.get("kind") == kind)


def lanes(g: nx.Graph) -> list[dict]:
    """Every bridge lane as a dict (consortium, ethereum, lane, verifier, relayers, batch_size), by lane."""
    found = []
    for a, b, d in g.edges(data=True):
        if d.get("kind") == "lane":
            consortium, ethereum = (a, b) if g.nodes[a]["chain"] == "consortium" else (b, a)
            found.append(
                {"consortium": consortium, "ethereum": ethereum, **{k: v for k, v in d.items() if k != "kind"}}
            )
    return sorted(found, key=lambda lane: lane["lane"])


def validate_system(g: nx.Graph) -> None:
    """Raise ValueError unless ``g`` is a usable system: known kinds, at most one public chain,
    at least one venue, every consortium with validators, connected venues."""
    for n, d in g.nodes(data=True):
        if d.get("kind") not in NODE_KINDS:
            raise ValueError(f"node {n!r} has unknown kind {d.get('kind')!r}")
    if len([n for n in nodes_of_kind(g, "chain") if g.nodes[n]["chain"] == "ethereum"]) > 1:
        raise ValueError("a run holds one public chain")
    if not venues(g):
        raise ValueError("a topology needs at least one chain")
    for chain in nodes_of_kind(g, "chain"):
        if g.nodes[chain]["chain"] == "consortium" and not any(
            g.nodes[v].get("kind") == "validator" for v in g.neighbors(chain)
        ):
            raise ValueError(f"consortium {chain!r} has no validators")
    chains = nodes_of_kind(g, "chain") + nodes_of_kind(g, "space")
    if not nx.is_connected(g.subgraph(chains + nodes_of_kind(g, "relayer"))):
        raise ValueError("the chains of a topology must be joined (by lanes or spaces)")


def topology_preset(
    name: str,
    *,
    validators: int = 4,
    shape: str = "mesh",
    latency: float = 0.02,
    jitter: float | None = None,
    block_period: float = BESU_BLOCK_PERIOD,
    slot_seconds: float = 12.0,
    finality: str = "finalized",
    verifier: str = "quorum",
    relayers: int = 2,
    batch_size: int = 50,
    hub_consortia: int = 2,
    regulator_indexer: bool = False,
) -> nx.Graph:
    """One of :data:`TOPOLOGIES` as a system graph, with the researcher's parameters.

    ``consortium-only``: one permissioned ledger, no public chain. ``public-only``: everything
    on Ethereum with on-chain identity and compliance. ``bridged``: a consortium ledger and
    Ethereum joined by one bridge lane. ``dual-space``: one public chain with a permissioned
    space and an EVM space under one consensus, joined by the atomic cross-space call.
    ``hub``: ``hub_consortia`` consortium ledgers (one per issuer) around Ethereum, one lane
    each. The regulator sees consortium ledgers and permissioned spaces as a member; it sees
    the public chain only if ``regulator_indexer`` (it runs a node and an indexer there).
    """
    if name not in TOPOLOGIES:
        raise ValueError(f"unknown topology {name!r}; choose one of {', '.join(TOPOLOGIES)}")
    g = new_system(name)
    cons: dict[str, Any] = dict(
        validators=validators, shape=shape, latency=latency, jitter=jitter, block_period=block_period
    )
    eth: dict[str, Any] = dict(slot_seconds=slot_seconds, finality=finality)
    lane: dict[str, Any] = dict(verifier=verifier, relayers=relayers, batch_size=batch_size)
    if name == "consortium-only":
        add_consortium(g, "consortium", **cons)
        members, public = ["consortium"], []
    elif name == "public-only":
        add_ethereum(g, "ethereum", **eth)
        members, public = [], ["ethereum"]
    elif name == "bridged":
        add_consortium(g, "consortium", **cons)
        add_ethereum(g, "ethereum", **eth)
        add_lane(g, "consortium", "ethereum", lane=1, **lane)
        members, public = ["consortium"], ["ethereum"]
    elif name == "dual-space":
        add_ethereum(g, "ethereum", **eth)
        add_space(g, "ethereum", "permissioned-space", permissioned=True)
        add_space(g, "ethereum", "evm-space", permissioned=False)
        add_cross_space(g, "permissioned-space", "evm-space")
        members, public = ["permissioned-space"], ["evm-space"]
    else:
        if hub_consortia < 1:
            raise ValueError("a hub needs at least one consortium ledger")
        add_ethereum(g, "ethereum", **eth)
        members = []
        for i in range(hub_consortia):
            ledger = f"consortium-{chr(ord('a') + i)}"
            add_consortium(g, ledger, issuer=f"issuer-{chr(ord('a') + i)}", seed=i, **cons)
            add_lane(g, ledger, "ethereum", lane=i + 1, **lane)
            members.append(ledger)
        public = ["ethereum"]
    for issuer in sorted({g.nodes[m].get("issuer", "issuer") for m in members} or {"issuer"}):
        add_participant(g, issuer, "issuer", members + public)
    add_participant(g, "investors", "investors", members + public)
    add_participant(g, "regulator", "regulator", [], sees=members + (public if regulator_indexer else []))
    validate_system(g)
    return g


def describe_system(g: nx.Graph) -> dict[str, int]:
    """Counts of nodes by kind (for reports and tests)."""
    counts = {kind: 0 for kind in NODE_KINDS}
    for _, d in g.nodes(data=True):
        counts[d["kind"]] += 1
    return counts

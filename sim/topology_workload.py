"""One issuance-and-trading workload on any system topology, and the figures a researcher compares.

:func:`run_workload` takes a system graph from :mod:`rwasim.topology` (a preset or one drawn by
hand), builds what it describes on the run (consortium ledgers, the public chain, bridge
lanes, the two spaces of a dual-space chain and their :file:`CrossSpace` contract), then
drives the same workload on it:

1. a seeded investor population (:func:`rwasim.agents.draw_investors`) is placed on the venues
   the topology offers and onboarded (KYC written to each venue's identity records);
2. the licensed issuer issues the note to the eligible ones (the product's classes and
   countries, enforced by each venue's own compliance);
3. seeded secondary trades arrive over simulated time; a share of them crosses venues where
   the topology joins them (a bridge lane, or the atomic cross-space call);
4. a fault may strike during trading (a relayer crash, a validator crash, a bridge pause).

Every operation is followed from submission to its outcome on chain, and the figures in
:func:`collect_metrics` come from those outcomes: latency percentiles and throughput per
operation kind, time to finality, gas and fees at a stated gas price, failed settlements,
reach, value at risk and time to detection, messages and bytes per node, and the
regulator's real-time visibility. All draws come from the run seed; nothing reads the wall
clock.

Reach model (stated, because it drives the reach figure): an investor keeps assets on one
venue (``InvestorProfile.chain``): an account with a member of a consortium, or a wallet on
the public chain. A consortium ledger or a permissioned space admits only the clients of its
members (consortium-venue investors); the public chain takes anyone except investors from
countries barred from public-chain assets (``public_barred``). Where the topology has no
consortium venue, consortium-venue investors hold through a custodian's wallet on the public
chain. An investor can hold the product when placed on a venue and eligible under its rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from rwasim.agents import Licences, LicensedIssuer, draw_investors
from rwasim.agents.investors import CLASSES, COUNTRIES, InvestorProfile
from rwasim.agents.note import EthereumHolderIndex
from rwasim.consortium.node import BESU_BLOCK_PERIOD, BESU_TX_TIME
from rwasim.consortium.shapes import SHAPES
from rwasim.ethereum.fees import (
    DEFAULT_TIP,
    GWEI,
    MAINNET_GAS_LIMIT,
    MEAN_UTILISATION,
    MISSED_SLOT_RATE,
    REFERENCE_BASE_FEE,
    REORG_RATE,
    FeeMarket,
)
from rwasim.ethereum.finality import FINALITY_CHOICES, FinalityPolicy
from rwasim.metrics import percentile
from rwasim.params import Param, defaults
from rwasim.supervision import SUPERVISION_PARAMS, Supervision, metric_domains
from rwasim.supervision import flatten as supervision_metrics
from rwasim.topology import (
    TOPOLOGIES,
    VERIFIERS,
    lanes,
    nodes_of_kind,
    topology_preset,
    validate_system,
    venues,
)

OP_KINDS = ("onboard", "issue", "trade", "cross")
FAULTS = ("none", "relayer_crash", "validator_crash", "bridge_pause", "congestion", "finality_delay")
ISSUER_COUNTRY = 344

#: Block space, fees, imperfect chains, consortium capacity and offered load (mainnet today by
#: default; see :mod:`rwasim.ethereum.fees` for the sources).
BLOCK_SPACE_PARAMS: dict[str, Param] = {
    "gas_limit": Param(MAINNET_GAS_LIMIT, min=1_000_000, max=10**9, help="Ethereum block gas limit (mainnet's)"),
    "background_demand": Param(
        MEAN_UTILISATION, min=0.0, max=4.0, help="other users' gas demand, share of the limit at the reference fee"
    ),
    "reference_base_fee_gwei": Param(
        REFERENCE_BASE_FEE / GWEI, min=0.0, max=10_000.0, help="base fee at which the others want that share, gwei"
    ),
    "tip_gwei": Param(DEFAULT_TIP / GWEI, min=0.0, max=10_000.0, help="our priority fee per gas, gwei"),
    "missed_slot_rate": Param(MISSED_SLOT_RATE, min=0.0, max=0.5, help="probability a slot's proposer misses it"),
    "reorg_rate": Param(REORG_RATE, min=0.0, max=0.5, help="probability a block is reorged out (depth 1, rarely 2)"),
    "congestion_extra": Param(
        1.5, min=0.0, max=4.0, help="the congestion fault: others' extra demand, in gas limits per slot"
    ),
    "consortium_tx_time": Param(
        BESU_TX_TIME, min=0.0, max=1.0, help="seconds to execute one consortium transaction (Besu-calibrated)"
    ),
    "load_tps": Param(0.0, min=0.0, max=2000.0, help="offered background load of our users on Ethereum, tx/s"),
}

#: Defaults of the workload; ``scenarios/topology_study.py`` exposes them as its PARAMS.
WORKLOAD_PARAMS: dict[str, Param] = {
    "topology": Param("bridged", choices=TOPOLOGIES, help="the system topology preset the workload runs on"),
    "investors": Param(40, min=1, max=500, help="investors drawn from the seed"),
    "ethereum_share": Param(0.5, min=0.0, max=1.0, help="share of investors keeping assets on the public chain"),
    "class_weights": Param(
        [0.6, 0.25, 0.15],
        min=0.0,
        max=1000.0,
        min_items=len(CLASSES),
        max_items=len(CLASSES),
        min_sum=0.001,
        help="draw weights of the investor classes " + ", ".join(CLASSES),
    ),
    "country_weights": Param(
        [0.5, 0.25, 0.1, 0.1, 0.05],
        min=0.0,
        max=1000.0,
        min_items=len(COUNTRIES),
        max_items=len(COUNTRIES),
        min_sum=0.001,
        help="draw weights of the investor countries " + ", ".join(map(str, COUNTRIES)),
    ),
    "classes": Param(
        ["professional", "accredited"],
        choices=CLASSES,
        min_items=1,
        unique=True,
        help="investor classes the note admits",
    ),
    "countries": Param(
        [344, 702, 156, 826], choices=COUNTRIES, min_items=1, unique=True, help="investor countries the note admits"
    ),
    "public_barred": Param(
        [156],
        choices=COUNTRIES,
        min_items=0,
        unique=True,
        help="countries whose investors may not hold on a public chain",
    ),
    "trades_per_investor": Param(1.0, min=0.0, max=20.0, help="secondary trades per eligible holder"),
    "cross_share": Param(0.2, min=0.0, max=1.0, help="share of trades that cross venues where the topology joins them"),
    "trade_interval": Param(2.0, min=0.1, max=3600.0, help="mean seconds between trades (exponential)"),
    "max_trade": Param(50, min=1, max=10**6, help="most units in one trade"),
    "validators": Param(4, min=1, max=16, help="validators of each consortium ledger"),
    "shape": Param("mesh", choices=SHAPES, help="how a consortium's validators are linked"),
    "link_latency": Param(0.02, min=0.0, max=1.0, help="one-way latency of a validator link, seconds"),
    "link_jitter": Param(
        -1.0,
        min=-1.0,
        max=0.5,
        help="random extra delay of a validator link, seconds (-1: the sourced figure on geo links, 0.005 elsewhere)",
    ),
    "block_period": Param(
        BESU_BLOCK_PERIOD, min=0.1, max=60.0, help="least seconds between consortium blocks (Besu's QBFT default)"
    ),
    "eth_slot": Param(12.0, min=1.0, max=60.0, help="seconds between Ethereum blocks"),
    "finality": Param(
        "finalized",
        choices=FINALITY_CHOICES,
        help="what a lane waits for on Ethereum before acting on a burn (Casper finalized, safe, or N slots)",
    ),
    "verifier": Param("quorum", choices=VERIFIERS, help="how the Ethereum gateway checks consortium messages"),
    "relayers": Param(2, min=1, max=8, help="relayers per bridge lane"),
    "batch_size": Param(50, min=1, max=500, help="messages a relayer carries in one transaction"),
    "hub_consortia": Param(2, min=1, max=8, help="consortium ledgers around Ethereum in the hub topology"),
    "regulator_indexer": Param(False, help="the regulator runs a node and an indexer on the public chain"),
    "fault": Param("none", choices=FAULTS, help="the fault that strikes during trading"),
    "fault_at": Param(60.0, min=0.0, max=86_400.0, help="seconds into trading the fault strikes"),
    "fault_duration": Param(300.0, min=0.0, max=86_400.0, help="seconds the fault lasts"),
    "watch_interval": Param(5.0, min=0.1, max=3600.0, help="seconds between the watchdog's looks for value at risk"),
    "eth_usd": Param(3000.0, min=0.0, max=1e6, help="USD per ETH for the cost figures"),
    "consortium_fee_usd": Param(
        0.0, min=0.0, max=1000.0, help="USD fee per consortium transaction for the cost figures"
    ),
    **BLOCK_SPACE_PARAMS,
    **SUPERVISION_PARAMS,
}
#: Plain defaults of the workload (what ``run_workload`` falls back to).
WORKLOAD_DEFAULTS: dict[str, Any] = defaults(WORKLOAD_PARAMS)


def graph_from_params(p: dict[str, Any]) -> nx.Graph:
    """The preset ``p["topology"]`` with the researcher's parameters."""
    if p["topology"] not in TOPOLOGIES:
        raise ValueError(f"unknown topology {p['topology']!r}; choose one of {', '.join(TOPOLOGIES)}")
    return topology_preset(
        p["topology"],
        validators=p["validators"],
        shape=p["shape"],
        latency=p["link_latency"],
        jitter=None if p["link_jitter"] < 0 else p["link_jitter"],
        block_period=p["block_period"],
        slot_seconds=p["eth_slot"],
        finality=p["finality"],
        verifier=p["verifier"],
        relayers=p["relayers"],
        batch_size=p["batch_size"],
        hub_consortia=p["hub_consortia"],
        regulator_indexer=p["regulator_indexer"],
    )


def _ints(values: Any) -> list[int]:
    return [int(v) for v in values]


def _floats(values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


# ---- what the workload builds and follows ------------------------------------------------------------
@dataclass
class Book:
    """Where units of a note are recorded: an asset on a consortium ledger, or a token on the public
    chain (the chain itself, or one of its spaces). ``venue`` is the graph node it lives on."""

    name: str
    kind: str  # "consortium" or "evm"
    venue: str
    permissioned: bool
    ledger: Any = None
    issuer: Any = None  # the LicensedIssuer whose note this is
    asset_id: str = ""
    suite: Any = None
    lane: int | None = None  # the bridge lane that fills this book (a wrapped token) or leaves it


@dataclass
class Holder:
    """One investor of the population, where it was placed, and the units the workload knows it holds."""

    profile: InvestorProfile
    book: str | None = None
    eligible: bool = False
    client: Any = None
    wallet: str | None = None
    available: int = 0

    @property
    def account(self) -> str:
        """Its consortium holder address, else its Ethereum wallet; ValueError before it is onboarded anywhere."""
        if self.client is not None:
            return self.client.holder
        if self.wallet is None:
            raise ValueError(f"investor {self.profile.name} has no account yet: it is not onboarded on a book")
        return self.wallet

    @property
    def book_name(self) -> str:
        """The book it was placed on; ValueError for an investor placed nowhere."""
        if self.book is None:
            raise ValueError(f"investor {self.profile.name} was placed on no book")
        return self.book


@dataclass
class Op:
    """One operation followed from submission to its outcome on chain."""

    kind: str
    source: str
    dest: str
    value: int
    submitted_at: float
    bound: float
    seller: Holder | None = None
    buyer: Holder | None = None
    done: bool = False
    ok: bool = False
    done_at: float = 0.0
    final_at: float = 0.0
    reason: str = ""
    overdue: bool = False
    direction: str = ""  # "to_ethereum" / "to_consortium" for a crossing over a bridge lane


@dataclass
class World:
    """Everything one run built, and what it saw."""

    ctx: Any
    p: dict[str, Any]
    graph: nx.Graph
    books: dict[str, Book] = field(default_factory=dict)
    ledgers: dict[str, Any] = field(default_factory=dict)
    chain: Any = None
    bridges: dict[int, Any] = field(default_factory=dict)
    cross: Any = None
    guardian: str | None = None
    holders: list[Holder] = field(default_factory=list)
    accounts: list[Holder] = field(default_factory=list)  # accounts opened beyond the population (supervision)
    stopped_by_regulator: Any = None  # op -> bool: a settlement the regulator's own action made fail
    ops: list[Op] = field(default_factory=list)
    setup_receipts: int = 0
    load: Any = None  # the offered load on Ethereum (start_load)
    alerts: list[tuple[float, str]] = field(default_factory=list)
    fault_at: float | None = None
    fault_end: float | None = None
    fault_applies: bool = False
    peak_at_risk: int = 0
    trades_skipped: int = 0
    watching: bool = True

    @property
    def sim(self) -> Any:
        return self.ctx.sim

    def alert(self, name: str, **data: Any) -> None:
        self.alerts.append((self.sim.now, name))
        self.ctx.alert(name, **data)


def _rules(p: dict[str, Any]) -> dict[str, list]:
    return {"investor_classes": sorted(p["classes"]), "countries": sorted(_ints(p["countries"]))}


def build_world(ctx: Any, graph: nx.Graph, p: dict[str, Any]) -> World:
    """Build the chains, notes, lanes and spaces ``graph`` describes."""
    validate_system(graph)
    world = World(ctx, p, graph)
    sim = ctx.sim
    has_public = any(graph.nodes[c]["chain"] == "ethereum" for c in nodes_of_kind(graph, "chain"))
    chain = world.chain = ctx.ethereum if has_public else None
    if chain is not None:
        configure_block_space(chain, p)
    for name in nodes_of_kind(graph, "chain"):
        node = graph.nodes[name]
        if node["chain"] != "consortium":
            continue
        validators = nx.Graph()
        for v in sorted(n for n in graph.neighbors(name) if graph.nodes[n].get("kind") == "validator"):
            validators.add_node(graph.nodes[v]["local"])
        for a, b, data in graph.edges(data=True):
            if data.get("kind") == "link" and graph.nodes[a].get("chain") == name:
                validators.add_edge(
                    graph.nodes[a]["local"], graph.nodes[b]["local"], **{k: v for k, v in data.items() if k != "kind"}
                )
        from rwasim.consortium.node import ConsensusConfig

        ledger = ctx.consortium(
            name,
            n_validators=validators.number_of_nodes(),
            graph=validators,
            config=ConsensusConfig(block_period=node["block_period"], tx_time=p["consortium_tx_time"]),
            log_transactions=True,
        )
        world.ledgers[name] = ledger
        issuer = LicensedIssuer(sim, node["issuer"], Licences.hong_kong_broker(), ledger=ledger, chain=chain)
        asset_id = f"NOTE-{name.upper()}"
        admin = issuer.on_consortium("the book's note")[1]
        handles = [
            admin.submit(
                "identity.register",
                {"holder": admin.holder, "country": ISSUER_COUNTRY, "investor_class": "professional"},
            ),
            admin.submit(
                "asset.register", {"asset_id": asset_id, "term_sheet_hash": "0x" + "ab" * 32, "rules": _rules(p)}
            ),
        ]
        ledger.settle(*handles)
        world.books[name] = Book(name, "consortium", name, True, ledger=ledger, issuer=issuer, asset_id=asset_id)
    modules = _rules(p)
    for info in lanes(graph):
        if chain is None:
            raise ValueError(f"lane {info['lane']} needs an Ethereum chain in the topology")
        book = world.books[info["consortium"]]
        bridge = ctx.bridge(
            book.ledger,
            asset_id=book.asset_id,
            lane=info["lane"],
            issuer=chain.accounts[0],
            verifier=info["verifier"],
            finality=graph.nodes[info["ethereum"]]["finality"],
            relayers=info["relayers"],
            batch_size=info["batch_size"],
            token={"name": f"Wrapped {book.asset_id}", "symbol": f"w{info['lane']}", "modules": modules},
        )
        world.bridges[info["lane"]] = bridge
        book.lane = info["lane"]
        name = f"{info['ethereum']}/lane-{info['lane']}"
        world.books[name] = Book(
            name, "evm", info["ethereum"], False, issuer=book.issuer, suite=bridge.end.suite, lane=info["lane"]
        )
    if chain is not None and not world.bridges:
        from rwasim.ethereum.suite import deploy_token_suite

        issuer = LicensedIssuer(sim, "issuer", Licences.hong_kong_broker(), chain=chain)
        spaces = nodes_of_kind(graph, "space")
        for venue in spaces or [n for n in venues(graph) if n not in world.books]:
            permissioned = bool(graph.nodes[venue].get("permissioned", False))
            suite = deploy_token_suite(
                chain,
                name=f"Note on {venue}",
                symbol=venue[:6].upper(),
                issuer=issuer.ethereum_account(),
                modules=modules,
            )
            world.books[venue] = Book(venue, "evm", venue, permissioned, issuer=issuer, suite=suite)
        joined = [(a, b) for a, b, d in graph.edges(data=True) if d.get("kind") == "cross_space"]
        if joined:
            permissioned_space = next(v for v in spaces if graph.nodes[v]["permissioned"])
            evm_space = next(v for v in spaces if not graph.nodes[v]["permissioned"])
            world.guardian = chain.accounts[1]
            world.cross = chain.deploy(
                "CrossSpace",
                world.books[permissioned_space].suite.token.address,
                world.books[evm_space].suite.token.address,
                world.guardian,
                sender=issuer.eth_account,
            )
            for venue in (permissioned_space, evm_space):
                chain.transact(
                    world.books[venue].suite.token, "addAgent", world.cross.address, sender=issuer.eth_account
                )
    world.setup_receipts = len(chain.receipts) if chain is not None else 0
    return world


def _joined(world: World, book: Book) -> list[Book]:
    """Books reachable from ``book`` by a lane or the cross-space call."""
    if book.lane is not None:
        return [b for b in world.books.values() if b.lane == book.lane and b is not book]
    if world.cross is not None and book.kind == "evm":
        return [b for b in world.books.values() if b.kind == "evm" and b is not book]
    return []


def place_investors(world: World, profiles: list[InvestorProfile]) -> None:
    """Put each investor on one book as the module's reach model says, and mark the eligible."""
    p = world.p
    members = [b for b in world.books.values() if b.permissioned]
    public = [b for b in world.books.values() if not b.permissioned]
    barred = set(_ints(p["public_barred"]))
    classes, countries = set(p["classes"]), set(_ints(p["countries"]))
    for i, profile in enumerate(profiles):
        if profile.chain == "consortium":
            choices = members or ([] if profile.country in barred else public)  # else a custodian's wallet
        else:
            choices = [] if profile.country in barred else public
        book = choices[i % len(choices)] if choices else None
        eligible = book is not None and profile.investor_class in classes and profile.country in countries
        world.holders.append(Holder(profile, book.name if book else None, eligible))


def onboard(world: World) -> None:
    """KYC on each holder's book: consortium identities by the issuer, registry claims on the EVM."""
    from rwasim.ethereum.suite import register_investors

    sim = world.sim
    for book in world.books.values():
        holders = [h for h in world.holders if h.book == book.name]
        if not holders:
            continue
        start = sim.now
        if book.kind == "consortium":
            onboarded = book.issuer.onboard([h.profile for h in holders])
            for holder, investor in zip(holders, onboarded):
                holder.client = investor.client
        else:
            registered: list[tuple[str, int, str]] = []
            for holder in holders:
                wallet: str = world.chain.new_account(f"{book.name}/{holder.profile.name}")
                holder.wallet = wallet
                registered.append((wallet, holder.profile.country, holder.profile.investor_class))
            register_investors(world.chain, book.suite, registered)
        for _holder in holders:
            world.ops.append(
                Op(
                    "onboard",
                    book.name,
                    book.name,
                    0,
                    start,
                    0.0,
                    done=True,
                    ok=True,
                    done_at=sim.now,
                    final_at=sim.now,
                )
            )


def issue(world: World) -> None:
    """The issuer issues each eligible holder its appetite on its book: minted on a ledger or a
    public token, or minted on the ledger and sent over the lane to a wrapped book."""
    ops: list[Op] = []
    for book in world.books.values():
        holders = [h for h in world.holders if h.book == book.name and h.eligible]
        if not holders:
            continue
        if book.kind == "consortium":
            client = book.issuer.client
            for h in holders:
                handle = client.submit(
                    "token.mint", {"asset_id": book.asset_id, "to": h.account, "amount": h.profile.appetite}
                )
                ops.append(
                    _follow_consortium(
                        world,
                        Op("issue", book.name, book.name, h.profile.appetite, world.sim.now, 30.0, buyer=h),
                        book.ledger,
                        handle,
                    )
                )
        elif book.lane is not None:
            source = next(b for b in world.books.values() if b.kind == "consortium" and b.lane == book.lane)
            client = source.issuer.client
            total = sum(h.profile.appetite for h in holders)
            source.ledger.settle(
                client.submit("token.mint", {"asset_id": source.asset_id, "to": client.holder, "amount": total})
            )
            bridge = world.bridges[book.lane]
            for h in holders:
                op = Op(
                    "issue",
                    source.name,
                    book.name,
                    h.profile.appetite,
                    world.sim.now,
                    bridge.delivery_bound("to_ethereum"),
                    buyer=h,
                )
                ops.append(_follow_lock(world, op, bridge, bridge.lock(client, h.profile.appetite, h.wallet)))
        else:
            chain, suite = world.chain, book.suite
            for start in range(0, len(holders), 100):
                batch = holders[start : start + 100]
                tx = chain.send(
                    suite.token,
                    "batchMint",
                    [h.wallet for h in batch],
                    [h.profile.appetite for h in batch],
                    sender=suite.issuer,
                    gas=200_000 + 90_000 * len(batch),
                )
                for h in batch:
                    ops.append(
                        _follow_evm(
                            world,
                            Op(
                                "issue",
                                book.name,
                                book.name,
                                h.profile.appetite,
                                world.sim.now,
                                3 * world.chain.slot_seconds,
                                buyer=h,
                            ),
                            tx,
                        )
                    )
    world.ops.extend(ops)
    drain(world, ops, timeout=7200.0)


# ---- following operations ------------------------------------------------------------------------------
def _finish(world: World, op: Op, ok: bool, done_at: float, final_at: float, reason: str = "") -> None:
    op.done, op.ok, op.done_at, op.final_at, op.reason = True, ok, done_at, final_at, reason
    if ok and op.buyer is not None:
        op.buyer.available += op.value
    elif not ok and op.seller is not None:
        op.seller.available += op.value  # nothing moved (or it was refunded): the units are the seller's again
    if not ok and op.kind in ("trade", "cross"):
        world.alert("settlement_failed", operation=op.kind, origin=op.source, destination=op.dest, reason=reason[:120])


def _follow_consortium(world: World, op: Op, ledger: Any, handle: Any) -> Op:
    def follow():
        yield ledger.wait(handle)
        _finish(world, op, handle.ok, world.sim.now, world.sim.now, handle.reason or "")

    world.sim.process(follow())
    return op


def _follow_evm(world: World, op: Op, tx_hash: str) -> Op:
    """A transaction on Ethereum: done when included, final when Casper finalizes its block."""
    chain = world.chain

    def follow():
        receipt = None
        while receipt is None:
            receipt = yield from chain.wait_for_receipt(tx_hash, slots=64)
        reason = "" if receipt.status else (receipt.revert.message if receipt.revert else "reverted")
        final_at = chain.settles_at(receipt.block_number, FinalityPolicy("finalized"))
        _finish(world, op, bool(receipt.status), receipt.included_at, final_at, reason)

    world.sim.process(follow())
    return op


def _follow_lock(world: World, op: Op, bridge: Any, handle: Any) -> Op:
    """A consortium-to-Ethereum transfer: locked on the ledger, then delivered (or refunded)."""

    def follow():
        yield bridge.ledger.wait(handle)
        if not handle.ok:
            _finish(world, op, False, world.sim.now, world.sim.now, handle.reason or "")
            return
        nonce = handle.events[-1].fields["nonce"]
        yield from _follow_message(world, op, bridge, ("to_ethereum", nonce))

    world.sim.process(follow())
    return op


def _follow_burn(world: World, op: Op, bridge: Any, tx_hash: str) -> Op:
    """An Ethereum-to-consortium transfer: burned at the gateway, then released (or refunded)."""
    chain = world.chain

    def follow():
        receipt = None
        while receipt is None:
            receipt = yield from chain.wait_for_receipt(tx_hash, slots=64)
        if not receipt.status:
            _finish(
                world,
                op,
                False,
                receipt.included_at,
                receipt.included_at,
                receipt.revert.message if receipt.revert else "reverted",
            )
            return
        sent = dict(receipt.events)["MessageSent"]
        yield from _follow_message(world, op, bridge, ("to_consortium", sent["nonce"]))

    world.sim.process(follow())
    return op


def _follow_message(world: World, op: Op, bridge: Any, key: tuple[str, int]):
    """Wait (on the book's changes, not a clock) until the message of ``key`` is final.

    Towards Ethereum the transfer is final when Casper finalizes the slot it was delivered
    in; towards the consortium when the release commits (QBFT is final at one block)."""
    record = None
    while True:
        record = record or bridge.book.by_nonce.get(key)
        if record is not None and record.final:
            break
        yield bridge.book.changed()
    delivered = record.state == "delivered"
    decided = record.decided_at if record.decided_at is not None else record.finalised_at
    final_at = decided
    if record.direction == "to_ethereum":
        casper = bridge.chain.casper
        final_at = casper.time_covered(casper.slot_at(decided), "finalized", decided)
    _finish(world, op, delivered, decided, final_at, record.reason or record.state)


def drain(world: World, ops: list[Op], timeout: float) -> None:
    """Run until every operation in ``ops`` has its outcome, or ``timeout`` simulated seconds pass."""
    deadline = world.sim.now + timeout
    while any(not op.done for op in ops) and world.sim.now < deadline:
        world.sim.run(until=min(world.sim.now + 5.0, deadline))


# ---- trading, faults and the watchdog ------------------------------------------------------------------
def trading(world: World):
    """Seeded trades at exponential intervals; a share of them crosses to a joined book."""
    p, sim = world.p, world.sim
    rng = sim.rng.stream("topology-study", "trades")
    eligible = [h for h in world.holders if h.eligible]
    count = int(round(p["trades_per_investor"] * len(eligible)))
    for _ in range(count):
        yield sim.timeout(rng.expovariate(1.0 / p["trade_interval"]))
        sellers = [h for h in eligible if h.available > 0]
        if not sellers:
            world.trades_skipped += 1
            continue
        seller = rng.choice(sellers)
        book = world.books[seller.book]
        joined = _joined(world, book)
        crossing = bool(joined) and rng.random() < p["cross_share"]
        targets = [b.name for b in joined] if crossing else [book.name]
        buyers = [h for h in eligible if h.book in targets and h is not seller]
        if not buyers:
            world.trades_skipped += 1
            continue
        buyer = rng.choice(buyers)
        amount = rng.randint(1, min(int(p["max_trade"]), seller.available))
        seller.available -= amount
        world.ops.append(_submit_trade(world, seller, buyer, amount, crossing))


def _submit_trade(world: World, seller: Holder, buyer: Holder, amount: int, crossing: bool) -> Op:
    source, dest = world.books[seller.book_name], world.books[buyer.book_name]
    chain, now = world.chain, world.sim.now
    kind = "cross" if crossing else "trade"
    if source.kind == "consortium" and not crossing:
        handle = seller.client.submit(
            "token.transfer", {"asset_id": source.asset_id, "to": buyer.account, "amount": amount}
        )
        return _follow_consortium(
            world, Op(kind, source.name, dest.name, amount, now, 30.0, seller, buyer), source.ledger, handle
        )
    if source.kind == "consortium":  # over the lane to a wrapped book (_joined crosses only over a lane)
        if source.lane is None:
            raise ValueError(f"{source.name} has no bridge lane to cross")
        bridge = world.bridges[source.lane]
        op = Op(kind, source.name, dest.name, amount, now, bridge.delivery_bound("to_ethereum"), seller, buyer)
        op.direction = "to_ethereum"
        return _follow_lock(world, op, bridge, bridge.lock(seller.client, amount, buyer.wallet))
    if crossing and source.lane is not None:  # back over the lane to a consortium account
        bridge = world.bridges[source.lane]
        op = Op(kind, source.name, dest.name, amount, now, bridge.delivery_bound("to_consortium"), seller, buyer)
        op.direction = "to_consortium"
        return _follow_burn(world, op, bridge, bridge.send_back(seller.wallet, buyer.account, amount))
    bound = 3 * chain.slot_seconds
    if crossing:  # the cross-space call: burn in one space and mint in the other, in one transaction
        to_evm = source.permissioned
        tx = chain.send(
            world.cross,
            "toEvmSpace" if to_evm else "toPermissionedSpace",
            buyer.wallet,
            amount,
            sender=seller.wallet,
            gas=400_000,
        )
        return _follow_evm(world, Op(kind, source.name, dest.name, amount, now, bound, seller, buyer), tx)
    tx = chain.send(source.suite.token, "transfer", buyer.wallet, amount, sender=seller.wallet, gas=250_000)
    return _follow_evm(world, Op(kind, source.name, dest.name, amount, now, bound, seller, buyer), tx)


def schedule_fault(world: World, start: float) -> None:
    """Arrange the run's fault (``p["fault"]``) ``fault_at`` seconds into trading, for ``fault_duration``."""
    p = world.p
    if p["fault"] not in FAULTS:
        raise ValueError(f"unknown fault {p['fault']!r}; choose one of {', '.join(FAULTS)}")
    if p["fault"] == "none":
        return
    world.fault_at = start + float(p["fault_at"])
    world.fault_end = world.fault_at + float(p["fault_duration"])
    fault = p["fault"]
    if fault == "relayer_crash":
        world.fault_applies = bool(world.bridges)
    elif fault == "validator_crash":
        world.fault_applies = bool(world.ledgers)
    elif fault in ("congestion", "finality_delay"):
        world.fault_applies = world.chain is not None
    else:
        world.fault_applies = bool(world.bridges) or world.cross is not None

    def strike():
        yield world.sim.timeout(world.fault_at - world.sim.now)
        _apply_fault(world, fault, on=True)
        yield world.sim.timeout(world.fault_end - world.sim.now)
        _apply_fault(world, fault, on=False)

    if world.fault_applies:
        world.sim.process(strike())


def _apply_fault(world: World, fault: str, *, on: bool) -> None:
    world.sim.record("study.fault", "study", fault=fault, state="on" if on else "off")
    if fault == "congestion" and on and world.chain is not None:
        world.chain.congest(float(world.p["congestion_extra"]), float(world.p["fault_duration"]))
    if fault == "finality_delay" and on and world.chain is not None:  # as on mainnet in May 2023
        epoch_s = world.chain.casper.slots_per_epoch * world.chain.slot_seconds
        world.chain.delay_finality(max(1, math.ceil(float(world.p["fault_duration"]) / epoch_s)))
        for bridge in world.bridges.values():
            bridge.wake()  # their finality deadlines moved
    for _lane, bridge in sorted(world.bridges.items()):
        if fault == "relayer_crash":
            for i in range(len(bridge.relayers)):
                bridge.faults.inject("relayer_crash" if on else "relayer_restart", relayer=i)
        elif fault == "bridge_pause":
            bridge.faults.inject("pause" if on else "unpause")
    if fault == "bridge_pause" and world.cross is not None:
        world.chain.apply(world.cross, "setPaused", on, sender=world.guardian)
    if fault == "validator_crash":
        for _name, ledger in sorted(world.ledgers.items()):
            node = sorted(ledger.nodes)[-1]  # f = 1 of 4: the ledger carries on without it
            ledger.faults.inject("crash" if on else "restart", node=node)


def watchdog(world: World):
    """Every ``watch_interval``: a validator behind its ledger's head, a settlement past its bound,
    and the units in those overdue settlements (value at risk) are noticed."""
    sim, p = world.sim, world.p
    behind: set[tuple[str, str]] = set()
    while world.watching:
        yield sim.timeout(p["watch_interval"])
        for name, ledger in sorted(world.ledgers.items()):
            head = max(node.height for node in ledger.nodes.values())
            for node_name, node in sorted(ledger.nodes.items()):
                lagging = not node.online or node.height < head - 1
                if lagging and (name, node_name) not in behind:
                    world.alert("validator_behind", ledger=name, node=node_name, height=node.height, head=head)
                behind.discard((name, node_name)) if not lagging else behind.add((name, node_name))
        at_risk = 0
        for op in world.ops:
            if op.done or op.kind not in ("issue", "trade", "cross"):
                continue
            if sim.now - op.submitted_at > op.bound:
                at_risk += op.value
                if not op.overdue:
                    op.overdue = True
                    world.alert(
                        "settlement_overdue",
                        operation=op.kind,
                        origin=op.source,
                        destination=op.dest,
                        age=round(sim.now - op.submitted_at, 3),
                    )
        world.peak_at_risk = max(world.peak_at_risk, at_risk)


# ---- the whole workload -----------------------------------------------------------------------------
def run_workload(ctx: Any, graph: nx.Graph | None = None) -> dict[str, Any]:
    """Run the workload of the module docstring on ``graph`` (default: the preset named by
    ``ctx.params["topology"]``) and return its metrics (also put in ``ctx.extra``)."""
    p = {**WORKLOAD_DEFAULTS, **ctx.params}
    graph = graph if graph is not None else graph_from_params(p)
    ctx.topology = graph.graph.get("topology", "custom")
    sim = ctx.sim
    with ctx.phase("setup"):
        world = build_world(ctx, graph, p)
    profiles = draw_investors(
        sim,
        p["investors"],
        ethereum_share=p["ethereum_share"],
        class_weights=_floats(p["class_weights"]),
        country_weights=_floats(p["country_weights"]),
    )
    place_investors(world, profiles)
    with ctx.phase("onboarding"):
        onboard(world)
    with ctx.phase("issuance"):
        issue(world)
    ctx.say(
        f"{ctx.topology}: {sum(h.book is not None for h in world.holders)} investors onboarded, "
        f"{sum(h.eligible for h in world.holders)} eligible hold the note"
    )
    supervision = None
    if p["bad_actors"] or p["surveillance"]:  # the regulator's surveillance (rwasim.supervision)
        supervision = Supervision(
            world, make_holder=Holder, submit_trade=_submit_trade, joined=lambda w, b: _joined(w, b)
        )
        supervision.plant(sim.now, p["trades_per_investor"] * len(world.holders) * p["trade_interval"] / 2)
    start = sim.now
    with ctx.phase("trading"):
        schedule_fault(world, start)
        sim.process(watchdog(world))
        load = start_load(world)
        trader = sim.process(trading(world))
        sim.run(until=trader)
        load.running = False
        if supervision is not None:
            supervision.finish()
        end_by = max(sim.now, world.fault_end or 0.0)
        drain(
            world,
            [op for op in world.ops if op.kind in ("trade", "cross")],
            timeout=max(7200.0, end_by - sim.now + 3600.0),
        )
        if world.fault_end is not None and sim.now < world.fault_end:
            sim.run(until=world.fault_end)
        sim.run(until=sim.now + p["watch_interval"])  # one last look by the watchdog
        world.watching = False  # the watchdog ends at its next wake-up
    metrics = collect_metrics(world, start)
    metrics.update(supervision_metrics(supervision.scores() if supervision is not None else None))
    check_invariants(world, metrics)
    if supervision is not None:
        ctx.extra["supervision"] = supervision.report()
    ctx.extra["topology_study"] = {
        "topology": ctx.topology,
        "metrics": metrics,
        "graph": {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()},
    }
    ctx.say(
        f"{ctx.topology}: {metrics['trade_ops'] + metrics['cross_ops']} trades, "
        f"{metrics['failed_settlements']} failed, reach {metrics['reach']:.2f}"
    )
    return metrics


# ---- figures --------------------------------------------------------------------------------------
def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, digits)


#: The figures of :func:`block_space_metrics`.
BLOCK_SPACE_METRICS = (
    "base_fee_p50_gwei",
    "base_fee_p95_gwei",
    "inclusion_p50_s",
    "inclusion_p95_s",
    "eth_utilisation",
    "fee_per_eth_tx_usd",
    "load_tps",
    "load_achieved_tps",
    "eth_saturation_tps",
    "consortium_saturation_tps",
    "missed_slots",
    "eth_reorgs",
)

#: The two directions of a bridge lane, each with its own latency figures.
LANE_DIRECTIONS = ("to_ethereum", "to_consortium")

#: What each metric of :func:`collect_metrics` can be, so a sweep's confidence intervals stay
#: inside it (``rwasim.compare.stats``): shares are fractions in [0, 1]; every other figure is a
#: count, a duration, a rate, gas or a price and is never negative. ``fault`` is a name, not a number.
SHARE_METRICS = ("reach", "regulator_visibility", "fault_applies", "eth_utilisation")
METRIC_DOMAINS: dict[str, str] = {
    **{
        f"{kind}_{suffix}": "nonnegative"
        for kind in OP_KINDS
        for suffix in ("ops", "failed", "tps", "p50_s", "p95_s", "p99_s")
    },
    **{
        name: "nonnegative"
        for name in (
            "finality_p50_s",
            "finality_p95_s",
            "failed_settlements",
            "unsettled",
            "investors",
            "onboarded",
            "gas",
            "eth_txs",
            "consortium_txs",
            "fee_eth",
            "cost_usd",
            "cost_per_settlement_usd",
            "value_at_risk",
            "detection_s",
            "alerts",
            "msgs_per_validator",
            "kb_per_validator",
            "txs_per_relayer",
            "trades_skipped",
            "simulated_s",
            *BLOCK_SPACE_METRICS,
        )
    },
    **{f"{d}_p{q}_s": "nonnegative" for d in ("to_ethereum", "to_consortium") for q in (50, 95)},
    **{name: "share" for name in SHARE_METRICS},
    **metric_domains(),
}


def collect_metrics(world: World, trading_start: float) -> dict[str, Any]:
    """The flat figures of one run (numbers, or None where a figure does not apply)."""
    p, graph = world.p, world.graph
    out: dict[str, Any] = {}
    for kind in OP_KINDS:
        ops = [op for op in world.ops if op.kind == kind and op.done]
        ok = [op for op in ops if op.ok]
        lat = sorted(op.done_at - op.submitted_at for op in ok)
        window = (max(op.done_at for op in ok) - min(op.submitted_at for op in ok)) if ok else 0.0
        out[f"{kind}_ops"] = len([op for op in world.ops if op.kind == kind])
        out[f"{kind}_failed"] = len(ops) - len(ok)
        out[f"{kind}_tps"] = _r(len(ok) / window) if window > 0 else None
        for q in (50, 95, 99):
            out[f"{kind}_p{q}_s"] = _r(percentile(lat, q)) if lat else None
    for direction in LANE_DIRECTIONS:  # crossings over a bridge lane, per direction
        lat = sorted(op.done_at - op.submitted_at for op in world.ops if op.direction == direction and op.ok)
        for q in (50, 95):
            out[f"{direction}_p{q}_s"] = _r(percentile(lat, q)) if lat else None
    settled = [op for op in world.ops if op.kind in ("trade", "cross") and op.done and op.ok]
    finality = sorted(op.final_at - op.submitted_at for op in settled)
    out["finality_p50_s"] = _r(percentile(finality, 50)) if finality else None
    out["finality_p95_s"] = _r(percentile(finality, 95)) if finality else None
    settlements = [op for op in world.ops if op.kind in ("issue", "trade", "cross")]
    out["failed_settlements"] = sum(1 for op in settlements if not op.done or not op.ok)
    out["unsettled"] = sum(1 for op in settlements if not op.done)

    n = len(world.holders)
    out["investors"] = n
    out["onboarded"] = sum(h.book is not None for h in world.holders)
    out["reach"] = _r(sum(h.eligible for h in world.holders) / n) if n else None

    receipts = world.chain.receipts[world.setup_receipts :] if world.chain is not None else []
    offered = set(world.load.hashes) if world.load is not None else set()
    all_receipts, receipts = receipts, [r for r in receipts if r.tx_hash not in offered]  # the load is not ours
    gas = sum(r.gas_used for r in receipts)
    consortium_txs = len([e for e in world.sim.log.of_kind("consortium.tx") if e.time >= 0]) if world.ledgers else 0
    fee_eth = sum(r.fee_wei for r in receipts) / 1e18
    cost = fee_eth * p["eth_usd"] + consortium_txs * p["consortium_fee_usd"]
    out["gas"] = gas
    out["eth_txs"] = len(receipts)
    out["consortium_txs"] = consortium_txs
    out["fee_eth"] = _r(fee_eth, 9)
    out["cost_usd"] = _r(cost, 4)
    out["cost_per_settlement_usd"] = _r(cost / len(settled), 6) if settled else None

    out["fault"] = p["fault"]
    out["fault_applies"] = int(world.fault_applies)
    after = [t for t, _ in world.alerts if world.fault_at is not None and t >= world.fault_at]
    out["value_at_risk"] = world.peak_at_risk
    out["detection_s"] = _r(after[0] - world.fault_at) if after and world.fault_at is not None else None
    out["alerts"] = len(world.alerts)

    validators = sum(len(ledger.nodes) for ledger in world.ledgers.values())
    sent = sum(sum(ledger.network.sent.values()) for ledger in world.ledgers.values())
    sent_bytes = sum(sum(ledger.network.bytes_sent.values()) for ledger in world.ledgers.values())
    out["msgs_per_validator"] = _r(sent / validators, 3) if validators else None
    out["kb_per_validator"] = _r(sent_bytes / validators / 1024, 3) if validators else None
    relayer_accounts = [r.account for b in world.bridges.values() for r in b.relayers]
    out["txs_per_relayer"] = (
        _r(sum(1 for r in receipts if r.sender in relayer_accounts) / len(relayer_accounts), 3)
        if relayer_accounts
        else None
    )

    sees = set(graph.nodes["regulator"]["sees"]) if "regulator" in graph else set()
    visible = sum(1 for op in settlements if world.books[op.source].venue in sees or world.books[op.dest].venue in sees)
    out["regulator_visibility"] = _r(visible / len(settlements)) if settlements else None
    out["trades_skipped"] = world.trades_skipped
    out["simulated_s"] = _r(world.sim.now - trading_start, 3)
    out.update(block_space_metrics(world, trading_start, all_receipts))
    return out


# ---- block space, fees and offered load -------------------------------------------------------------
def configure_block_space(chain: Any, p: dict[str, Any]) -> None:
    """Mainnet's block space on the study's chain (before its first transaction)."""
    chain.market = FeeMarket.mainnet(
        gas_limit=int(p["gas_limit"]),
        background=float(p["background_demand"]),
        reference_base_fee=int(p["reference_base_fee_gwei"] * GWEI),
        base_fee=int(p["reference_base_fee_gwei"] * GWEI),
        tip=int(p["tip_gwei"] * GWEI),
        missed_slot_rate=float(p["missed_slot_rate"]),
        reorg_rate=float(p["reorg_rate"]),
    )


@dataclass
class Load:
    """Our users' background load on Ethereum: seeded Poisson ether transfers at ``rate`` tx/s."""

    rate: float
    accounts: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    running: bool = True


def start_load(world: World) -> Load:
    """Offer ``load_tps`` transfers per second on Ethereum while trading runs."""
    rate = float(world.p["load_tps"])
    load = Load(rate)
    chain = world.chain
    if chain is None or rate <= 0:
        return load
    load.accounts = [chain.new_account(f"load-{i}") for i in range(max(4, min(256, int(rate * 12))))]
    world.load = load
    rng = world.sim.rng.stream("topology-study", "load")

    def offer():
        i = 0
        while load.running:
            yield world.sim.timeout(rng.expovariate(rate))
            if not load.running:
                break
            sender = load.accounts[i % len(load.accounts)]
            load.hashes.append(chain.transfer_eth(sender, load.accounts[(i + 1) % len(load.accounts)], 1))
            i += 1

    world.sim.process(offer())
    return load


#: Per-operation gas, the base for the Ethereum saturation figure (the target gas a slot holds).
def block_space_metrics(world: World, trading_start: float, receipts: list[Any]) -> dict[str, Any]:
    """Base fee, inclusion delay, utilisation, missed slots and reorgs, offered load and saturation."""
    out: dict[str, Any] = dict.fromkeys(
        (
            "base_fee_p50_gwei",
            "base_fee_p95_gwei",
            "inclusion_p50_s",
            "inclusion_p95_s",
            "eth_utilisation",
            "fee_per_eth_tx_usd",
            "load_achieved_tps",
            "eth_saturation_tps",
        )
    )
    chain, p = world.chain, world.p
    out["load_tps"] = float(p["load_tps"])
    out["missed_slots"] = len(world.sim.log.of_kind("eth.missed_slot"))
    out["eth_reorgs"] = len(world.sim.log.of_kind("eth.reorg"))
    tx_time = float(p["consortium_tx_time"])
    out["consortium_saturation_tps"] = _r(1.0 / (2 * tx_time), 1) if world.ledgers and tx_time > 0 else None
    if chain is None:
        return out
    blocks = [e for e in world.sim.log.of_kind("eth.block") if e.time >= trading_start and e.source == chain.name]
    fees = sorted(e.data["base_fee"] / GWEI for e in blocks)
    if fees:
        out["base_fee_p50_gwei"] = _r(percentile(fees, 50))
        out["base_fee_p95_gwei"] = _r(percentile(fees, 95))
        limit = chain.market.gas_limit
        out["eth_utilisation"] = _r(
            sum(e.data["gas_used"] + e.data["others_gas"] for e in blocks) / limit / len(blocks)
        )
    waits = sorted(r.inclusion_delay for r in receipts if r.submitted_at >= trading_start)
    if waits:
        out["inclusion_p50_s"] = _r(percentile(waits, 50))
        out["inclusion_p95_s"] = _r(percentile(waits, 95))
    if receipts:
        out["fee_per_eth_tx_usd"] = _r(sum(r.fee_wei for r in receipts) / 1e18 * p["eth_usd"] / len(receipts), 6)
    load = getattr(world, "load", None)
    if load is not None and load.hashes:
        done = [chain.receipt(h) for h in load.hashes]
        included = [r for r in done if r is not None]
        if included:
            window = max(r.included_at for r in included) - trading_start
            out["load_achieved_tps"] = _r(len(included) / window) if window > 0 else None
    ops = [r for r in receipts if r.contract != "ether"]
    if ops:  # our own gas alone at the target: the base fee then rises without bound
        gas_per_op = sum(r.gas_used for r in ops) / len(ops)
        out["eth_saturation_tps"] = _r(chain.market.target / gas_per_op / chain.slot_seconds, 2)
    return out


def check_invariants(world: World, metrics: dict[str, Any]) -> None:
    """Supply conserved per book and across each lane, every settlement decided, and no failure
    unless a fault applied."""
    ctx = world.ctx
    issued = sum(op.value for op in world.ops if op.kind == "issue" and op.ok)
    held = 0
    for book in world.books.values():
        holders = [h for h in world.holders + world.accounts if h.book == book.name]
        if book.kind == "consortium":
            state = book.ledger.state
            held += sum(state.balance_of(book.asset_id, h.client.holder) for h in holders)
            ctx.track_token(
                book.name,
                book.asset_id,
                lambda s=state, a=book.asset_id: s.holders(a),
                lambda s=state, a=book.asset_id: s.total_supply(a),
            )
        else:
            token = book.suite.token
            balances = EthereumHolderIndex(world.chain, token).refresh()
            held += sum(balances.values())
            ctx.check(f"supply_matches_transfers_{book.name}", sum(balances.values()) == token.call("totalSupply"))
    ctx.check("units_conserved_across_books", held == issued)
    ctx.check("every_settlement_decided", metrics["unsettled"] == 0)
    if not world.fault_applies:
        stopped = world.stopped_by_regulator or (lambda op: False)
        failed = [op for op in world.ops if op.kind in ("issue", "trade", "cross") and not (op.done and op.ok)]
        ctx.check("no_failed_settlement_without_fault", all(stopped(op) for op in failed))
    for lane, bridge in sorted(world.bridges.items()):
        records = list(bridge.book.records.values())
        ctx.check(f"lane_{lane}_units_conserved", bridge.monitor.conserved())
        ctx.check(f"lane_{lane}_no_double_execution", all(r.executions <= 1 for r in records))
    ctx.check("holders_are_the_eligible", all((h.available > 0) <= h.eligible for h in world.holders))

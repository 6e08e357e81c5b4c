"""The run report a person reads: ``report.html``, one self-contained page drawn from a run's files.

The page is a pure function of ``report.json`` and ``events.jsonl`` (no clock, no randomness,
no dict or set order that the inputs do not fix), so one seed gives the same bytes on every
run. It needs nothing from outside: CSS, SVG and a few lines of script are inline, and every
plot is SVG generated here.

What it shows
-------------
* the summary: scenario, seed, topology, backend, simulated time, invariants, alerts;
* the metrics in Hyperledger Caliper's columns per phase, with p50/p95/p99;
* latency distributions (a CDF per phase, the spread per kind of operation);
* token supply per chain over time (from ``supply_delta``/``escrow_delta`` on ``*.tx`` events),
  cash in its currency and a sold note's units also in money (at its issue price);
* value at risk over time: units in flight on the bridge, backing (wrapped supply against the
  escrow behind it, anything unbacked shaded), and transactions pending while faults are in
  force, with the fault times marked;
* the bridge messages, one swim lane each against the time since it was sent (a log axis), and
  the faults, bridge events and alerts on the run's clock;
* the topology, from ``report.json``'s ``topology_graph`` (see :func:`build_topology_graph`).

A plot with nothing to show in a run is replaced by one line that says so.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rwasim.metrics import percentile

HTML_NAME = "report.html"

# ---- colours (fixed: the page must not depend on anything but the run's data) ----------------
PALETTE = ("#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#4b5563", "#65a30d", "#c026d3")
STATE_COLOURS = {
    "in_flight": "#6b7280",
    "delivered": "#059669",
    "rejected": "#d97706",
    "refunded": "#7c3aed",
    "reorged_out": "#111827",
}
DIRECTION_COLOURS = {"to_ethereum": "#2563eb", "to_consortium": "#0891b2"}
FAULT_COLOUR = "#dc2626"

MAX_TIMELINE_MESSAGES = 150  # rows of the message timeline; a longer run says how many it left out
MAX_TIMELINE_MARKERS = 600
TIMELINE_ROW = 20.0  # px per message
MARK_R = 4.5  # radius of a state marker on the message timeline
MARK_GAP = 1.5  # px kept between two markers of one message
CLUSTER_PX = 16.0  # incident markers closer than this are drawn as one, with their count
#: Candidate ticks (seconds) of the timeline's elapsed-time axis, which is logarithmic.
DURATION_TICKS = (
    0, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 21600, 43200,
    86400, 172800, 604800, 2592000, 31536000,
)  # fmt: skip
MAX_OPERATIONS = 40
MAX_CURVE_POINTS = 400

# bridge.* events drawn on the bridge lane of the timeline, with their colour
BRIDGE_MARKERS = {
    "bridge.relayed": "#059669",
    "bridge.duplicate_rejected": "#6b7280",
    "bridge.delivery_waiting": "#d97706",
    "bridge.delivery_failed": "#dc2626",
    "bridge.relayer_crashed": "#dc2626",
    "bridge.relayer_restarted": "#059669",
    "bridge.relay_dropped": "#dc2626",
    "bridge.submission_lost": "#dc2626",
    "bridge.consortium_refused": "#d97706",
    "bridge.attack_succeeded": "#dc2626",
    "bridge.attack_contained": "#059669",
    "bridge.reorg": "#7c3aed",
    "bridge.reorg_detected": "#7c3aed",
    "bridge.delayed": "#d97706",
    "bridge.challenged": "#0891b2",
    "bridge.validator_set_rotated": "#059669",
    "bridge.rotation_refused": "#d97706",
}
CONSORTIUM_MARKERS = {
    "consortium.node_crashed": "#dc2626",
    "consortium.node_restarted": "#059669",
    "consortium.equivocation": "#dc2626",
    "consortium.safety_violation": "#dc2626",
}


# =============================================================================================
# topology graph (built from the live run context, stored in report.json)
# =============================================================================================
def build_topology_graph(ctx: Any) -> dict[str, Any]:
    """The run's chains as a graph: validators and their links, Ethereum and its tokens, bridge lanes.

    Read from the run context before its chains close, so ``report.json`` keeps what was
    there and the page can draw it later without the chains.

    Parameters
    ----------
    ctx : rwasim.runner.RunContext
        The run's context (its consortium ledgers, Ethereum chain and bridges).

    Returns
    -------
    dict
        ``{"nodes": [{"id", "kind", "label", ...}], "edges": [{"source", "target", "kind", ...}]}``;
        kinds of node: ``consortium``, ``validator``, ``ethereum``, ``token``, ``bridge_lane``,
        ``relayer``; kinds of edge: ``link`` (validator network, with latency, jitter, loss),
        ``member``, ``bridge``, ``relays``, ``token``.
    """
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for name, ledger in sorted(ctx._consortia.items()):
        graph = ledger.graph
        nodes.append(
            {
                "id": name,
                "kind": "consortium",
                "label": name,
                "chain_id": ledger.chain_id,
                "shape": graph.graph.get("shape"),
                "quorum": ledger.validator_set.quorum,
                "validators": len(ledger.nodes),
            }
        )
        for node_name in sorted(graph.nodes):
            entry: dict[str, Any] = {
                "id": f"{name}/{node_name}",
                "kind": "validator",
                "label": str(node_name),
                "chain": name,
            }
            node = ledger.nodes.get(node_name)
            if node is not None:
                entry["org"] = node.org_id
            pos = graph.nodes[node_name].get("pos")
            if pos is not None:
                entry["pos"] = [round(float(pos[0]), 6), round(float(pos[1]), 6)]
            nodes.append(entry)
            edges.append({"source": f"{name}/{node_name}", "target": name, "kind": "member"})
        for a, b in sorted(tuple(sorted((str(a), str(b)))) for a, b in graph.edges):
            data = graph.edges[a, b]
            edges.append(
                {
                    "source": f"{name}/{a}",
                    "target": f"{name}/{b}",
                    "kind": "link",
                    **{k: data[k] for k in ("latency", "jitter", "loss") if k in data},
                }
            )
    chain = ctx._ethereum
    if chain is not None:
        nodes.append(
            {
                "id": chain.name,
                "kind": "ethereum",
                "label": "Ethereum",
                "backend": ctx.backend,
                "chain_id": chain.chain_id,
                "slot_seconds": chain.slot_seconds,
            }
        )
        tokens: dict[str, str] = {}
        for event in ctx.sim.log.of_kind("eth.tx"):
            for address in event.data.get("supply_delta") or {}:
                tokens.setdefault(address, "")
        for bridge in ctx._bridges:
            tokens.setdefault(bridge.end.token.address, "")
        for address in sorted(tokens):
            contract = chain._contracts_by_address.get(address)
            symbol = address
            if contract is not None:
                try:
                    symbol = str(contract.call("symbol"))
                except Exception:  # a token without symbol(): keep its address as the label
                    symbol = f"{contract.name} {address[:8]}"
            nodes.append(
                {
                    "id": f"{chain.name}/token/{address}",
                    "kind": "token",
                    "label": symbol,
                    "address": address,
                    "chain": chain.name,
                }
            )
            edges.append({"source": f"{chain.name}/token/{address}", "target": chain.name, "kind": "token"})
    for bridge in sorted(ctx._bridges, key=lambda b: b.end.lane):
        lane_id = f"bridge/lane-{bridge.end.lane}"
        nodes.append(
            {
                "id": lane_id,
                "kind": "bridge_lane",
                "label": f"lane {bridge.end.lane}",
                "lane": bridge.end.lane,
                "verifier": bridge.end.verifier_kind,
                "asset_id": bridge.end.asset_id,
                "token": bridge.end.token.address,
                "finality": str(bridge.policy),
                "consortium": bridge.ledger.name,
                "gateway": bridge.end.gateway.address,
            }
        )
        edges.append({"source": bridge.ledger.name, "target": lane_id, "kind": "bridge"})
        edges.append({"source": lane_id, "target": bridge.chain.name, "kind": "bridge"})
        for relayer in bridge.relayers:
            rid = f"{lane_id}/{relayer.name}"
            nodes.append({"id": rid, "kind": "relayer", "label": relayer.name, "lane": bridge.end.lane})
            edges.append({"source": rid, "target": lane_id, "kind": "relays"})
    return {"nodes": nodes, "edges": edges}


# =============================================================================================
# reading a run
# =============================================================================================
def load_run(out_dir: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``report.json`` and the events of ``events.jsonl`` of a run folder, as written."""
    out_dir = Path(out_dir)
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    events = [
        json.loads(line) for line in (out_dir / "events.jsonl").read_text(encoding="ascii").splitlines() if line.strip()
    ]
    return report, events


def write_html(out_dir: str | Path) -> Path:
    """Render ``out_dir/report.html`` from the run's ``report.json`` and ``events.jsonl``; return its path."""
    out_dir = Path(out_dir)
    report, events = load_run(out_dir)
    path = out_dir / HTML_NAME
    path.write_text(render_html(report, events), encoding="utf-8")
    return path


# =============================================================================================
# pure extraction: events -> series
# =============================================================================================
@dataclass
class StepSeries:
    """A value over simulated time that changes in steps (the value holds until the next point)."""

    label: str
    points: list[tuple[float, float]] = field(default_factory=list)
    dashed: bool = False
    colour: str | None = None  # a fixed colour (else the plot's palette, in order)
    area: bool = False  # shade the area under the line

    def set(self, t: float, value: float) -> None:
        """The value from ``t`` on; several changes at one instant keep only the last."""
        if self.points and self.points[-1][0] == t:
            self.points.pop()
        if self.points and self.points[-1][1] == value:
            return
        if not self.points and value == 0:
            return
        self.points.append((t, value))

    @property
    def final(self) -> float:
        return self.points[-1][1] if self.points else 0

    @property
    def peak(self) -> float:
        return max((v for _, v in self.points), default=0)


def phase_latencies(events: Iterable[dict[str, Any]]) -> dict[str, list[float]]:
    """Latency (inclusion minus submission, simulated s) of every ``*.tx`` event, by phase.

    Phases are assigned as :class:`rwasim.metrics.MetricsCollector` does: a transaction outside
    any phase counts for ``run``.
    """
    current: str | None = None
    out: dict[str, list[float]] = {}
    for e in events:
        kind = e["kind"]
        if kind == "scenario.phase":
            current = e["phase"] if e.get("state") == "start" else None
        elif kind.endswith(".tx"):
            if current is None:
                current = "run"
            out.setdefault(current, []).append(max(0.0, e["t"] - e.get("submitted_at", e["t"])))
    return out


def operation_name(e: dict[str, Any]) -> str:
    """What a ``*.tx`` event did, for the latency-by-operation plot."""
    chain = e["kind"].rsplit(".", 1)[0]
    if e.get("tx_kind"):
        return f"{chain} · {e['tx_kind']}"
    if e.get("function"):
        return f"{chain} · {e.get('contract') or '?'}.{e['function']}"
    return chain


def operation_latencies(events: Iterable[dict[str, Any]]) -> dict[str, list[float]]:
    """Latency of every ``*.tx`` event by operation (sorted by name)."""
    out: dict[str, list[float]] = {}
    for e in events:
        if e["kind"].endswith(".tx"):
            out.setdefault(operation_name(e), []).append(max(0.0, e["t"] - e.get("submitted_at", e["t"])))
    return dict(sorted(out.items()))


def token_labels(report: dict[str, Any]) -> dict[str, str]:
    """Ethereum token address -> symbol, from ``topology_graph``."""
    graph = report.get("topology_graph") or {}
    return {n["address"]: n["label"] for n in graph.get("nodes", []) if n.get("kind") == "token" and "address" in n}


def bridge_lanes(events: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Lane -> its ``bridge.started`` event (consortium, asset, token, verifier)."""
    return {e["lane"]: e for e in events if e["kind"] == "bridge.started"}


class _EthereumSupply:
    """Ethereum token supply from ``eth.tx`` ``supply_delta``, undone when blocks are reorged away.

    A chain that goes back (a ``bridge.reorg`` of some depth, or a block number seen again)
    loses the supply changes of the blocks it dropped.
    """

    def __init__(self) -> None:
        self.totals: dict[tuple[str, str], int] = {}  # (chain, token) -> supply
        self.by_block: dict[str, dict[int, dict[str, int]]] = {}  # chain -> block -> token -> delta
        self.head: dict[str, int] = {}

    def _rewind(self, chain: str, keep_up_to: int) -> list[tuple[str, str]]:
        blocks = self.by_block.setdefault(chain, {})
        touched = []
        for number in sorted(n for n in blocks if n > keep_up_to):
            for token, delta in blocks.pop(number).items():
                self.totals[(chain, token)] -= delta
                touched.append((chain, token))
        self.head[chain] = min(self.head.get(chain, keep_up_to), keep_up_to)
        return touched

    def observe(self, e: dict[str, Any]) -> list[tuple[str, str]]:
        """Apply one event; the ``(chain, token)`` pairs whose supply it changed."""
        kind = e["kind"]
        touched: list[tuple[str, str]] = []
        if kind == "eth.tx":
            chain, number = e.get("source", "ethereum"), int(e.get("block", 0))
            if number <= self.head.get(chain, -1):
                touched += self._rewind(chain, number - 1)
            for token, delta in sorted((e.get("supply_delta") or {}).items()):
                block = self.by_block.setdefault(chain, {}).setdefault(number, {})
                block[token] = block.get(token, 0) + int(delta)
                self.totals[(chain, token)] = self.totals.get((chain, token), 0) + int(delta)
                touched.append((chain, token))
        elif kind == "eth.block":
            chain, number = e.get("source", "ethereum"), int(e["number"])
            if number <= self.head.get(chain, -1):
                touched += self._rewind(chain, number - 1)
            self.head[chain] = number
        elif kind == "bridge.reorg" and self.head:
            chain = sorted(self.head)[0]  # the bridge's reorg fault acts on the run's Ethereum chain
            touched += self._rewind(chain, self.head[chain] - int(e.get("depth", 0)))
        return touched


# ---- money: cash assets in their currency, a note's units at its issue price ------------------
DEPOSIT_SUFFIX = "-DEPOSIT"
CASH_CONTRACT = "CashToken"
CENTS_PER_MAJOR = 100  # tokenized deposits count cents: the consortium's and CashToken (2 decimals)


@dataclass(frozen=True)
class Valuation:
    """What one unit of a note is worth, to show units in money as well."""

    currency: str
    per_unit: float  # major currency units per unit
    basis: str = "issue price"

    def of(self, units: float) -> str:
        """``HKD 990,000`` for ``units`` units."""
        return fmt_money(units * self.per_unit, self.currency)

    def describe(self) -> str:
        """``at the issue price, HKD 10,000 per unit``."""
        return f"at the {self.basis}, {fmt_money(self.per_unit, self.currency)} per unit"


def fmt_money(amount: float, currency: str) -> str:
    """``HKD 48,920,550``, or with cents when there are any: ``HKD 1,387.39``."""
    whole = abs(amount - round(amount)) < 0.005
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return f"{currency} {'0' if text == '-0' else text}"


def deposit_currencies(events: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Consortium cash assets (``<currency>-DEPOSIT``, counted in cents) -> their currency."""
    out: dict[str, str] = {}
    for e in events:
        if e["kind"] == "consortium.tx":
            for asset in e.get("supply_delta") or {}:
                if asset.endswith(DEPOSIT_SUFFIX) and len(asset) > len(DEPOSIT_SUFFIX):
                    out[asset] = asset[: -len(DEPOSIT_SUFFIX)]
    return out


def cash_tokens(report: dict[str, Any], events: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Ethereum cash tokens (contracts called as ``CashToken``, counted in cents) -> their currency.

    A bank deploys its deposit token with the currency as its symbol, so the symbol from
    ``topology_graph`` names the currency.
    """
    symbols = token_labels(report)
    return {
        e["to"]: symbols[e["to"]]
        for e in events
        if e["kind"] == "eth.tx" and e.get("contract") == CASH_CONTRACT and e.get("to") in symbols
    }


def note_valuations(report: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Valuation]:
    """Asset id -> the value of one unit, at the price its offer raised per unit delivered.

    The price is the cash received (``offer.issued``, in cents of the run's one cash currency)
    over the units delivered. A run without an offer, or with cash in more than one currency,
    has no valuation: its figures stay in units.
    """
    currencies = set(deposit_currencies(events).values()) | set(cash_tokens(report, events).values())
    if len(currencies) != 1:
        return {}
    (currency,) = currencies
    out: dict[str, Valuation] = {}
    for e in events:
        if e["kind"] == "offer.issued" and e.get("asset_id") is not None:
            units = int(e.get("delivered_units") or 0)
            cents = sum(int(c) for c in (e.get("cash_received_cents") or {}).values())
            if units > 0 and cents > 0:
                out[str(e["asset_id"])] = Valuation(currency, cents / units / CENTS_PER_MAJOR)
    return out


@dataclass
class SupplyPanel:
    """One supply plot: a token on one chain, its lines, and what its numbers count."""

    title: str
    series: list[StepSeries]
    unit: str = "units"  # "units", or the currency of a cash asset (values then in major units)
    value: Valuation | None = None  # a note's units in money, drawn as a second axis


def supply_series(report: dict[str, Any], events: list[dict[str, Any]]) -> list[SupplyPanel]:
    """Token supply per chain over time: one panel per (chain, token).

    Consortium panels show the asset's total supply and the units locked in the bridge
    escrow; Ethereum panels show the token's total supply and, for a bridged token, the
    escrow on the consortium that backs it (the two lines part when units are unbacked).
    Cash (tokenized deposits) is drawn in its currency, not in cents; a note with a known
    issue price gets a second axis in money.
    """
    symbols = token_labels(report)
    deposits = deposit_currencies(events)
    cash = cash_tokens(report, events)
    values = note_valuations(report, events)
    lanes = bridge_lanes(events).values()
    backing: dict[str, tuple[str, str]] = {  # a lane without an asset id has no escrow to draw
        lane["token"]: (lane.get("consortium", "consortium"), lane["asset_id"])
        for lane in lanes
        if lane.get("token") and lane.get("asset_id") is not None
    }
    token_asset = {token: asset for token, (_, asset) in backing.items()}
    consortium: dict[tuple[str, str], StepSeries] = {}
    escrow: dict[tuple[str, str], StepSeries] = {}
    ethereum: dict[tuple[str, str], StepSeries] = {}
    totals: dict[tuple[str, str, str], int] = {}
    eth = _EthereumSupply()

    def scaled(amount: int, is_cash: bool) -> float:
        return amount / CENTS_PER_MAJOR if is_cash else amount

    for e in events:
        t = e["t"]
        if e["kind"] == "consortium.tx" and e.get("status") == "ok":
            source = e.get("source", "consortium")
            for which, store, label in (
                ("supply_delta", consortium, "total supply"),
                ("escrow_delta", escrow, "locked in bridge escrow"),
            ):
                for asset, delta in sorted((e.get(which) or {}).items()):
                    key = (which, source, asset)
                    totals[key] = totals.get(key, 0) + int(delta)
                    store.setdefault((source, asset), StepSeries(label, dashed=which == "escrow_delta")).set(
                        t, scaled(totals[key], asset in deposits)
                    )
        for chain, token in eth.observe(e):
            ethereum.setdefault((chain, token), StepSeries("total supply")).set(
                t, scaled(eth.totals[(chain, token)], token in cash)
            )
    panels: list[SupplyPanel] = []
    for source_asset in sorted(set(consortium) | set(escrow)):
        lines = [s for s in (consortium.get(source_asset), escrow.get(source_asset)) if s is not None]
        source, asset = source_asset
        if asset in deposits:
            currency = deposits[asset]
            panels.append(SupplyPanel(f"{source} · {asset} (tokenized {currency} deposit)", lines, currency))
        else:
            panels.append(SupplyPanel(f"{source} · {asset}", lines, value=values.get(asset)))
    for (chain, token), series in sorted(ethereum.items()):
        lines = [series]
        if token in backing and backing[token] in escrow:
            ledger, asset = backing[token]
            lines.append(
                StepSeries(f"backing: {asset} in escrow on {ledger}", list(escrow[backing[token]].points), dashed=True)
            )
        title = f"{chain} · {symbols.get(token, token)}"
        if token in cash:
            panels.append(SupplyPanel(f"{title} ({cash[token]} deposit token)", lines, cash[token]))
        else:
            panels.append(SupplyPanel(title, lines, value=values.get(token_asset.get(token, ""))))
    return panels


def fault_events(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Injected faults (``*.fault`` events), in order."""
    return [e for e in events if e["kind"].endswith(".fault")]


def _short(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    if text.startswith("0x") and len(text) > 14:
        return f"{text[:6]}…{text[-4:]}"
    return text if len(text) <= 40 else text[:39] + "…"


def fault_label(e: dict[str, Any]) -> str:
    """``bridge: key_compromise (amount=50000, keys=5, ...)`` for a fault event."""
    skip = {"seq", "t", "kind", "source", "fault"}
    args = ", ".join(f"{k}={_short(v)}" for k, v in sorted(e.items()) if k not in skip)
    name = e.get("fault", e["kind"])
    return f"{e.get('source', '')}: {name}" + (f" ({args})" if args else "")


@dataclass
class RiskSeries:
    """What the value-at-risk plots draw."""

    units: list[StepSeries]  # units in flight on the bridge, per lane and direction (empty without messages)
    backing: list[StepSeries] = field(default_factory=list)  # per lane: wrapped supply, then the escrow backing it
    unbacked: list[StepSeries] = field(default_factory=list)  # per lane: wrapped supply above its escrow, >= 0
    pending: list[StepSeries] = field(default_factory=list)  # transactions not yet included, per chain (with faults)
    value: Valuation | None = None  # the bridged note's units in money, when every lane carries the same note


def value_at_risk_series(events: list[dict[str, Any]], report: dict[str, Any] | None = None) -> RiskSeries:
    """Units at risk on the bridge over time, their backing, and transactions pending under faults.

    ``in flight`` counts messages not final (locked or burned, not yet delivered, released or
    refunded). Backing is drawn as two lines per lane, the wrapped supply on Ethereum and the
    consortium escrow that backs it; ``unbacked`` is how far the wrapped supply exceeds the
    escrow (a forged mint shows here), never negative: in normal operation the escrow leads
    (a lock comes before its mint, a burn before its release), so the gap is only ever below zero.
    """
    lanes = bridge_lanes(events)
    messages = [e for e in events if e["kind"] == "bridge.message"]
    units: list[StepSeries] = []
    backing: list[StepSeries] = []
    unbacked_out: list[StepSeries] = []
    if messages:
        by_lane = sorted({int(m.get("lane", 0)) for m in messages})
        prefix = len(by_lane) > 1

        def named(lane: int, text: str) -> str:
            return f"lane {lane}: {text}" if prefix else text

        inflight = {
            (lane, d): StepSeries(
                named(lane, f"in flight {'to Ethereum' if d == 'to_ethereum' else 'to the consortium'}")
            )
            for lane in by_lane
            for d in ("to_ethereum", "to_consortium")
        }
        wrapped_line = {
            lane: StepSeries(named(lane, "wrapped supply on Ethereum")) for lane in by_lane if lane in lanes
        }
        escrow_line = {
            lane: StepSeries(named(lane, "backing: escrow on the consortium"), dashed=True)
            for lane in by_lane
            if lane in lanes
        }
        unbacked = {lane: StepSeries(named(lane, "unbacked wrapped units")) for lane in by_lane if lane in lanes}
        states: dict[str, tuple[int, str, int, str]] = {}  # id -> (lane, direction, amount, state)
        sums: dict[tuple[int, str], int] = {}
        escrow: dict[tuple[str, str], int] = {}
        eth = _EthereumSupply()
        for e in events:
            kind, t = e["kind"], e["t"]
            changed = False
            if kind == "bridge.message":
                lane, direction, amount = int(e.get("lane", 0)), e["direction"], int(e.get("amount", 0))
                before = states.get(e["id"])
                if before is not None and before[3] not in ("delivered", "refunded", "reorged_out"):
                    sums[(lane, direction)] = sums.get((lane, direction), 0) - before[2]
                if e["state"] not in ("delivered", "refunded", "reorged_out"):
                    sums[(lane, direction)] = sums.get((lane, direction), 0) + amount
                states[e["id"]] = (lane, direction, amount, e["state"])
                inflight[(lane, direction)].set(t, sums[(lane, direction)])
            elif kind == "consortium.tx" and e.get("status") == "ok" and e.get("escrow_delta"):
                for asset, delta in e["escrow_delta"].items():
                    key = (e.get("source", "consortium"), asset)
                    escrow[key] = escrow.get(key, 0) + int(delta)
                changed = True
            if eth.observe(e):
                changed = True
            if changed:
                for lane in unbacked:
                    info = lanes[lane]
                    wrapped = sum(v for (_, tok), v in eth.totals.items() if tok == info.get("token"))
                    lane_asset = info.get("asset_id")
                    held = (
                        0 if lane_asset is None else escrow.get((info.get("consortium", "consortium"), lane_asset), 0)
                    )
                    wrapped_line[lane].set(t, wrapped)
                    escrow_line[lane].set(t, held)
                    unbacked[lane].set(t, max(0, wrapped - held))
        for lane in by_lane:
            units += [inflight[(lane, "to_ethereum")], inflight[(lane, "to_consortium")]]
            if lane in unbacked:
                backing += [wrapped_line[lane], escrow_line[lane]]
                unbacked_out.append(unbacked[lane])
    pending: list[StepSeries] = []
    if fault_events(events):
        changes: dict[str, list[tuple[float, int, int]]] = {}
        for e in events:
            if e["kind"].endswith(".tx") and "submitted_at" in e:
                chain = e["kind"].rsplit(".", 1)[0]
                changes.setdefault(chain, []).append((float(e["submitted_at"]), 0, 1))
                changes.setdefault(chain, []).append((float(e["t"]), 1, -1))
        for chain, steps in sorted(changes.items()):
            series, count = StepSeries(f"{chain}: transactions pending"), 0
            for t, _, delta in sorted(steps):
                count += delta
                series.set(t, count)
            pending.append(series)
    value = None
    if report is not None and messages:
        values = note_valuations(report, events)
        found = {
            values.get(str(lanes[int(m.get("lane", 0))].get("asset_id")))
            for m in messages
            if int(m.get("lane", 0)) in lanes
        }
        if len(found) == 1:
            value = found.pop()
    return RiskSeries(units, backing, unbacked_out, pending, value)


@dataclass
class MessageTrack:
    """One bridge message across the chains: its states in order, with the lane each happened on."""

    id: str
    lane: int
    nonce: int
    direction: str
    amount: int
    steps: list[tuple[float, str, str]] = field(default_factory=list)  # (t, state, swim lane)
    reason: str | None = None
    phase: str | None = None  # the scenario phase in force when the message was sent

    @property
    def sent(self) -> float:
        """When the message was first seen (locked or burned on its source chain)."""
        return self.steps[0][0]

    @property
    def took(self) -> float:
        """Seconds from its first state to its last."""
        return self.steps[-1][0] - self.steps[0][0]


def _swim_lane(direction: str, state: str, seen_before: bool) -> str:
    if direction == "to_ethereum":
        if state == "in_flight":
            return "ethereum" if seen_before else "consortium"
        return "consortium" if state == "refunded" else "ethereum"
    if state in ("delivered", "rejected"):
        return "consortium"
    return "ethereum"


def message_tracks(events: Iterable[dict[str, Any]]) -> list[MessageTrack]:
    """Every bridge message with its state changes, in the order messages first appear."""
    tracks: dict[str, MessageTrack] = {}
    phase: str | None = None
    for e in events:
        if e["kind"] == "scenario.phase":
            phase = e.get("phase") if e.get("state") == "start" else None
        if e["kind"] != "bridge.message":
            continue
        track = tracks.get(e["id"])
        if track is None:
            track = tracks[e["id"]] = MessageTrack(
                e["id"],
                int(e.get("lane", 0)),
                int(e.get("nonce", 0)),
                e["direction"],
                int(e.get("amount", 0)),
                phase=phase,
            )
        track.steps.append((e["t"], e["state"], _swim_lane(track.direction, e["state"], bool(track.steps))))
        if e.get("reason"):
            track.reason = e["reason"]
    return list(tracks.values())


# =============================================================================================
# SVG drawing
# =============================================================================================
def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _f(value: float) -> str:
    """A coordinate: one decimal, no ``-0.0``."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def fmt_number(value: float | int | None, digits: int = 3) -> str:
    """Numbers as a person reads them: thousands separators, at most ``digits`` decimals."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_units(count: float | int | None) -> str:
    """``1 unit``, ``1,000 units``."""
    return f"{fmt_number(count)} {'unit' if count == 1 else 'units'}"


def fmt_seconds(seconds: float) -> str:
    """``326.1 s (5 min 26 s)``."""
    text = f"{seconds:,.1f} s"
    if seconds >= 3600 * 24:
        return f"{text} ({seconds / 86400:,.1f} days)"
    if seconds >= 3600:
        return f"{text} ({int(seconds // 3600)} h {int(seconds % 3600 // 60)} min)"
    if seconds >= 60:
        return f"{text} ({int(seconds // 60)} min {int(seconds % 60)} s)"
    return text


def nice_ticks(lo: float, hi: float, count: int = 5) -> tuple[float, float, list[float]]:
    """An axis range that covers ``[lo, hi]`` and round ticks across it (steps of 1, 2 or 5 × 10^k)."""
    if hi <= lo:
        hi = lo + (abs(lo) if lo else 1.0)
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    ticks = []
    n = int(round((stop - start) / step))
    for i in range(n + 1):
        ticks.append(round(start + i * step, 10))
    return start, stop, ticks


def tick_label(value: float) -> str:
    """Short tick text: ``2B``, ``1.5M``, ``20k``, ``0.25``."""
    v = round(value, 9)
    if abs(v) >= 1e9:
        return f"{v / 1e9:g}B"
    if abs(v) >= 1e6:
        return f"{v / 1e6:g}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


@dataclass
class _Frame:
    """A plot area and the mapping from data to pixels."""

    width: float
    height: float
    x0: float
    x1: float
    y0: float
    y1: float
    left: float = 64.0
    right: float = 16.0
    top: float = 22.0
    bottom: float = 36.0

    def x(self, value: float) -> float:
        span = self.x1 - self.x0 or 1.0
        return self.left + (value - self.x0) / span * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        span = self.y1 - self.y0 or 1.0
        return self.height - self.bottom - (value - self.y0) / span * (self.height - self.top - self.bottom)

    @property
    def plot_left(self) -> float:
        return self.left

    @property
    def plot_right(self) -> float:
        return self.width - self.right

    @property
    def plot_top(self) -> float:
        return self.top

    @property
    def plot_bottom(self) -> float:
        return self.height - self.bottom

    def axes(
        self,
        xticks: list[float],
        yticks: list[float],
        xlabel: str,
        ylabel: str,
        ytext: Callable[[float], str] = tick_label,
        xtext: Callable[[float], str] = tick_label,
        y2text: Callable[[float], str] | None = None,
        y2label: str = "",
    ) -> str:
        """Grid lines, labelled ticks (``text.tick`` with ``data-axis`` x, y or y2), the frame and the axis titles.

        ``y2text`` labels the same y ticks again on the right (a second scale of the same lines).
        """
        parts = []
        for v in yticks:
            y = _f(self.y(v))
            parts.append(f'<line class="grid" x1="{_f(self.plot_left)}" x2="{_f(self.plot_right)}" y1="{y}" y2="{y}"/>')
            parts.append(
                f'<text class="tick" data-axis="y" x="{_f(self.plot_left - 6)}" y="{y}" text-anchor="end" '
                f'dominant-baseline="middle">{_esc(ytext(v))}</text>'
            )
            if y2text is not None:
                parts.append(
                    f'<text class="tick" data-axis="y2" x="{_f(self.plot_right + 6)}" y="{y}" '
                    f'dominant-baseline="middle">{_esc(y2text(v))}</text>'
                )
        for v in xticks:
            x = _f(self.x(v))
            parts.append(f'<line class="grid" x1="{x}" x2="{x}" y1="{_f(self.plot_top)}" y2="{_f(self.plot_bottom)}"/>')
            parts.append(
                f'<text class="tick" data-axis="x" x="{x}" y="{_f(self.plot_bottom + 14)}" text-anchor="middle">'
                f"{_esc(xtext(v))}</text>"
            )
        parts.append(
            f'<rect class="frame" x="{_f(self.plot_left)}" y="{_f(self.plot_top)}" '
            f'width="{_f(self.plot_right - self.plot_left)}" height="{_f(self.plot_bottom - self.plot_top)}"/>'
        )
        parts.append(
            f'<text class="axis" x="{_f((self.plot_left + self.plot_right) / 2)}" '
            f'y="{_f(self.height - 4)}" text-anchor="middle">{_esc(xlabel)}</text>'
        )
        parts.append(f'<text class="axis" x="{_f(self.plot_left)}" y="{_f(self.plot_top - 8)}">{_esc(ylabel)}</text>')
        if y2label:
            parts.append(
                f'<text class="axis" x="{_f(self.plot_right)}" y="{_f(self.plot_top - 8)}" text-anchor="end">'
                f"{_esc(y2label)}</text>"
            )
        return "".join(parts)


def _svg(width: float, height: float, body: str, *, svg_id: str, label: str) -> str:
    return (
        f'<svg id="{_esc(svg_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{_esc(label)}" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}">{body}</svg>'
    )


def _step_path(frame: _Frame, points: list[tuple[float, float]], x_end: float) -> str:
    d = [f"M{_f(frame.x(frame.x0))} {_f(frame.y(0 if frame.y0 <= 0 <= frame.y1 else frame.y0))}"]
    for t, v in points:
        d.append(f"H{_f(frame.x(t))}V{_f(frame.y(v))}")
    d.append(f"H{_f(frame.x(x_end))}")
    return "".join(d)


def _legend(entries: list[tuple[str, str, bool]], group: str) -> str:
    """An HTML legend; clicking an entry hides or shows its series (``data-series``)."""
    items = []
    for i, (label, colour, dashed) in enumerate(entries):
        style = f"border-top:3px {'dashed' if dashed else 'solid'} {colour}"
        items.append(
            f'<button type="button" class="key" data-toggle="{_esc(group)}-{i}">'
            f'<span class="swatch" style="{style}"></span>{_esc(label)}</button>'
        )
    return f'<div class="legend">{"".join(items)}</div>'


def _fault_markers(frame: _Frame, faults: list[dict[str, Any]]) -> str:
    """Dashed vertical lines at the fault times, numbered as in the list under the plot."""
    parts = []
    groups: list[tuple[float, list[int], list[str]]] = []
    for number, e in enumerate(faults, start=1):
        x = frame.x(e["t"])
        if groups and abs(groups[-1][0] - x) < 7:
            groups[-1][1].append(number)
            groups[-1][2].append(f"{number}. t={e['t']:.1f} s {fault_label(e)}")
        else:
            groups.append((x, [number], [f"{number}. t={e['t']:.1f} s {fault_label(e)}"]))
    for row, (x, numbers, labels) in enumerate(groups):
        text = str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"
        y = frame.plot_top + 10 + (row % 3) * 12
        parts.append(
            f'<g class="fault"><title>{_esc(chr(10).join(labels))}</title>'
            f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{_f(frame.plot_top)}" y2="{_f(frame.plot_bottom)}" '
            f'stroke="{FAULT_COLOUR}" stroke-dasharray="4 3" stroke-width="1"/>'
            f'<text x="{_f(x + 3)}" y="{_f(y)}" fill="{FAULT_COLOUR}" class="mark">{_esc(text)}</text></g>'
        )
    return "".join(parts)


def _fault_list(faults: list[dict[str, Any]]) -> str:
    if not faults:
        return ""
    items = "".join(f"<li>t={e['t']:.1f} s — {_esc(fault_label(e))}</li>" for e in faults)
    return (
        f'<details class="faults"><summary>{len(faults)} injected fault(s), numbered on the plot</summary>'
        f"<ol>{items}</ol></details>"
    )


def step_chart(
    series: list[StepSeries],
    *,
    svg_id: str,
    title: str,
    x_end: float,
    ylabel: str,
    faults: Iterable[dict[str, Any]] = (),
    alerts: Iterable[dict[str, Any]] = (),
    width: float = 900,
    height: float = 260,
    colours: tuple[str, ...] = PALETTE,
    value: Valuation | None = None,
) -> str:
    """A step chart of ``series`` over simulated time, with fault lines and alert triangles.

    With ``value`` the y axis is labelled again on the right in money (units times the
    value of one unit), and the tooltips give both.
    """
    values = [v for s in series for _, v in s.points] + [0]
    y_lo, y_hi, yticks = nice_ticks(min(values), max(values) or 1)
    x_lo, x_hi, xticks = nice_ticks(0.0, x_end or 1.0, 8)
    frame = _Frame(width, height, x_lo, x_hi, y_lo, y_hi, left=72, right=72 if value else 16)
    body = [
        frame.axes(
            xticks,
            yticks,
            "simulated time (s)",
            ylabel,
            y2text=None if value is None else (lambda v: tick_label(v * value.per_unit)),
            y2label="" if value is None else f"{value.currency} at the {value.basis}",
        )
    ]
    body.append(_fault_markers(frame, list(faults)))
    palette = [s.colour or colours[i % len(colours)] for i, s in enumerate(series)]

    def amount(v: float) -> str:
        return fmt_number(v) + ("" if value is None else f" ({value.of(v)})")

    for i, s in enumerate(series):
        colour = palette[i]
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        tips = "; ".join(f"t={t:.1f}s: {amount(v)}" for t, v in s.points[:40])
        path = _step_path(frame, s.points, x_hi)
        if s.area:  # drawn only where the value is above zero: an empty area is no line along the axis
            if s.peak <= 0:
                continue
            base = _f(frame.y(0 if frame.y0 <= 0 <= frame.y1 else frame.y0))
            body.append(
                f'<path class="area" data-series="{_esc(svg_id)}-{i}" d="{path}V{base}Z" fill="{colour}" '
                f'fill-opacity="0.18" stroke="none"/>'
            )
        body.append(
            f'<path class="series" data-series="{_esc(svg_id)}-{i}" d="{path}" '
            f'stroke="{colour}" fill="none" stroke-width="2"{dash}><title>{_esc(s.label)}: {_esc(tips)}'
            f"</title></path>"
        )
    for a in alerts:
        x = frame.x(float(a.get("time", a.get("t", 0))))
        y = frame.plot_top
        tip = f"alert {a.get('name')} at t={float(a.get('time', a.get('t', 0))):.1f} s" + (
            f", value at risk {amount(a['value_at_risk'])}" if "value_at_risk" in a else ""
        )
        body.append(
            f'<path class="alert" d="M{_f(x)} {_f(y + 9)}L{_f(x - 5)} {_f(y)}L{_f(x + 5)} {_f(y)}Z" '
            f'fill="{FAULT_COLOUR}"><title>{_esc(tip)}</title></path>'
        )
    svg = _svg(width, height, "".join(body), svg_id=svg_id, label=title)
    legend = _legend(
        [(s.label + (" (none)" if s.area and s.peak <= 0 else ""), palette[i], s.dashed) for i, s in enumerate(series)],
        svg_id,
    )
    return svg + legend


def _cdf_points(values: list[float]) -> list[tuple[float, float]]:
    ordered = sorted(values)
    n = len(ordered)
    if n <= MAX_CURVE_POINTS:
        return [(v, (i + 1) / n) for i, v in enumerate(ordered)]
    return [
        (percentile(ordered, 100.0 * k / MAX_CURVE_POINTS), k / MAX_CURVE_POINTS)
        for k in range(1, MAX_CURVE_POINTS + 1)
    ]


def latency_cdf_chart(latencies: dict[str, list[float]], *, svg_id: str = "plot-latency-cdf") -> str:
    """The latency CDF of each phase (share of transactions included within x seconds)."""
    top = max((v for values in latencies.values() for v in values), default=0.0)
    x_lo, x_hi, xticks = nice_ticks(0.0, top or 1.0, 8)
    frame = _Frame(900, 280, x_lo, x_hi, 0.0, 1.0, left=56)
    body = [
        frame.axes(
            xticks,
            [0, 0.25, 0.5, 0.75, 1.0],
            "latency: submission to inclusion (simulated s)",
            "share of transactions ≤ x",
            ytext=lambda v: f"{v:g}",
        )
    ]
    entries = []
    for i, (phase, values) in enumerate(latencies.items()):
        colour = PALETTE[i % len(PALETTE)]
        points = _cdf_points(values)
        d = [f"M{_f(frame.x(0))} {_f(frame.y(0))}"]
        for v, share in points:
            d.append(f"H{_f(frame.x(v))}V{_f(frame.y(share))}")
        d.append(f"H{_f(frame.x(x_hi))}")
        ordered = sorted(values)
        tip = (
            f"{phase}: {len(values)} tx, p50 {fmt_number(percentile(ordered, 50))} s, "
            f"p95 {fmt_number(percentile(ordered, 95))} s, max {fmt_number(ordered[-1])} s"
        )
        body.append(
            f'<path class="series" data-series="{svg_id}-{i}" d="{"".join(d)}" stroke="{colour}" '
            f'fill="none" stroke-width="2"><title>{_esc(tip)}</title></path>'
        )
        entries.append((f"{phase} ({len(values)})", colour, False))
    return _svg(900, 280, "".join(body), svg_id=svg_id, label="latency CDF per phase") + _legend(entries, svg_id)


def operation_chart(ops: dict[str, list[float]], *, svg_id: str = "plot-latency-ops") -> str:
    """Latency per kind of operation: min–max line, p50–p95 bar, p50 tick, count."""
    shown = sorted(ops.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:MAX_OPERATIONS]
    shown.sort(key=lambda kv: kv[0])
    top = max((max(v) for _, v in shown), default=0.0)
    x_lo, x_hi, xticks = nice_ticks(0.0, top or 1.0, 6)
    row, label_w = 20, 300
    height = 30 + row * len(shown) + 40
    frame = _Frame(900, height, x_lo, x_hi, 0.0, 1.0, left=label_w, right=70, top=16, bottom=36)
    body = [frame.axes(xticks, [], "latency (simulated s)", "")]
    for i, (name, values) in enumerate(shown):
        ordered = sorted(values)
        y = frame.plot_top + 12 + i * row
        lo, hi = ordered[0], ordered[-1]
        p50, p95 = percentile(ordered, 50), percentile(ordered, 95)
        tip = (
            f"{name}: {len(values)} tx, min {fmt_number(lo)} s, p50 {fmt_number(p50)} s, "
            f"p95 {fmt_number(p95)} s, max {fmt_number(hi)} s"
        )
        body.append(
            f'<g class="op"><title>{_esc(tip)}</title>'
            f'<text class="tick" data-axis="y" x="{_f(label_w - 8)}" y="{_f(y)}" text-anchor="end" dominant-baseline="middle">'
            f"{_esc(name)}</text>"
            f'<line x1="{_f(frame.x(lo))}" x2="{_f(frame.x(hi))}" y1="{_f(y)}" y2="{_f(y)}" stroke="#9ca3af" '
            f'stroke-width="2"/>'
            f'<rect x="{_f(frame.x(p50))}" y="{_f(y - 5)}" width="{_f(max(frame.x(p95) - frame.x(p50), 1.5))}" '
            f'height="10" fill="#93c5fd"/>'
            f'<line x1="{_f(frame.x(p50))}" x2="{_f(frame.x(p50))}" y1="{_f(y - 7)}" y2="{_f(y + 7)}" '
            f'stroke="#1d4ed8" stroke-width="2"/>'
            f'<text class="tick" x="{_f(frame.plot_right + 6)}" y="{_f(y)}" dominant-baseline="middle">'
            f"n={len(values)}</text></g>"
        )
    note = (
        ""
        if len(ops) <= MAX_OPERATIONS
        else f'<p class="note">The {MAX_OPERATIONS} most frequent of {len(ops)} operations are shown.</p>'
    )
    return _svg(900, height, "".join(body), svg_id=svg_id, label="latency per operation") + note


def fmt_duration(seconds: float) -> str:
    """A tick on the elapsed-time axis: ``0``, ``5 s``, ``2 min``, ``6 h``, ``2 d``."""
    if seconds <= 0:
        return "0"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def fmt_clock(seconds: float) -> str:
    """A time on the run's clock, in simulated seconds: ``50.1 s``, ``7,390 s``."""
    return f"{seconds:,.1f} s" if seconds < 1000 else f"{seconds:,.0f} s"


def fmt_elapsed(seconds: float) -> str:
    """How long something took, as a person says it: ``8.0 s``, ``1 min 5 s``, ``2 h 3 min``, ``3.5 days``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
    return f"{seconds / 86400:,.1f} days"


@dataclass
class ElapsedAxis:
    """Time since a message was sent, on a log scale (``log10(1 + s)``): seconds and hours both readable."""

    left: float
    right: float
    hi: float

    def x(self, seconds: float) -> float:
        return self.left + math.log10(1 + max(seconds, 0.0)) / math.log10(1 + self.hi) * (self.right - self.left)

    def ticks(self, min_gap: float = 44.0) -> list[float]:
        """Round durations up to ``hi``, thinned so that their labels keep ``min_gap`` px apart."""
        kept: list[float] = []
        for v in (t for t in DURATION_TICKS if t <= self.hi):
            if not kept or self.x(v) - self.x(kept[-1]) >= min_gap:
                kept.append(float(v))
        return kept


def _spread(xs: list[float], gap: float) -> list[float]:
    """Marker positions along one row, moved right just enough that no two overlap."""
    out: list[float] = []
    for x in xs:
        out.append(max(x, out[-1] + gap) if out else x)
    return out


def _outcome(track: MessageTrack) -> str:
    state = track.steps[-1][1]
    if state == "in_flight":
        return f"in flight at the end ({fmt_elapsed(track.took)})" if track.took else "in flight at the end"
    if state == "reorged_out":
        return f"reorged out after {fmt_elapsed(track.took)}"
    return f"{state} in {fmt_elapsed(track.took)}"


def timeline_chart(
    tracks: list[MessageTrack],
    *,
    value: Valuation | None = None,
    svg_id: str = "plot-timeline",
    width: float = 960,
) -> str:
    """Swim lanes, one per message: its states against the time since it was sent.

    Each row starts at the message's lock or burn (time 0) and marks every later state at its
    elapsed time on a log scale, so a batch of messages sent together does not collapse into one
    smear and a slow refund is as legible as a fast delivery. Rows are in the order the messages
    were sent, under a heading for the scenario phase; the send time is printed beside each row.
    Markers of one message closer than their width are set side by side (the tooltip has the
    exact times).
    """
    shown = sorted(tracks, key=lambda t: t.sent)[:MAX_TIMELINE_MESSAGES]
    rows: list[tuple[str, Any]] = []
    for track in shown:
        if track.phase and (not rows or rows[-1][0] == "message" and rows[-1][1].phase != track.phase):
            rows.append(("phase", track.phase))
        rows.append(("message", track))
    sent_w, label_w, outcome_w, top, bottom = 70.0, 330.0, 170.0, 16.0, 44.0
    height = top + TIMELINE_ROW * len(rows) + bottom
    longest = max((t.took for t in shown), default=0.0)
    hi = next((float(v) for v in DURATION_TICKS if v >= max(longest, 10.0)), longest)
    axis = ElapsedAxis(label_w, width - outcome_w, hi)
    plot_bottom = top + TIMELINE_ROW * len(rows)
    lanes = sorted({t.lane for t in shown})
    body: list[str] = []
    for k, (kind, item) in enumerate(rows):
        y0 = top + k * TIMELINE_ROW
        if kind == "phase":
            body.append(
                f'<rect class="phase-row" x="0" y="{_f(y0)}" width="{_f(width)}" height="{_f(TIMELINE_ROW)}"/>'
                f'<text class="lane-label" x="6" y="{_f(y0 + TIMELINE_ROW / 2)}" dominant-baseline="middle">'
                f"{_esc(item)}</text>"
            )
        elif k % 2:
            body.append(f'<rect class="lane1" x="0" y="{_f(y0)}" width="{_f(width)}" height="{_f(TIMELINE_ROW)}"/>')
    for v in axis.ticks():
        at = _f(axis.x(v))
        body.append(f'<line class="grid" x1="{at}" x2="{at}" y1="{_f(top)}" y2="{_f(plot_bottom)}"/>')
        body.append(
            f'<text class="tick" data-axis="x" x="{at}" y="{_f(plot_bottom + 14)}" text-anchor="middle">'
            f"{_esc(fmt_duration(v))}</text>"
        )
    body.append(
        f'<line class="frame" x1="{_f(axis.left)}" x2="{_f(axis.right)}" y1="{_f(plot_bottom)}" '
        f'y2="{_f(plot_bottom)}" stroke="#cbd5e1"/>'
        f'<text class="axis" x="{_f((axis.left + axis.right) / 2)}" y="{_f(height - 6)}" text-anchor="middle">'
        "time since the message was sent (simulated, log scale)</text>"
        f'<text class="axis" x="{_f(sent_w - 6)}" y="{_f(top - 4)}" text-anchor="end">sent at</text>'
        f'<text class="axis" x="{_f(sent_w + 6)}" y="{_f(top - 4)}">message</text>'
        f'<text class="axis" x="{_f(axis.right + 10)}" y="{_f(top - 4)}">outcome</text>'
    )
    for k, (kind, track) in enumerate(rows):
        if kind != "message":
            continue
        y = top + k * TIMELINE_ROW + TIMELINE_ROW / 2
        colour = DIRECTION_COLOURS.get(track.direction, "#4b5563")
        arrow = "→ Ethereum" if track.direction == "to_ethereum" else "→ consortium"
        lane = f"lane {track.lane} " if len(lanes) > 1 else ""
        amount = fmt_units(track.amount) + (f" ({value.of(track.amount)})" if value else "")
        history = " → ".join(f"{state} at t={t:.1f} s (+{fmt_elapsed(t - track.sent)})" for t, state, _ in track.steps)
        tip = f"lane {track.lane} nonce {track.nonce} {track.direction.replace('_', ' ')}, {amount}: {history}" + (
            f" ({track.reason})" if track.reason else ""
        )
        xs = _spread([axis.x(t - track.sent) for t, _, _ in track.steps], 2 * MARK_R + MARK_GAP)
        marks = []
        for x, (_, state, _) in zip(xs, track.steps):
            if state == "reorged_out":
                r = MARK_R
                marks.append(
                    f'<path class="tl-mark" d="M{_f(x - r)} {_f(y - r)}L{_f(x + r)} {_f(y + r)}M{_f(x - r)} '
                    f'{_f(y + r)}L{_f(x + r)} {_f(y - r)}" stroke="{STATE_COLOURS["reorged_out"]}" stroke-width="2"/>'
                )
            else:
                marks.append(
                    f'<circle class="tl-mark" cx="{_f(x)}" cy="{_f(y)}" r="{MARK_R}" '
                    f'fill="{STATE_COLOURS.get(state, "#4b5563")}" stroke="#fff" stroke-width="1"/>'
                )
        body.append(
            f'<g class="msg" data-series="{svg_id}-{0 if track.direction == "to_ethereum" else 1}">'
            f"<title>{_esc(tip)}</title>"
            f'<text class="tick sent" x="{_f(sent_w - 6)}" y="{_f(y)}" text-anchor="end" '
            f'dominant-baseline="middle">{_esc(fmt_clock(track.sent))}</text>'
            f'<text class="tick" data-axis="y" x="{_f(sent_w + 6)}" y="{_f(y)}" dominant-baseline="middle">'
            f"{_esc(f'{lane}#{track.nonce} {arrow} · {amount}')}</text>"
            f'<line x1="{_f(xs[0])}" x2="{_f(xs[-1])}" y1="{_f(y)}" y2="{_f(y)}" stroke="{colour}" '
            f'stroke-width="2.5" stroke-linecap="round"/>{"".join(marks)}'
            f'<text class="tick outcome" x="{_f(axis.right + 10)}" y="{_f(y)}" dominant-baseline="middle">'
            f"{_esc(_outcome(track))}</text></g>"
        )
    svg = _svg(width, height, "".join(body), svg_id=svg_id, label="bridge messages: time since sent")
    legend = _legend(
        [
            ("messages to Ethereum", DIRECTION_COLOURS["to_ethereum"], False),
            ("messages to the consortium", DIRECTION_COLOURS["to_consortium"], False),
        ],
        svg_id,
    )
    states = "".join(
        f'<span class="state"><span class="dot" style="background:{c}"></span>{_esc(s.replace("_", " "))}</span>'
        for s, c in STATE_COLOURS.items()
    )
    note = (
        ""
        if len(tracks) <= MAX_TIMELINE_MESSAGES
        else f'<p class="note">The first {MAX_TIMELINE_MESSAGES} of {len(tracks)} messages are drawn.</p>'
    )
    return svg + legend + f'<div class="legend states">{states}</div>' + note


#: The rows of the incident strip under the message timeline, and what goes in each.
INCIDENT_LANES = (
    ("faults", "injected faults"),
    ("bridge", "bridge and relayers"),
    ("nodes", "consortium nodes"),
    ("alerts", "monitor alerts"),
)
#: The row drawn under them when the regulator's surveillance opened cases (``supervision.case``).
CASES_LANE = ("cases", "supervision cases")
CASE_COLOUR = "#7c3aed"


def incident_lane(e: dict[str, Any]) -> str | None:
    """The incident strip's row for an event, or None if it is not drawn there."""
    kind = e["kind"]
    if kind.endswith(".fault"):
        return "faults"
    if kind in BRIDGE_MARKERS:
        return "bridge"
    if kind in CONSORTIUM_MARKERS:
        return "nodes"
    if kind == "monitor.alert":
        return "alerts"
    if kind == "supervision.case":
        return "cases"
    return None


def _incident_text(e: dict[str, Any], number: int | None) -> str:
    if number is not None:
        return f"{number}. t={e['t']:.1f} s {fault_label(e)}"
    skip = {"seq", "t", "kind", "source"}
    detail = ", ".join(f"{k}={_short(v)}" for k, v in sorted(e.items()) if k not in skip)
    return f"t={e['t']:.1f} s {e['kind']}" + (f" ({detail})" if detail else "")


def incidents_chart(
    events: list[dict[str, Any]], x_end: float, *, svg_id: str = "plot-timeline-events", width: float = 960
) -> str:
    """Faults, relayer and bridge events, node crashes and alerts on the run's own clock, one row each.

    Markers closer than :data:`CLUSTER_PX` are drawn as one numbered marker (how many), with
    every event in its tooltip, so nothing is drawn over anything else.
    """
    numbers = {id(e): n for n, e in enumerate(fault_events(events), start=1)}
    lanes = INCIDENT_LANES + ((CASES_LANE,) if any(e["kind"] == "supervision.case" for e in events) else ())
    by_lane: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in lanes}
    for e in events:
        lane = incident_lane(e)
        if lane is not None and lane in by_lane and len(by_lane[lane]) < MAX_TIMELINE_MARKERS:
            by_lane[lane].append(e)
    row, top = 26.0, 12.0
    height = top + row * len(lanes) + 42
    x_lo, x_hi, xticks = nice_ticks(0.0, x_end or 1.0, 8)
    frame = _Frame(width, height, x_lo, x_hi, 0.0, 1.0, left=160, right=24, top=top, bottom=42)
    body = []
    for k, (name, label) in enumerate(lanes):
        y0 = top + k * row
        body.append(
            f'<rect class="lane{k % 2}" x="{_f(frame.plot_left)}" y="{_f(y0)}" '
            f'width="{_f(frame.plot_right - frame.plot_left)}" height="{_f(row)}"/>'
            f'<text class="tick" data-axis="y" x="{_f(frame.plot_left - 8)}" y="{_f(y0 + row / 2)}" '
            f'text-anchor="end" dominant-baseline="middle">{_esc(label)}</text>'
        )
        if not by_lane[name]:
            body.append(
                f'<text class="tick none" x="{_f(frame.plot_left + 8)}" y="{_f(y0 + row / 2)}" '
                f'dominant-baseline="middle">none</text>'
            )
    body.append(frame.axes(xticks, [], "simulated time (s)", ""))
    for k, (name, _) in enumerate(lanes):
        y = top + k * row + row / 2
        clusters: list[tuple[float, list[dict[str, Any]]]] = []
        for e in by_lane[name]:
            x = frame.x(e["t"])
            if clusters and x < clusters[-1][0] + CLUSTER_PX:
                clusters[-1][1].append(e)
            else:
                clusters.append((x, [e]))
        for x, members in clusters:
            colours = {FAULT_COLOUR if name == "faults" else _incident_colour(e) for e in members}
            colour = colours.pop() if len(colours) == 1 else "#4b5563"
            tip = "\n".join(_incident_text(e, numbers.get(id(e))) for e in members)
            if len(members) == 1:
                shape = (
                    f'<path class="tl-mark" d="M{_f(x)} {_f(y - 6)}L{_f(x + 6)} {_f(y)}L{_f(x)} {_f(y + 6)}'
                    f'L{_f(x - 6)} {_f(y)}Z" fill="{colour}"/>'
                )
            else:
                shape = (
                    f'<circle class="tl-mark" cx="{_f(x)}" cy="{_f(y)}" r="7" fill="{colour}"/>'
                    f'<text class="count" x="{_f(x)}" y="{_f(y)}" text-anchor="middle" '
                    f'dominant-baseline="central">{len(members)}</text>'
                )
            body.append(f'<g class="incident"><title>{_esc(tip)}</title>{shape}</g>')
    return _svg(width, height, "".join(body), svg_id=svg_id, label="faults, bridge events and alerts over time")


def _incident_colour(e: dict[str, Any]) -> str:
    kind = e["kind"]
    if kind == "monitor.alert":
        return FAULT_COLOUR
    if kind == "supervision.case":
        return CASE_COLOUR
    return BRIDGE_MARKERS.get(kind) or CONSORTIUM_MARKERS.get(kind) or "#4b5563"


# ---- topology --------------------------------------------------------------------------------
def layout_topology(graph: dict[str, Any], width: float = 900, height: float = 420) -> dict[str, tuple[float, float]]:
    """Deterministic positions: each consortium's validators on a circle (or at their geo
    positions) on the left, bridge lanes and relayers in the middle, Ethereum and its tokens
    on the right."""
    nodes = graph.get("nodes", [])
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for n in nodes:
        by_kind.setdefault(n["kind"], []).append(n)
    pos: dict[str, tuple[float, float]] = {}
    consortia = by_kind.get("consortium", [])
    has_right = bool(by_kind.get("ethereum") or by_kind.get("bridge_lane"))
    cx = 230.0 if has_right else width / 2
    slot = height / max(len(consortia), 1)
    for k, c in enumerate(consortia):
        cy = slot * (k + 0.5)
        radius = max(min(slot / 2 - 66, 140.0), 24.0)
        pos[c["id"]] = (cx, cy)
        members = [n for n in by_kind.get("validator", []) if n.get("chain") == c["id"]]
        geo = all("pos" in n for n in members) and members
        for i, n in enumerate(members):
            if geo:
                px, py = n["pos"]
                pos[n["id"]] = (round(cx - radius + 2 * radius * px, 1), round(cy - radius + 2 * radius * py, 1))
            elif len(members) == 1:
                pos[n["id"]] = (cx, cy)
            else:
                angle = -math.pi / 2 + 2 * math.pi * i / len(members)
                pos[n["id"]] = (round(cx + radius * math.cos(angle), 1), round(cy + radius * math.sin(angle), 1))
    lanes = by_kind.get("bridge_lane", [])
    lane_slot = height / max(len(lanes), 1)
    for k, lane in enumerate(lanes):
        ly = lane_slot * (k + 0.5)
        pos[lane["id"]] = (500.0, round(ly, 1))
        relayers = [n for n in by_kind.get("relayer", []) if n["id"].startswith(lane["id"] + "/")]
        for i, r in enumerate(relayers):
            pos[r["id"]] = (round(500.0 + (i - (len(relayers) - 1) / 2) * 56, 1), round(ly + 58, 1))
    eth = by_kind.get("ethereum", [])
    for k, e in enumerate(eth):
        ey = height / max(len(eth), 1) * (k + 0.5)
        ex = 760.0 if consortia or lanes else width / 2
        pos[e["id"]] = (ex, round(ey - 30, 1))
        tokens = [n for n in by_kind.get("token", []) if n.get("chain") == e["id"]]
        for i, t in enumerate(tokens):
            pos[t["id"]] = (ex, round(ey + 36 + i * 34, 1))
    return pos


def topology_chart(graph: dict[str, Any], *, svg_id: str = "plot-topology") -> str:
    """The run's topology as SVG: validator links (latency on hover), Ethereum, tokens, bridge lanes, relayers."""
    width, height = 900.0, 420.0
    pos = layout_topology(graph, width, height)
    nodes = {n["id"]: n for n in graph.get("nodes", [])}
    body = []
    for c in (n for n in nodes.values() if n["kind"] == "consortium"):
        members = [pos[m["id"]] for m in nodes.values() if m.get("chain") == c["id"] and m["kind"] == "validator"]
        cx, cy = pos[c["id"]]
        r = max((math.hypot(x - cx, y - cy) for x, y in members), default=0) + 30
        tip = (
            f"{c['label']}: {c.get('validators')} validators, quorum {c.get('quorum')}, shape {c.get('shape')}, "
            f"chain id {c.get('chain_id')}"
        )
        body.append(
            f'<g class="group"><title>{_esc(tip)}</title><circle cx="{_f(cx)}" cy="{_f(cy)}" r="{_f(r)}" '
            f'fill="#eff6ff" stroke="#93c5fd" stroke-dasharray="5 4"/>'
            f'<text class="node-label" x="{_f(cx)}" y="{_f(cy + r + 16)}" text-anchor="middle">'
            f"{_esc(c['label'])} · quorum {_esc(c.get('quorum'))} of {_esc(c.get('validators'))}</text></g>"
        )
    anchor = {}
    for node_id, node in nodes.items():
        if node["kind"] == "consortium":
            cx, cy = pos[node_id]
            members = [pos[m["id"]] for m in nodes.values() if m.get("chain") == node_id and m["kind"] == "validator"]
            r = max((math.hypot(x - cx, y - cy) for x, y in members), default=0) + 30
            anchor[node_id] = (cx + r, cy)
    for e in graph.get("edges", []):
        if e["kind"] == "member" or e["source"] not in pos or e["target"] not in pos:
            continue
        (x1, y1), (x2, y2) = anchor.get(e["source"], pos[e["source"]]), anchor.get(e["target"], pos[e["target"]])
        if e["kind"] == "link":
            tip = (
                f"{nodes[e['source']]['label']} – {nodes[e['target']]['label']}: latency "
                f"{fmt_number(e.get('latency', 0) * 1000)} ms, jitter {fmt_number(e.get('jitter', 0) * 1000)} ms, "
                f"loss {fmt_number(e.get('loss', 0))}"
            )
            style = 'stroke="#64748b" stroke-width="1.5"'
        elif e["kind"] == "bridge":
            tip, style = f"bridge: {e['source']} → {e['target']}", 'stroke="#d97706" stroke-width="3"'
        else:
            tip, style = (
                f"{e['kind']}: {e['source']} – {e['target']}",
                'stroke="#9ca3af" stroke-width="1.2" stroke-dasharray="3 3"',
            )
        body.append(
            f'<line class="edge edge-{_esc(e["kind"])}" x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" '
            f'y2="{_f(y2)}" {style}><title>{_esc(tip)}</title></line>'
        )
    for node_id, node in nodes.items():
        if node_id not in pos or node["kind"] == "consortium":
            continue
        x, y = pos[node_id]
        kind, label = node["kind"], node["label"]
        details = ", ".join(
            f"{k} {_short(v)}" for k, v in sorted(node.items()) if k not in ("id", "kind", "label", "pos")
        )
        tip = f"{kind} {label}" + (f": {details}" if details else "")
        if kind == "validator":
            shape = f'<circle cx="{_f(x)}" cy="{_f(y)}" r="17" fill="#2563eb"/>'
            text = (
                f'<text class="node-in" x="{_f(x)}" y="{_f(y)}" text-anchor="middle" dominant-baseline="middle">'
                f"{_esc(label)}</text>"
            )
            if node.get("org"):
                text += f'<text class="node-sub" x="{_f(x)}" y="{_f(y + 28)}" text-anchor="middle">{_esc(node["org"])}</text>'
        elif kind == "ethereum":
            shape = (
                f'<path d="M{_f(x)} {_f(y - 34)}L{_f(x + 26)} {_f(y)}L{_f(x)} {_f(y + 34)}L{_f(x - 26)} {_f(y)}Z" '
                f'fill="#7c3aed"/>'
            )
            text = (
                f'<text class="node-label" x="{_f(x)}" y="{_f(y - 42)}" text-anchor="middle">{_esc(label)}'
                f"{(' · ' + _esc(node['backend'])) if node.get('backend') else ''}</text>"
            )
        elif kind == "bridge_lane":
            shape = f'<rect x="{_f(x - 56)}" y="{_f(y - 20)}" width="112" height="40" rx="8" fill="#d97706"/>'
            text = (
                f'<text class="node-in" x="{_f(x)}" y="{_f(y - 4)}" text-anchor="middle">{_esc(label)}</text>'
                f'<text class="node-in small" x="{_f(x)}" y="{_f(y + 11)}" text-anchor="middle">'
                f"{_esc(node.get('verifier', ''))}</text>"
            )
        elif kind == "relayer":
            shape = f'<circle cx="{_f(x)}" cy="{_f(y)}" r="9" fill="#f59e0b"/>'
            text = f'<text class="node-sub" x="{_f(x)}" y="{_f(y + 22)}" text-anchor="middle">{_esc(label)}</text>'
        elif kind == "token":
            shape = (
                f'<rect x="{_f(x - 48)}" y="{_f(y - 12)}" width="96" height="24" rx="12" fill="#ede9fe" '
                f'stroke="#7c3aed"/>'
            )
            text = (
                f'<text class="node-sub" x="{_f(x)}" y="{_f(y)}" text-anchor="middle" dominant-baseline="middle">'
                f"{_esc(label)}</text>"
            )
        else:
            shape = f'<circle cx="{_f(x)}" cy="{_f(y)}" r="10" fill="#6b7280"/>'
            text = f'<text class="node-sub" x="{_f(x)}" y="{_f(y + 22)}" text-anchor="middle">{_esc(label)}</text>'
        body.append(f'<g class="node node-{_esc(kind)}"><title>{_esc(tip)}</title>{shape}{text}</g>')
    return _svg(width, height, "".join(body), svg_id=svg_id, label="topology")


# =============================================================================================
# the page
# =============================================================================================
CSS = """
:root{--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--ok:#059669;--bad:#dc2626;--bg:#fff;--soft:#f9fafb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--fg);background:var(--bg)}
header{padding:20px 28px 8px;border-bottom:1px solid var(--line)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:18px 0 6px}
main{padding:0 28px 40px;max-width:1100px}
nav a{margin-right:14px;color:#2563eb;text-decoration:none}nav{margin:8px 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:12px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}td:not(:last-child){white-space:nowrap}th{background:var(--soft);font-weight:600}
.pass{color:var(--ok);font-weight:600}.fail{color:var(--bad);font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;color:#fff}
.badge.pass{background:var(--ok);color:#fff}.badge.fail{background:var(--bad);color:#fff}
.nodata{color:var(--muted);font-style:italic}
.note{color:var(--muted);font-size:12px}
svg.chart{display:block;max-width:100%;height:auto;margin:6px 0}
svg .grid{stroke:#eef0f3;stroke-width:1}svg .frame{fill:none;stroke:#cbd5e1}
svg text{font-family:inherit}svg .tick{font-size:11px;fill:#4b5563}svg .axis{font-size:12px;fill:#374151}
svg .mark{font-size:11px;font-weight:700}svg .lane0{fill:#f8fafc}svg .lane1{fill:#f1f5f9}
svg .lane-label{font-size:12px;font-weight:600;fill:#374151}svg .phase-row{fill:#e0e7ff}
svg .count{font-size:9px;font-weight:700;fill:#fff}svg .tick.sent,svg .tick.none{fill:#6b7280}
svg .node-label{font-size:13px;font-weight:600;fill:#1f2937}svg .node-in{font-size:12px;fill:#fff;font-weight:600}
svg .node-in.small{font-size:10px;font-weight:400}svg .node-sub{font-size:11px;fill:#374151}
svg .hidden{display:none}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:2px 0 10px}
.legend .key{background:none;border:0;padding:0;font:inherit;font-size:12px;cursor:pointer;color:var(--fg)}
.legend .key.off{opacity:.4;text-decoration:line-through}
.swatch{display:inline-block;width:22px;margin-right:6px;vertical-align:middle}
.state{font-size:12px}.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:4px}
.panel h3{margin-bottom:0}
details.faults{font-size:12px;margin:0 0 12px}details.faults ol{margin:4px 0}
code{font-size:12px}
"""

SCRIPT = """
(function () {
  'use strict';
  document.querySelectorAll('.legend .key[data-toggle]').forEach(function (key) {
    key.addEventListener('click', function () {
      var id = key.getAttribute('data-toggle');
      var off = key.classList.toggle('off');
      document.querySelectorAll('[data-series="' + id + '"]').forEach(function (el) {
        el.classList.toggle('hidden', off);
      });
    });
  });
})();
"""


def _table(header: list[str], rows: list[list[str]], *, table_id: str = "") -> str:
    """An HTML table; cells are given already escaped."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' id="{_esc(table_id)}"' if table_id else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def _supervision(sup: dict[str, Any]) -> str:
    """The regulator's feeds, the scores per typology and overall, the cases and the ground truth."""
    scores = sup["scores"]
    rows = []
    for name, block in [*sorted(scores["by_typology"].items()), ("all typologies", scores["overall"])]:
        rows.append(
            [
                _esc(name.replace("_", " ")),
                _esc(block["planted"]),
                _esc(block["cases"]),
                _esc(_share(block["recall"])),
                _esc(_share(block["precision"])),
                _esc("–" if block["detect_p50_s"] is None else fmt_seconds(block["detect_p50_s"])),
                _esc("–" if block["detect_p95_s"] is None else fmt_seconds(block["detect_p95_s"])),
                _esc(_share(block["caught_before_exit"])),
            ]
        )
    overall = scores["overall"]
    head = (
        f'<p class="note">The regulator\'s feeds: {_esc(", ".join(sup["feeds"]))}. '
        f"{_esc(sup['feed_items'])} feed items; {_esc(overall['data_requests'])} data requests to custodians; "
        f"{_esc(fmt_number(overall['alerts_per_1k_investor_day']) if overall['alerts_per_1k_investor_day'] is not None else '–')}"
        " cases per 1,000 investors per day. Scored against the ground truth, which the regulator never sees; "
        "cases are also drawn on the message timeline.</p>"
    )
    if sup.get("not_planted"):
        head += f'<p class="note">Not planted on this topology: {_esc(", ".join(sup["not_planted"]))}.</p>'
    body = head + _table(
        ["typology", "planted", "cases", "recall", "precision", "detect p50", "detect p95", "caught before exit"],
        rows,
        table_id="supervision-scores",
    )
    if sup["cases"]:
        body += "<h3>Cases</h3>" + _table(
            ["#", "time", "typology", "subjects", "evidence (event seq)", "detail"],
            [
                [
                    _esc(c["id"]),
                    _esc(fmt_seconds(c["time"])),
                    _esc(c["typology"].replace("_", " ")),
                    "<br>".join(f"<code>{_esc(x)}</code>" for x in c["subjects"]),
                    _esc(", ".join(str(x) for x in c["evidence"])),
                    _esc(c["detail"]),
                ]
                for c in sup["cases"]
            ],
            table_id="supervision-cases",
        )
    else:
        body += _nodata("supervision-cases", "The regulator opened no case.")
    if sup["ground_truth"]:
        body += "<h3>Ground truth</h3>" + _table(
            ["typology", "owner", "accounts", "first leg", "last leg", "units"],
            [
                [
                    _esc((t["typology"] + (f" ({t['variant']})" if t["variant"] else "")).replace("_", " ")),
                    _esc(t["owner"]),
                    _esc(len(t["subjects"])),
                    _esc("–" if t["start"] is None else fmt_seconds(t["start"])),
                    _esc("–" if t["end"] is None else fmt_seconds(t["end"])),
                    _esc(t["volume"]),
                ]
                for t in sup["ground_truth"]
            ],
            table_id="supervision-truth",
        )
    return body


def _nodata(section: str, text: str) -> str:
    return f'<p class="nodata" id="nodata-{_esc(section)}">{_esc(text)}</p>'


def _summary(report: dict[str, Any], events: list[dict[str, Any]], value: Valuation | None) -> str:
    invariants = report.get("invariants", {})
    failed = [n for n, ok in invariants.items() if not ok]
    facts = [
        ("scenario", _esc(report.get("scenario"))),
        ("seed", _esc(report.get("seed"))),
        ("topology", _esc(report.get("topology"))),
        ("backend", _esc(report.get("backend"))),
        ("simulated time", _esc(fmt_seconds(float(report.get("simulated_seconds", 0.0))))),
        ("events", _esc(fmt_number(report.get("event_count", 0)))),
        (
            "invariants",
            (
                f'<span class="badge fail">{len(failed)} of {len(invariants)} failed</span>'
                if failed
                else f'<span class="badge pass">all {len(invariants)} hold</span>'
            )
            if invariants
            else "none checked",
        ),
        ("alerts", _esc(len(report.get("alerts", [])))),
    ]
    calendars = [e for e in events if e.get("kind") == "lifecycle.calendar"]
    if calendars:
        day = float(calendars[0].get("day_seconds", 86_400.0))
        compressed = any(e.get("compressed") for e in calendars)
        facts.append(
            (
                "note calendar",
                f'<span class="badge fail" id="compressed-calendar">compressed: a day is {_esc(fmt_seconds(day))}'
                "</span> a quick look only: bridge crossings and Ethereum finality span days of the note"
                if compressed
                else "real: a day is 86,400 simulated seconds",
            )
        )
    out = ['<dl class="facts" id="summary-facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"]
    out.append("<h3>Invariants</h3>")
    if invariants:
        out.append(
            _table(
                ["invariant", "result"],
                [
                    [
                        f"<code>{_esc(name)}</code>",
                        '<span class="pass">pass</span>' if ok else '<span class="fail">FAIL</span>',
                    ]
                    for name, ok in invariants.items()
                ],
                table_id="invariants",
            )
        )
    else:
        out.append(_nodata("invariants", "The scenario checked no invariants."))
    out.append("<h3>Alerts</h3>")
    alerts = report.get("alerts", [])
    if alerts:
        rows = []
        for a in alerts:
            detail = ", ".join(
                f"{k}={_short(v)}" for k, v in sorted(a.items()) if k not in ("name", "time", "value_at_risk")
            )
            rows.append(
                [
                    f"<code>{_esc(a.get('name'))}</code>",
                    _esc(f"{float(a.get('time', 0)):.1f} s"),
                    _esc(_units_and_money(a.get("value_at_risk"), value)),
                    _esc(detail),
                ]
            )
        out.append(_table(["alert", "time", "value at risk", "detail"], rows, table_id="alerts"))
    else:
        out.append(_nodata("alerts", "No alerts were raised."))
    params = report.get("params") or {}
    if params:
        out.append("<h3>Parameters</h3>")
        out.append(
            _table(
                ["parameter", "value"],
                [[f"<code>{_esc(k)}</code>", _esc(json.dumps(v, sort_keys=True))] for k, v in sorted(params.items())],
                table_id="params",
            )
        )
    supply = report.get("supply") or {}
    if supply:
        cash = {**deposit_currencies(events), **{symbol: symbol for symbol in cash_tokens(report, events).values()}}

        def total(token: str, amount: Any) -> str:
            if token in cash and isinstance(amount, (int, float)):
                return fmt_money(amount / CENTS_PER_MAJOR, cash[token])
            return fmt_units(amount)

        out.append("<h3>Supply at the end</h3>")
        out.append(
            _table(
                ["chain", "token", "total supply", "holders listed"],
                [
                    [
                        _esc(chain),
                        _esc(token),
                        _esc(total(token, amount)),
                        _esc(
                            len([1 for bal in (report.get("balances", {}).get(chain) or {}).values() if token in bal])
                        ),
                    ]
                    for chain, tokens in sorted(supply.items())
                    for token, amount in sorted(tokens.items())
                ],
                table_id="supply-final",
            )
        )
    return "".join(out)


def _metrics(report: dict[str, Any]) -> str:
    metrics = report.get("metrics") or {}
    if not metrics:
        return _nodata("metrics", "No transactions were recorded.")
    header = [
        "phase",
        "succ",
        "fail",
        "send rate (tps)",
        "throughput (tps)",
        "min (s)",
        "avg (s)",
        "max (s)",
        "p50 (s)",
        "p95 (s)",
        "p99 (s)",
        "by chain (succ/fail)",
    ]
    rows = []
    in_order = sorted(metrics.items(), key=lambda kv: (float(kv[1].get("started_at") or 0.0), kv[0]))
    for phase, m in in_order:  # report.json sorts keys; a reader wants the phases as they ran
        by_chain = ", ".join(f"{c} {v.get('succ', 0)}/{v.get('fail', 0)}" for c, v in (m.get("by_chain") or {}).items())
        rows.append(
            [_esc(phase), _esc(fmt_number(m.get("succ"))), _esc(fmt_number(m.get("fail")))]
            + [
                _esc(fmt_number(m.get(k)))
                for k in (
                    "send_rate_tps",
                    "throughput_tps",
                    "latency_min_s",
                    "latency_avg_s",
                    "latency_max_s",
                    "latency_p50_s",
                    "latency_p95_s",
                    "latency_p99_s",
                )
            ]
            + [_esc(by_chain)]
        )
    return (
        _table(header, rows, table_id="metrics")
        + '<p class="note">Hyperledger Caliper\'s columns; latency is submission to inclusion in simulated seconds.</p>'
    )


def _units_and_money(units: Any, value: Valuation | None) -> str:
    """``99 units (HKD 990,000)``, or units alone without a valuation."""
    if not isinstance(units, (int, float)) or isinstance(units, bool):
        return fmt_number(units)
    return fmt_units(units) + (f" ({value.of(units)})" if value is not None else "")


def _chain_stats(report: dict[str, Any], value: Valuation | None) -> str:
    out = []
    for name, s in sorted((report.get("consortium") or {}).items()):
        online = sum(1 for n in (s.get("nodes") or {}).values() if n.get("online"))
        out.append(
            f"<li>consortium <b>{_esc(name)}</b>: height {_esc(s.get('height'))}, {_esc(s.get('validators'))} "
            f"validators ({online} online at the end), quorum {_esc(s.get('quorum'))}, equivocations "
            f"{_esc(s.get('equivocations'))}, safety violations {_esc(s.get('safety_violations'))}</li>"
        )
    for lane, s in sorted((report.get("bridge") or {}).items()):
        counts = ", ".join(f"{k} {v}" for k, v in sorted((s.get("messages") or {}).items()))
        out.append(
            f"<li>bridge <b>{_esc(lane)}</b> ({_esc(s.get('verifier'))}): messages {_esc(counts or 'none')}; "
            f"duplicates refused {_esc(s.get('duplicates_rejected'))}; "
            f"max value at risk {_esc(_units_and_money(s.get('max_value_at_risk'), value))}</li>"
        )
    return f"<ul>{''.join(out)}</ul>" if out else ""


def render_html(report: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The whole page for one run; a pure function of ``report.json`` and the events.

    Parameters
    ----------
    report : dict
        ``report.json`` as loaded.
    events : list of dict
        The lines of ``events.jsonl`` as loaded, in order.

    Returns
    -------
    str
        Self-contained HTML (no external resources); the same inputs give the same string.
    """
    x_end = max([float(report.get("simulated_seconds") or 0.0)] + [e["t"] for e in events[-1:]])
    faults = fault_events(events)
    risk = value_at_risk_series(events, report)
    sections: list[tuple[str, str, str]] = []

    sections.append(("summary", "Summary", _summary(report, events, risk.value) + _chain_stats(report, risk.value)))
    sections.append(("metrics", "Metrics per phase", _metrics(report)))

    lat = phase_latencies(events)
    ops = operation_latencies(events)
    if lat:
        body = (
            '<figure class="plot" id="fig-latency-cdf"><h3>Latency CDF per phase</h3>'
            + latency_cdf_chart(lat)
            + '</figure><figure class="plot" id="fig-latency-ops"><h3>Latency per operation</h3>'
            + '<p class="note">Grey line: min to max; blue bar: p50 to p95; dark tick: p50.</p>'
            + operation_chart(ops)
            + "</figure>"
        )
    else:
        body = _nodata("latency", "No transactions were recorded, so there are no latencies to show.")
    sections.append(("latency", "Latency distributions", body))

    panels = supply_series(report, events)
    if panels:
        parts = []
        for k, panel in enumerate(panels):
            parts.append(
                f'<div class="panel"><h3>{_esc(panel.title)}</h3>'
                + step_chart(
                    panel.series,
                    svg_id=f"plot-supply-{k}",
                    title=f"supply {panel.title}",
                    x_end=x_end,
                    ylabel=panel.unit,
                    faults=faults,
                    height=210,
                    value=panel.value,
                )
                + "</div>"
            )
        notes = sorted({p.value.describe() for p in panels if p.value})
        note = (
            f'<p class="note">Right-hand axes value the note {_esc("; ".join(notes))}; cash is in its currency.</p>'
            if notes
            else ""
        )
        body = '<figure class="plot" id="fig-supply">' + "".join(parts) + "</figure>" + note + _fault_list(faults)
    else:
        body = _nodata("supply", "No token was minted or burned in this run, so supply did not change.")
    sections.append(("supply", "Supply per chain over time", body))

    parts = []
    if risk.value is not None:
        parts.append(
            f'<p class="note" id="risk-valuation">Units are valued {_esc(risk.value.describe())} (right-hand axes).</p>'
        )
    if risk.units:
        alerts = [a for a in report.get("alerts", []) if "value_at_risk" in a]
        parts.append(
            '<figure class="plot" id="fig-risk-units"><h3>Units in flight on the bridge</h3>'
            + step_chart(
                risk.units,
                svg_id="plot-risk-units",
                title="units in flight on the bridge",
                x_end=x_end,
                ylabel="units",
                faults=faults,
                alerts=alerts,
                value=risk.value,
            )
            + "</figure>"
        )
    if risk.backing:
        for line in risk.unbacked:
            line.colour, line.area = FAULT_COLOUR, True
        lines = risk.backing + risk.unbacked
        parts.append(
            '<figure class="plot" id="fig-risk-backing"><h3>Backing: escrow against wrapped supply</h3>'
            + step_chart(
                lines,
                svg_id="plot-risk-backing",
                title="backing: escrow against wrapped supply",
                x_end=x_end,
                ylabel="units",
                faults=faults,
                height=240,
                value=risk.value,
            )
            + '<p class="note">The wrapped token on Ethereum is backed by the units locked in the lane\'s escrow on '
            "the consortium; the red area is wrapped supply with nothing behind it (a forged mint). The escrow leads "
            "on the way out (a lock before its mint) and trails on the way back (a burn before its release).</p>"
            "</figure>"
        )
    if risk.pending:
        parts.append(
            '<figure class="plot" id="fig-risk-pending"><h3>Transactions submitted, not yet included</h3>'
            + step_chart(
                risk.pending,
                svg_id="plot-risk-pending",
                title="pending transactions",
                x_end=x_end,
                ylabel="transactions",
                faults=faults,
                height=220,
            )
            + "</figure>"
        )
    if risk.units or risk.pending:
        if not faults:
            parts.append(_nodata("faults", "No fault was injected in this run."))
        body = "".join(parts) + _fault_list(faults)
    else:
        body = _nodata("risk", "No fault was injected and no bridge message was sent: nothing was at risk.")
    sections.append(("risk", "Value at risk over time", body))

    tracks = message_tracks(events)
    if tracks:
        body = (
            '<figure class="plot" id="fig-timeline"><h3>Each message, from the time it was sent</h3>'
            + timeline_chart(tracks, value=risk.value)
            + '<p class="note">One row per message, in the order they were sent, under the scenario phase: '
            "it starts when the units are locked or burned on the source chain (time 0) and marks each later state "
            "(delivered or rejected on the other chain, refunded back) at the time since; hover a row for the exact "
            "times.</p>"
            "<h3>Faults, bridge events and alerts</h3>"
            + incidents_chart(events, x_end)
            + '<p class="note">On the run\'s clock. A number is how many events fell too close together to draw '
            "apart; hover a marker for each event.</p></figure>" + _fault_list(faults)
        )
    else:
        body = _nodata("timeline", "No bridge message was sent in this run.")
    sections.append(("timeline", "Message timeline across the chains", body))
    if report.get("supervision"):
        sections.append(("supervision", "Supervision", _supervision(report["supervision"])))

    graph = report.get("topology_graph") or {}
    if graph.get("nodes"):
        body = (
            '<figure class="plot" id="fig-topology">'
            + topology_chart(graph)
            + '<p class="note">Hover a link for its latency, jitter and loss; a node for its details.</p></figure>'
        )
    else:
        body = _nodata("topology", "This run recorded no topology.")
    sections.append(("topology", "Topology", body))

    counts: dict[str, int] = {}
    for e in events:
        counts[e["kind"]] = counts.get(e["kind"], 0) + 1
    body = (
        _table(
            ["event kind", "count"],
            [[f"<code>{_esc(k)}</code>", _esc(fmt_number(v))] for k, v in sorted(counts.items())],
            table_id="event-counts",
        )
        if counts
        else _nodata("events", "The event log is empty.")
    )
    sections.append(("events", "Events by kind", body))

    title = f"rwasim · {report.get('scenario')} · seed {report.get('seed')}"
    nav = "".join(f'<a href="#{sid}">{_esc(name)}</a>' for sid, name, _ in sections)
    content = "".join(f'<section id="{sid}"><h2>{_esc(name)}</h2>{body}</section>' for sid, name, body in sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,'
        f'initial-scale=1"><title>{_esc(title)}</title><style>{CSS}</style></head><body>'
        f'<header><h1>{_esc(title)}</h1><div class="note">A run of the rwasim simulator: everything here is '
        f"read from this folder's report.json and events.jsonl, times are simulated seconds.</div>"
        f"<nav>{nav}</nav></header><main>{content}</main><script>{SCRIPT}</script></body></html>\n"
    )

"""The consortium ledger as a scenario sees it: organisations, validators, clients, proofs.

:class:`ConsortiumLedger` builds the organisations and their keys from the run seed, places
``n`` validators on a network graph, starts them, and gives scenarios signed clients
(:class:`LedgerClient`) whose transactions are gossiped, ordered by QBFT and committed. It
watches every node's commits: the first commit of a height is logged (``consortium.block``
and one ``consortium.tx`` per transaction), and a second, different block at the same
height — a safety violation — is recorded and raised.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import simpy

from rwasim.consortium.block import BlockHeader, CommittedBlock, LedgerEvent, QuorumCertificate, Receipt
from rwasim.consortium.crypto import KeyPair, keccak
from rwasim.consortium.faults import FaultInjector
from rwasim.consortium.membership import OrgRole, ValidatorSet
from rwasim.consortium.merkle import leaf_hash, merkle_levels, merkle_proof, proof_from_levels
from rwasim.consortium.modules import LedgerModule
from rwasim.consortium.network import Network
from rwasim.consortium.node import ConsensusConfig, ValidatorNode
from rwasim.consortium.shapes import consortium_graph
from rwasim.consortium.state import BlockExecution, LedgerState, core_modules, genesis_state, hx
from rwasim.consortium.storage import NodeStore
from rwasim.consortium.transactions import Transaction, sign_transaction
from rwasim.engine import Simulation, derive_seed

DEFAULT_ORGANISATIONS: tuple[tuple[str, OrgRole], ...] = (
    ("techco", OrgRole.TECH_PROVIDER),
    ("issuer", OrgRole.ISSUER),
    ("bank", OrgRole.BANK),
    ("custodian", OrgRole.CUSTODIAN),
    ("regulator", OrgRole.REGULATOR),
    ("bridge", OrgRole.BRIDGE),
)
VALIDATOR_ROLES = (OrgRole.TECH_PROVIDER, OrgRole.ISSUER, OrgRole.BANK, OrgRole.CUSTODIAN)


def _unit_effects(receipt: Receipt, escrow_accounts: frozenset[str]) -> dict[str, dict[str, int]]:
    """What a committed transaction did to token supply and to the escrow accounts of installed
    modules (units backing supply on other chains), per asset.

    Recorded on its ``consortium.tx`` event so the report can draw supply over time from the
    event log alone; empty (no fields added) for transactions that move no units in or out.
    """
    supply: dict[str, int] = {}
    escrow: dict[str, int] = {}
    if receipt.ok:
        for event in receipt.events:
            f = event.fields
            if "asset_id" not in f or "amount" not in f:
                continue
            asset, amount = f["asset_id"], int(f["amount"])
            if event.kind == "token.mint":
                supply[asset] = supply.get(asset, 0) + amount
                gained, lost = f.get("to"), None
            elif event.kind == "token.burn":
                supply[asset] = supply.get(asset, 0) - amount
                gained, lost = None, f.get("from")
            elif "from" in f and "to" in f:
                gained, lost = f["to"], f["from"]
            else:
                continue
            if gained in escrow_accounts:
                escrow[asset] = escrow.get(asset, 0) + amount
            if lost in escrow_accounts:
                escrow[asset] = escrow.get(asset, 0) - amount
    out = {}
    if any(supply.values()):
        out["supply_delta"] = {a: d for a, d in sorted(supply.items()) if d}
    if any(escrow.values()):
        out["escrow_delta"] = {a: d for a, d in sorted(escrow.items()) if d}
    return out


class SafetyViolation(AssertionError):
    """Two different blocks were committed at one height."""


class ExecutionCache:
    """Block executions keyed by (pre-state root, height, timestamp, transaction ids).

    Execution is a pure function of the state (identified by its chained root) and the block,
    so validators in one process may share the result instead of each recomputing it; each
    still applies the writes to its own state. ``share_execution=False`` turns it off.
    """

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[bytes, BlockExecution] = OrderedDict()
        self._size = size

    def get(self, key: bytes) -> BlockExecution | None:
        return self._items.get(key)

    def put(self, key: bytes, execution: BlockExecution) -> None:
        self._items[key] = execution
        if len(self._items) > self._size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


@dataclass
class TxHandle:
    """A submitted transaction: its fate once the ledger has decided it.

    ``status`` is ``"pending"``, then ``"ok"`` or ``"rejected"`` (kept in a block with its
    reason), or ``"refused"`` (never admitted: bad signature, not a member, no permission,
    used nonce).
    """

    tx: Transaction
    submitted_at: float
    status: str = "pending"
    reason: str | None = None
    height: int | None = None
    receipt: Receipt | None = None

    @property
    def hash(self) -> bytes:
        return self.tx.hash

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def events(self) -> tuple[LedgerEvent, ...]:
        return self.receipt.events if self.receipt else ()


@dataclass(frozen=True)
class InclusionProof:
    """A committed header, its certificate, and a Merkle path from one leaf to one of its roots."""

    kind: str  # "transaction" or "event"
    header: BlockHeader
    qc: QuorumCertificate
    index: int
    leaf: bytes
    path: tuple[bytes, ...]
    item: Any  # the Transaction or LedgerEvent proven

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "header": self.header.to_json(),
            "qc": self.qc.to_json(),
            "index": self.index,
            "leaf": self.leaf,
            "path": list(self.path),
        }


class _Monitor:
    """Watches every node's commits: logs first commits, catches conflicting ones."""

    def __init__(self, ledger: ConsortiumLedger) -> None:
        self.ledger = ledger
        self.decided: dict[int, bytes] = {}
        self.equivocations: list[dict[str, Any]] = []
        self._seen_equivocations: set[tuple] = set()
        self.violations: list[str] = []

    def committed(self, node: ValidatorNode, committed: CommittedBlock) -> None:
        height, block_hash = committed.height, committed.header.hash
        known = self.decided.get(height)
        if known is None:
            self.decided[height] = block_hash
            self.ledger._first_commit(node, committed)
        elif known != block_hash:
            message = (
                f"safety violation on {self.ledger.name}: {node.name} committed 0x{block_hash.hex()} "
                f"at height {height}, already decided as 0x{known.hex()}"
            )
            self.violations.append(message)
            self.ledger.sim.record("consortium.safety_violation", self.ledger.name, node=node.name, height=height)
            raise SafetyViolation(message)

    def equivocation(
        self, node: ValidatorNode, proposer: bytes, height: int, round_: int, first: bytes, second: bytes
    ) -> None:
        key = (proposer, height, round_)
        if key in self._seen_equivocations:
            return
        self._seen_equivocations.add(key)
        evidence = {
            "proposer": self.ledger.node_name(proposer),
            "height": height,
            "round": round_,
            "blocks": sorted([first, second]),
            "detected_by": node.name,
            "detected_at": self.ledger.sim.now,
        }
        self.equivocations.append(evidence)
        self.ledger.sim.record("consortium.equivocation", self.ledger.name, **evidence)


class LedgerClient:
    """A signing key of one organisation, with its own nonce sequence.

    Parameters
    ----------
    ledger : ConsortiumLedger
    label : str
        Name used in the event log.
    key : KeyPair
    org_id : str
    """

    def __init__(self, ledger: ConsortiumLedger, label: str, key: KeyPair, org_id: str) -> None:
        self.ledger = ledger
        self.label = label
        self.key = key
        self.org_id = org_id
        self.nonce = 0

    @property
    def address(self) -> bytes:
        return self.key.address

    @property
    def holder(self) -> str:
        """This client's account name in the token ledger (its 0x address)."""
        return hx(self.key.address)

    def sign(self, kind: str, payload: Mapping[str, Any], nonce: int | None = None) -> Transaction:
        """A signed transaction using the next nonce (or ``nonce``), without submitting it."""
        if nonce is None:
            nonce, self.nonce = self.nonce, self.nonce + 1
        return sign_transaction(self.key, kind, payload, nonce, self.ledger.chain_id)

    def submit(self, kind: str, payload: Mapping[str, Any], via: str | None = None) -> TxHandle:
        """Sign and submit; a refused transaction gives its nonce back."""
        tx = self.sign(kind, payload)
        handle = self.ledger.submit(tx, via=via, label=self.label)
        if handle.status == "refused" and tx.nonce == self.nonce - 1:
            self.nonce -= 1
        return handle

    def resync_nonce(self) -> None:
        """Take the next nonce from the ledger (after a transaction was lost with a crashed node)."""
        self.nonce = self.ledger.state.nonce_of(self.address)


class ConsortiumLedger:
    """A permissioned BFT ledger of ``n`` validators in one simulation.

    Parameters
    ----------
    sim : Simulation
        The run's clock, randomness and event log.
    name : str
        Ledger name (event source, key derivation, chain id).
    n_validators : int
        Validators, spread over the organisations with a validator role.
    graph : networkx.Graph, optional
        Network of the validators (node names ``v0..``); default a mesh from ``shape``.
    shape, latency, jitter, loss : optional
        Passed to :func:`rwasim.consortium.shapes.consortium_graph` when no graph is given
        (``jitter=None``: the sourced per-link figure on ``geo``, 5 ms on other shapes).
    config : ConsensusConfig, optional
        Block period, round timeout, block size, gossip and sync settings.
    organisations : sequence of (org_id, OrgRole)
        Genesis members; each gets an admin key derived from the seed.
    storage_dir : str or Path, optional
        Folder for one SQLite file per validator; default in-memory databases.
    share_execution : bool
        Let validators share identical block executions (see :class:`ExecutionCache`).
    log_transactions : bool
        Record a ``consortium.tx`` event per transaction (metrics need them).
    chain_id : int, optional
        Default derived from ``name``.
    fresh : bool
        Start from genesis, deleting node files left in ``storage_dir`` by an earlier run;
        ``False`` resumes every validator from its file (a whole-consortium restart).
    """

    def __init__(
        self,
        sim: Simulation,
        *,
        name: str = "consortium",
        n_validators: int = 4,
        graph: nx.Graph | None = None,
        shape: str = "mesh",
        latency: float = 0.02,
        jitter: float | None = None,
        loss: float = 0.0,
        config: ConsensusConfig | None = None,
        organisations: tuple[tuple[str, OrgRole], ...] = DEFAULT_ORGANISATIONS,
        storage_dir: str | Path | None = None,
        share_execution: bool = True,
        log_transactions: bool = True,
        chain_id: int | None = None,
        fresh: bool = True,
    ) -> None:
        if n_validators < 1:
            raise ValueError("a consortium ledger needs at least one validator")
        self.sim = sim
        self.name = name
        self.chain_id = (
            chain_id if chain_id is not None else 1_000_000 + int.from_bytes(keccak(name.encode())[:3], "big")
        )
        self.config = config or ConsensusConfig()
        self.graph = (
            graph
            if graph is not None
            else consortium_graph(
                n_validators,
                shape,
                latency=latency,
                jitter=jitter,
                loss=loss,
                seed=derive_seed(sim.seed, "topology", name),
            )
        )
        names = sorted(self.graph.nodes)
        if len(names) != n_validators and graph is None:
            raise ValueError("graph size does not match n_validators")
        self.network = Network(sim, self.graph, name)
        self.log_transactions = log_transactions
        self.execution_cache = ExecutionCache() if share_execution else None
        self.monitor = _Monitor(self)

        self.org_keys: dict[str, KeyPair] = {}
        org_rows = []
        for org_id, role in organisations:
            key = KeyPair.from_seed(sim.seed, name, "org", org_id)
            self.org_keys[org_id] = key
            org_rows.append((org_id, role, key.address))
        operators = [org for org, role in organisations if role in VALIDATOR_ROLES] or [organisations[0][0]]
        validator_rows = []
        self._validator_keys: dict[str, tuple[KeyPair, str]] = {}
        for i, node_name in enumerate(names):
            key = KeyPair.from_seed(sim.seed, name, "validator", node_name)
            org_id = operators[i % len(operators)]
            self._validator_keys[node_name] = (key, org_id)
            validator_rows.append((key.address, org_id))
        self.modules = core_modules()  # what every node's state machine and every proof reads
        self.genesis: LedgerState = genesis_state(self.chain_id, org_rows, validator_rows)
        self.genesis.modules = self.modules
        self.genesis_hash = keccak(b"rwasim.consortium.genesis.block" + self.genesis.state_root)
        self.storage_dir = Path(storage_dir) / name if storage_dir is not None else None
        self._fresh = fresh
        self._names_by_address = {key.address: n for n, (key, _) in self._validator_keys.items()}

        self.nodes: dict[str, ValidatorNode] = {}
        for node_name in names:
            key, org_id = self._validator_keys[node_name]
            self.nodes[node_name] = ValidatorNode(self, node_name, key, org_id, self._open_store(node_name))
        self.handles: dict[bytes, TxHandle] = {}
        self.locations: dict[bytes, tuple[int, int]] = {}  # tx hash -> (height, index)
        self.commit_times: dict[int, float] = {}  # height -> simulated time of its first commit
        self.clients: dict[str, LedgerClient] = {}
        self._commit_listeners: list = []
        self._next_commit: simpy.Event | None = None
        self._waiters: list[tuple[set[bytes], simpy.Event]] = []
        self._leaves_cache: dict[bytes, list[list[bytes]]] = {}
        self.faults = FaultInjector(self)
        self.network.on_reconnect(self._reconnected)
        sim.record(
            "consortium.started",
            name,
            chain_id=self.chain_id,
            validators=names,
            organisations=[o for o, _ in organisations],
            quorum=self.validator_set.quorum,
            block_period=self.config.block_period,
        )
        for node in self.nodes.values():
            node.start()

    def _reconnected(self) -> None:
        """Connectivity may be back: every online validator announces itself (see ValidatorNode.reconnected)."""
        for node in self.nodes.values():
            node.reconnected()

    def _open_store(self, node_name: str) -> NodeStore:
        path: str | Path
        if self.storage_dir is None:
            path = ":memory:"
        else:
            path = self.storage_dir / f"{node_name}.sqlite"
            if self._fresh:
                for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    stale.unlink(missing_ok=True)
        store = NodeStore(path, self.chain_id)
        store.initialise(self.genesis)
        return store

    # ---- modules ----------------------------------------------------------------------------
    def install(self, module: LedgerModule) -> bool:
        """Teach every node of this ledger ``module``'s transaction kinds; False if already installed.

        Execution, block sync, replay from storage and proofs all read the one module table this
        ledger holds (``modules``; give it to a :class:`~rwasim.consortium.light_client.LightClient`
        too), so installing once reaches them all. Install before the first transaction of the
        module's kinds: a ledger without it refuses them as unknown kinds.
        """
        installed = self.modules.install(module)
        if installed and self.execution_cache is not None:
            self.execution_cache.clear()  # executions shared before the install knew fewer kinds
        return installed

    # ---- membership -------------------------------------------------------------------------
    @property
    def validator_set(self) -> ValidatorSet:
        return self.reference_node().validator_set

    def node_name(self, address: bytes) -> str:
        return self._names_by_address.get(address, "0x" + address.hex())

    def org_client(self, org_id: str) -> LedgerClient:
        """The admin key of ``org_id`` as a client (one object per organisation)."""
        if org_id not in self.org_keys:
            raise KeyError(f"unknown organisation {org_id!r}; members are {', '.join(sorted(self.org_keys))}")
        label = f"{org_id}-admin"
        if label not in self.clients:
            client = LedgerClient(self, label, self.org_keys[org_id], org_id)
            client.nonce = self.state.nonce_of(client.address)
            self.clients[label] = client
        return self.clients[label]

    def new_client_key(self, label: str) -> KeyPair:
        """A fresh key for ``label`` (derived from the seed); register it with ``membership.add_client``."""
        return KeyPair.from_seed(self.sim.seed, self.name, "client", label)

    def add_client(self, label: str, org_id: str, role: OrgRole = OrgRole.INVESTOR) -> tuple[LedgerClient, TxHandle]:
        """A new client key of ``org_id``, admitted by that organisation's admin (a transaction)."""
        if label in self.clients:
            raise ValueError(f"client {label!r} already exists")
        key = self.new_client_key(label)
        handle = self.org_client(org_id).submit(
            "membership.add_client", {"address": hx(key.address), "role": OrgRole(role).value}
        )
        client = LedgerClient(self, label, key, org_id)
        self.clients[label] = client
        return client, handle

    # ---- submitting ---------------------------------------------------------------------------
    def submit(self, tx: Transaction, via: str | None = None, label: str | None = None) -> TxHandle:
        """Hand ``tx`` to a validator (``via``, else the first one up) and track it."""
        handle = TxHandle(tx, self.sim.now)
        existing = self.handles.get(tx.hash)
        if existing is not None and existing.status != "refused":
            handle.status, handle.reason = "refused", "duplicate of a transaction already submitted"
        else:
            if via is not None and via not in self.nodes:
                raise KeyError(f"unknown validator {via!r}")
            order = [via] if via is not None else [n for n, node in self.nodes.items() if node.online]
            reason = "no validator is up" if not order else None
            # registered before any validator sees it: with a quorum of one the proposer can
            # commit inside node.submit, and that commit resolves the handle it finds here
            self.handles[tx.hash] = handle
            for node_name in order:
                reason = self.nodes[node_name].submit(tx)
                if reason is None or not reason.startswith("validator "):
                    break
            if reason is not None:
                del self.handles[tx.hash]
                handle.status, handle.reason = "refused", reason
        if handle.status == "refused":
            if self.log_transactions:
                self.sim.record(
                    "consortium.tx",
                    self.name,
                    tx=tx.hash,
                    tx_kind=tx.kind,
                    sender=label or hx(tx.sender),
                    nonce=tx.nonce,
                    status="refused",
                    reason=handle.reason,
                    submitted_at=handle.submitted_at,
                )
        return handle

    def rescue_orphans(self) -> int:
        """Resubmit pending transactions that no online validator holds (their node crashed
        before passing them on), as a client library retrying would; returns how many."""
        held: set[bytes] = set()
        for node in self.nodes.values():
            if node.online:
                held.update(node.mempool)
        online = [n for n, node in self.nodes.items() if node.online]
        rescued = 0
        for tx_hash, handle in self.handles.items():
            if handle.status != "pending" or tx_hash in held or tx_hash in self.locations or not online:
                continue
            for node_name in online:
                if self.nodes[node_name].submit(handle.tx) is None:
                    rescued += 1
                    break
        if rescued:
            self.sim.record("consortium.resubmitted", self.name, transactions=rescued)
        return rescued

    def wait(self, *handles: TxHandle) -> simpy.Event:
        """An event that fires when every handle is decided (for ``yield`` in a SimPy process).

        One event per wait, not per transaction: a benchmark waits on 100,000 at once.
        """
        event = self.sim.env.event()
        pending = {h.hash for h in handles if h.status == "pending"}
        if pending:
            self._waiters.append((pending, event))
        else:
            event.succeed(list(handles))
        return event

    def settle(self, *handles: TxHandle, timeout: float = 3600.0) -> list[TxHandle]:
        """Run the simulation until ``handles`` are decided; raise TimeoutError after ``timeout`` sim-seconds."""
        deadline = self.sim.now + timeout
        pending = [h for h in handles if h.status == "pending"]
        if pending:
            waiting = self.wait(*pending)
            self.sim.run(until=self.sim.env.any_of([waiting, self.sim.timeout(timeout)]))
            late = [h for h in handles if h.status == "pending"]
            if late:
                raise TimeoutError(
                    f"{len(late)} transaction(s) still pending on {self.name} at "
                    f"t={self.sim.now:.1f}s (waited until {deadline:.1f}s); is a quorum of validators up?"
                )
        self.catch_up(max((h.height or 0 for h in handles), default=0))
        return list(handles)

    def catch_up(self, height: int, grace: float = 5.0) -> None:
        """Run on (at most ``grace`` simulated seconds) until every online validator holds ``height``.

        The first commit decides a transaction; the others follow a network delay later. Waiting
        for them means the next transaction a client sends is checked against the same state
        on whichever validator receives it.
        """
        limit = self.sim.now + grace
        while self.sim.now < limit and any(n.online and n.height < height for n in self.nodes.values()):
            self.sim.run(until=min(self.sim.now + 0.01, limit))

    def _first_commit(self, node: ValidatorNode, committed: CommittedBlock) -> None:
        header = committed.header
        now = self.sim.now
        self.commit_times[header.height] = now
        rejected = 0
        for index, (tx, receipt) in enumerate(zip(committed.block.transactions, committed.receipts)):
            self.locations[tx.hash] = (header.height, index)
            rejected += not receipt.ok
            handle = self.handles.get(tx.hash)
            if handle is not None:
                handle.status = "ok" if receipt.ok else "rejected"
                handle.reason, handle.height, handle.receipt = receipt.reason, header.height, receipt
            if self.log_transactions:
                self.sim.record(
                    "consortium.tx",
                    self.name,
                    tx=tx.hash,
                    tx_kind=tx.kind,
                    sender=hx(tx.sender),
                    nonce=tx.nonce,
                    status="ok" if receipt.ok else "rejected",
                    reason=receipt.reason,
                    height=header.height,
                    submitted_at=handle.submitted_at if handle is not None else now,
                    **_unit_effects(receipt, self.modules.escrow_accounts),
                )
        if self._waiters:
            hashes = [tx.hash for tx in committed.block.transactions]
            still = []
            for pending, event in self._waiters:
                pending.difference_update(hashes)
                if pending:
                    still.append((pending, event))
                else:
                    event.succeed()
            self._waiters = still
        for listener in self._commit_listeners:
            listener(committed)
        if self._next_commit is not None:
            event, self._next_commit = self._next_commit, None
            event.succeed(header.height)
        self.sim.record(
            "consortium.block",
            self.name,
            height=header.height,
            round=header.round,
            hash=header.hash,
            proposer=self.node_name(header.proposer),
            txs=len(committed.block.transactions),
            rejected=rejected,
            signers=[self.node_name(s) for s, _ in committed.qc.signatures],
            first_node=node.name,
        )

    def next_commit(self) -> simpy.Event:
        """An event that fires when the next block is committed (a process waits on it, not a clock)."""
        if self._next_commit is None:
            self._next_commit = self.sim.env.event()
        return self._next_commit

    def on_commit(self, listener) -> None:
        """Call ``listener(committed_block)`` once per height, when it is first committed."""
        self._commit_listeners.append(listener)

    # ---- reading ----------------------------------------------------------------------------
    def reference_node(self) -> ValidatorNode:
        """The online node with the highest height (first by name on ties); any node if all are down."""
        up = [n for n in self.nodes.values() if n.online] or list(self.nodes.values())
        return max(up, key=lambda n: n.height)  # max keeps the first of equals; nodes are in name order

    @property
    def state(self) -> LedgerState:
        return self.reference_node().state

    @property
    def height(self) -> int:
        return max(n.height for n in self.nodes.values())

    def block(self, height: int) -> CommittedBlock:
        for node in sorted(self.nodes.values(), key=lambda n: -n.height):
            found = node.block_at(height)
            if found is not None:
                return found
        raise KeyError(f"no node of {self.name} has block {height}")

    # ---- proofs -----------------------------------------------------------------------------
    def prove_transaction(self, tx_hash: bytes) -> InclusionProof:
        """Header, certificate and Merkle path of a committed transaction."""
        height, index = self._locate(tx_hash)
        committed = self.block(height)
        leaves = [leaf_hash(tx.hash) for tx in committed.block.transactions]
        return InclusionProof(
            "transaction",
            committed.header,
            committed.qc,
            index,
            leaves[index],
            tuple(merkle_proof(leaves, index)),
            committed.block.transactions[index],
        )

    def prove_event(self, tx_hash: bytes, event_index: int = 0) -> InclusionProof:
        """Proof of the ``event_index``-th event of a committed transaction."""
        height, index = self._locate(tx_hash)
        committed = self.block(height)
        receipts = committed.receipts
        if event_index >= len(receipts[index].events):
            raise IndexError(f"transaction 0x{tx_hash.hex()} emitted {len(receipts[index].events)} event(s)")
        position = sum(len(r.events) for r in receipts[:index]) + event_index
        levels = self._event_tree(committed)
        return InclusionProof(
            "event",
            committed.header,
            committed.qc,
            position,
            levels[0][position],
            tuple(proof_from_levels(levels, position)),
            receipts[index].events[event_index],
        )

    def _event_tree(self, committed: CommittedBlock) -> list[list[bytes]]:
        """The block's event tree (every level), kept for the last few blocks: a relayer proves
        many events of one block, each proof then costs its path, not the whole tree."""
        key = committed.header.hash
        levels = self._leaves_cache.get(key)
        if levels is None:
            leaves = self.modules.event_leaves(self.chain_id, committed.receipts)
            levels = self._leaves_cache[key] = merkle_levels(leaves)
            if len(self._leaves_cache) > 16:
                self._leaves_cache.pop(next(iter(self._leaves_cache)))
        return levels

    def _locate(self, tx_hash: bytes) -> tuple[int, int]:
        if tx_hash not in self.locations:
            raise KeyError(f"transaction 0x{tx_hash.hex()} is not committed on {self.name}")
        return self.locations[tx_hash]

    # ---- figures ----------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Height, message and byte counts, equivocations and safety status (for report.json)."""
        return {
            "chain_id": self.chain_id,
            "height": self.height,
            "transactions": len(self.locations),
            "validators": len(self.nodes),
            "quorum": self.validator_set.quorum,
            "network": self.network.counters(),
            "equivocations": len(self.monitor.equivocations),
            "safety_violations": len(self.monitor.violations),
            "nodes": {n: {"height": node.height, "online": node.online} for n, node in self.nodes.items()},
        }

    def stop(self) -> None:
        """Stop every validator for good (their pending timers become no-ops); for test teardown."""
        for node in self.nodes.values():
            if node.online:
                node.online = False
                node._epoch += 1
                self.network.set_down(node.name, True)
        self.sim.record("consortium.stopped", self.name, height=self.height)

    def close(self) -> None:
        for node in self.nodes.values():
            node.store.close()

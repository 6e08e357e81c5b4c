"""A validator: mempool, QBFT rounds, block commit and block sync, in simulated time.

Per height the protocol is QBFT's (Besu, after IBFT 2.0):

* the proposer of ``(height, round)`` — round-robin over the sorted validator set — builds a
  block no earlier than one block period after its parent and broadcasts a signed PROPOSAL;
* a validator that accepts it (valid signer, parent, roots recomputed by executing it, and
  for rounds after 0 a justification by a quorum (ceil(2n/3), Besu's rule) of ROUND-CHANGEs) broadcasts PREPARE;
* on a quorum of PREPAREs it is *prepared* (locked on that block) and broadcasts COMMIT with its
  commit seal; on a quorum of COMMITs it commits the block with those seals as its quorum
  certificate — final, never reverted;
* a round timer (doubling per round) sends ROUND-CHANGE carrying the prepared block, if any;
  the next proposer needs a quorum of them and must re-propose the highest prepared block, which
  is what keeps a block committed in one round safe in every later round.

A node that falls behind (crashed, partitioned, slow) catches up by block sync: it asks a
peer for committed blocks and checks each quorum certificate against its validator set and
each state root by executing, before it applies anything. Catch-up is event-driven: when
connectivity returns (a partition heals, a link fault is lifted, a node restarts) every
node tells its peers its height (``Status``), and one that is behind syncs at once, even on
an idle ledger; nodes also pass on the transactions they hold and their latest round change,
which the cut could have lost.

Blocks are produced only when there are transactions, so a quiet ledger costs nothing while a
scenario's months of coupon dates pass. Besu itself proposes a block every block period, empty
or not; here a transaction arriving on an idle ledger is proposed at once if a block period has
passed since the last block, and otherwise at that boundary (parent time + block period).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rwasim.consortium.block import Block, BlockHeader, CommittedBlock, QuorumCertificate, commit_digest, word
from rwasim.consortium.crypto import KeyPair, keccak
from rwasim.consortium.merkle import leaf_hash, merkle_root
from rwasim.consortium.messages import (
    Commit,
    Prepare,
    Proposal,
    RoundChange,
    Status,
    SyncRequest,
    SyncResponse,
    TxGossip,
    signer_of,
)
from rwasim.consortium.state import BlockExecution, LedgerState
from rwasim.consortium.storage import NodeStore, SimulatedCrash
from rwasim.consortium.transactions import Transaction

if TYPE_CHECKING:
    import simpy

    from rwasim.consortium.ledger import ConsortiumLedger

# Besu's documented QBFT timing (https://besu.hyperledger.org/private-networks/how-to/configure/consensus/qbft,
# "Genesis file" and "Block time"): blockperiodseconds 5, requesttimeoutseconds 10 (twice the block
# period, as its "Tune block timeout" steps advise); round r's timer is requesttimeout * 2**r
# (consensus/common/.../bft/RoundTimer.java: baseExpiryPeriod * 2^roundNumber).
BESU_BLOCK_PERIOD = 5.0
BESU_REQUEST_TIMEOUT = 10.0
# Besu's QBFT performance page (wiki.hyperledger.org/display/BESU/QBFT+Performance): 4 validators
# sustain 520-645 ERC-20 transfers/s (Caliper). Executing a block costs this much simulated time
# per transaction at the proposer and again at every validator before it prepares, so one block
# of n transactions holds the pipeline for 2 n t: throughput approaches 1 / (2 t) = 580 tps,
# the middle of Besu's range (benchmarks/consortium_saturation.py shows the curve).
BESU_TX_TIME = 1.0 / (2 * 580.0)


@dataclass(frozen=True)
class ConsensusConfig:
    """Timing and sizing of consensus.

    The timing defaults are Hyperledger Besu's documented QBFT configuration (the QBFT genesis
    file of "Configure QBFT consensus", besu.hyperledger.org: ``blockperiodseconds`` 5,
    ``requesttimeoutseconds`` 10, the round timer doubling per round), so latencies measured
    here are those of a Besu network configured as its documentation shows.

    Attributes
    ----------
    block_period : float
        Minimum simulated seconds between a block and its parent (QBFT's ``blockperiodseconds``).
        A proposer waits for it after the parent before proposing, as Besu's block timer does.
    round_timeout : float
        Round 0's timer (QBFT's ``requesttimeoutseconds``), started once the block period has
        passed; round ``r``'s timer is ``round_timeout * 2**r`` (Besu's ``RoundTimer``).
    max_round_timeout : float, optional
        A cap on the doubling; ``None`` (Besu's behaviour) doubles without bound.
    max_block_txs : int
        Transactions per block at most.
    tx_time : float
        Simulated seconds to execute one transaction of a block, at the proposer before it
        proposes and at each validator before it prepares (0: free, the default of a bare
        ledger; ``BESU_TX_TIME`` is calibrated on Besu's published QBFT throughput).
    gossip_interval : float
        Transactions received by a node are passed on to its peers in batches this often.
    sync_batch : int
        Blocks per sync response.
    """

    block_period: float = BESU_BLOCK_PERIOD
    round_timeout: float = BESU_REQUEST_TIMEOUT
    max_round_timeout: float | None = None
    max_block_txs: int = 2000
    tx_time: float = 0.0
    gossip_interval: float = 0.05
    sync_batch: int = 64
    sync_timeout: float = 5.0

    def timeout(self, round_: int) -> float:
        """Round ``round_``'s timer: ``round_timeout * 2**round_`` (capped if a cap is set)."""
        wait = self.round_timeout * 2.0**round_
        return wait if self.max_round_timeout is None else min(wait, self.max_round_timeout)


_TX_ROOTS: OrderedDict[int, tuple[tuple, bytes]] = OrderedDict()


def tx_root_of(block_txs: tuple) -> bytes:
    """Merkle root of a block's transaction ids (cached per tuple object: every validator of a
    simulation checks the same proposal)."""
    cached = _TX_ROOTS.get(id(block_txs))
    if cached is not None and cached[0] is block_txs:
        return cached[1]
    root = merkle_root([leaf_hash(tx.hash) for tx in block_txs])
    if isinstance(block_txs, tuple):
        _TX_ROOTS[id(block_txs)] = (block_txs, root)
        if len(_TX_ROOTS) > 64:
            _TX_ROOTS.popitem(last=False)
    return root


@dataclass
class _Height:
    """What a node has seen for the height it is deciding."""

    proposals: dict[int, Proposal] = field(default_factory=dict)  # round -> accepted proposal
    candidates: dict[bytes, tuple[Block, BlockExecution]] = field(default_factory=dict)  # hash -> executed block
    prepares: dict[tuple[int, bytes], dict[bytes, Prepare]] = field(default_factory=dict)
    commits: dict[tuple[int, bytes], dict[bytes, Commit]] = field(default_factory=dict)
    round_changes: dict[int, dict[bytes, RoundChange]] = field(default_factory=dict)
    sent_prepare: set[int] = field(default_factory=set)
    sent_commit: set[int] = field(default_factory=set)
    proposed: set[int] = field(default_factory=set)
    built: dict[int, int] = field(default_factory=dict)  # round -> transactions executed for its block
    validated: set[tuple[bytes, int]] = field(default_factory=set)  # (block, round) executed here
    prepared: tuple[int, Block, tuple[Prepare, ...]] | None = None  # the lock


class ValidatorNode:
    """One validator of a :class:`~rwasim.consortium.ledger.ConsortiumLedger`.

    Parameters
    ----------
    ledger : ConsortiumLedger
        Shared run context: simulation, network, configuration, safety monitor.
    name : str
        Node name in the network graph.
    key : KeyPair
        The validator's signing key.
    org_id : str
        The organisation operating it.
    store : NodeStore
        Its SQLite file.
    """

    def __init__(self, ledger: ConsortiumLedger, name: str, key: KeyPair, org_id: str, store: NodeStore) -> None:
        self.ledger = ledger
        self.sim = ledger.sim
        self.network = ledger.network
        self.config: ConsensusConfig = ledger.config
        self.name = name
        self.key = key
        self.address = key.address
        self.org_id = org_id
        self.store = store
        self.online = False
        self.equivocating = False
        self._epoch = 0  # bumped on crash: timers of a dead incarnation do nothing
        self._timer_token = 0
        self._load()

    # ---- life cycle ---------------------------------------------------------------------------
    def _load(self) -> None:
        self.state: LedgerState = self.store.load_state(self.ledger.modules)
        self.validator_set = self.state.validator_set()
        last = self.store.block(self.state.height) if self.state.height else None
        self.head_hash = last.header.hash if last else self.ledger.genesis_hash
        self.head_time = last.header.timestamp if last else self.sim.epoch
        self.recent: dict[int, CommittedBlock] = {}
        self.mempool: dict[bytes, Any] = {}
        self._gossip_out: list = []
        self._gossip_scheduled = False
        self._future: list[tuple[str, Any]] = []
        self._syncing = False
        self._timer_armed = False
        self._sync_token = 0
        self._helped: set[tuple[str, int]] = set()
        self.round = 0
        self.h = _Height()
        self._restore_votes = True  # a restarted validator keeps what it signed before the crash

    @property
    def height(self) -> int:
        """Height of the last committed block this node holds."""
        return self.state.height

    def start(self) -> None:
        self.online = True
        self.network.set_down(self.name, False)
        self.network.attach(self.name, self._receive)
        self._new_height()

    def crash(self) -> None:
        """Stop at once: memory (mempool, round state) is lost, the SQLite file stays."""
        self.online = False
        self._epoch += 1
        self.network.set_down(self.name, True)
        self.sim.record("consortium.node_crashed", self.ledger.name, node=self.name, height=self.height)

    def restart(self) -> None:
        """Come back from the file and catch up from peers."""
        if self.online:
            return
        self._load()
        self.sim.record("consortium.node_restarted", self.ledger.name, node=self.name, height=self.height)
        self.start()
        self._request_sync(self._next_peer())

    def reconnected(self) -> None:
        """Links may be back: tell peers our height, and resend what the cut could have lost.

        The height lets a peer that missed blocks sync now rather than at the next proposal;
        the transactions reach a proposer that never saw them (otherwise they could wait for
        this node's own turn, which an idle ledger never gives); our round change lets peers
        in other rounds meet again without waiting for their timers.
        """
        if not self.online:
            return
        self.network.broadcast(self.name, Status(self.height))
        if self.mempool:
            self.network.broadcast(self.name, TxGossip(tuple(self.mempool.values())))
        mine = self.h.round_changes.get(self.round, {}).get(self.address)
        if mine is not None:
            self.network.broadcast(self.name, mine)

    def _next_peer(self, after: str | None = None) -> str:
        peers = [p for p in self.network.nodes if p != self.name]
        if not peers:
            return self.name
        start = (peers.index(after) + 1) if after in peers else self._epoch + self.height
        return peers[start % len(peers)]

    # ---- timers -----------------------------------------------------------------------------
    def _at(self, delay: float, action, *args) -> None:
        epoch = self._epoch
        event = self.sim.env.timeout(max(delay, 0.0))

        def fire(_event: simpy.Event) -> None:
            if self.online and self._epoch == epoch:
                action(*args)

        event.callbacks.append(fire)

    def _arm_round_timer(self) -> None:
        self._timer_token += 1
        token, height, round_ = self._timer_token, self.height, self.round
        wait = max(self._earliest_proposal() - self.sim.now, 0.0) + self.config.timeout(round_)
        self._at(wait, self._round_timer_fired, token, height, round_)
        self._timer_armed = True

    def _round_timer_fired(self, token: int, height: int, round_: int) -> None:
        if token != self._timer_token or height != self.height or round_ != self.round:
            return
        self._change_round(round_ + 1)

    def _earliest_proposal(self) -> float:
        return (self.head_time - self.sim.epoch) + self.config.block_period

    # ---- transactions -----------------------------------------------------------------------
    def submit(self, tx) -> str | None:
        """Admit a client's transaction (None) or say why not."""
        if not self.online:
            return f"validator {self.name} is down"
        if tx.hash in self.mempool:
            return None
        reason = self.state.check_transaction(tx)
        if reason is not None:
            return reason
        self._admit(tx)
        self._gossip_out.append(tx)
        if not self._gossip_scheduled:
            self._gossip_scheduled = True
            self._at(self.config.gossip_interval, self._flush_gossip)
        return None

    def _admit(self, tx) -> None:
        first = not self.mempool
        self.mempool[tx.hash] = tx
        if first:
            self._work_arrived()

    def _flush_gossip(self) -> None:
        self._gossip_scheduled = False
        batch, self._gossip_out = tuple(self._gossip_out), []
        if batch:
            self.network.broadcast(self.name, TxGossip(batch))

    def _on_gossip(self, message: TxGossip) -> None:
        for tx in message.transactions:
            if tx.hash not in self.mempool and self.state.check_transaction(tx) is None:
                self._admit(tx)

    def _work_arrived(self) -> None:
        if self._syncing:
            return
        if not self._timer_armed:
            self._arm_round_timer()
        self._maybe_propose()

    # ---- heights and rounds ---------------------------------------------------------------------
    def _new_height(self) -> None:
        self.round = 0
        self.h = _Height()
        self._timer_armed = False
        self._timer_token += 1
        if self._restore_votes:
            self._restore_votes = False
            self._load_votes()
        self._resume()

    def _save_votes(self) -> None:
        """Write the round, the rounds it proposed, prepared and committed in, and its lock, to
        its file before the message that commits it to them leaves (see NodeStore.save_votes)."""
        h = self.h
        self.store.save_votes(
            self.height + 1,
            {
                "round": self.round,
                "proposed": sorted(h.proposed),
                "sent_prepare": sorted(h.sent_prepare),
                "sent_commit": sorted(h.sent_commit),
                "prepared": h.prepared,
            },
        )

    def _load_votes(self) -> None:
        votes = self.store.load_votes(self.height + 1)
        if votes is None:
            return
        h = self.h
        self.round = votes["round"]
        h.proposed.update(votes["proposed"])
        h.sent_prepare.update(votes["sent_prepare"])
        h.sent_commit.update(votes["sent_commit"])
        h.prepared = votes["prepared"]
        if h.prepared is not None:
            self._validate_block(h.prepared[1])  # the locked block is a candidate again
        if self.round > 0:
            self._arm_round_timer()

    def _resume(self) -> None:
        """Carry on with the current height: timer, proposal, and messages that came early."""
        if self._syncing or not self.online:
            return
        if self.mempool and not self._timer_armed:
            self._arm_round_timer()
        self._maybe_propose()
        future, self._future = self._future, []
        for sender, message in future:
            self._receive(sender, message)

    def _is_proposer(self, round_: int) -> bool:
        return self.validator_set.proposer(self.height + 1, round_) == self.address

    def _maybe_propose(self) -> None:
        r = self.round
        if self._syncing or not self._is_proposer(r) or r in self.h.proposed:
            return
        if r == 0 and not self.mempool:
            return
        if r > 0 and len(self.h.round_changes.get(r, {})) < self.validator_set.quorum:
            return
        wait = self._earliest_proposal() - self.sim.now
        if wait > 0:
            self._at(wait, self._maybe_propose)
            return
        if self.config.tx_time > 0 and r not in self.h.built:  # executing the block takes time
            n = self.h.built[r] = min(len(self.mempool), self.config.max_block_txs)
            self._at(n * self.config.tx_time, self._maybe_propose)
            return
        self.h.proposed.add(r)
        justification = tuple(sorted(self.h.round_changes.get(r, {}).values(), key=lambda m: m.sender)) if r else ()
        block = _highest_prepared_block(justification)
        if block is None:
            block = self._build_block(r)
            if block is None:
                self.h.proposed.discard(r)
                return
        proposal = Proposal.make(self.key, block, r, justification)
        self._save_votes()
        if self.equivocating:
            twin = self._build_block(r, twin=True)
            if twin is not None and twin.header.hash != block.header.hash:
                self._equivocate(proposal, Proposal.make(self.key, twin, r, justification))
                return
        self.network.broadcast(self.name, proposal)
        self._on_proposal(proposal)

    def _equivocate(self, first: Proposal, second: Proposal) -> None:
        """Send two different blocks for one (height, round): half the peers see one first."""
        self.sim.record(
            "consortium.equivocation_sent",
            self.ledger.name,
            node=self.name,
            height=first.height,
            round=first.round,
            blocks=[first.block.header.hash, second.block.header.hash],
        )
        peers = [p for p in self.network.nodes if p != self.name]
        for i, peer in enumerate(peers):
            a, b = (first, second) if i % 2 == 0 else (second, first)
            self.network.send(self.name, peer, a)
            self.network.send(self.name, peer, b)
        self._on_proposal(first)

    def _build_block(self, round_: int, twin: bool = False) -> Block | None:
        pending: list[Transaction] = []
        expected: dict[bytes, int] = {}
        stale = []
        limit = self.h.built.get(round_, self.config.max_block_txs)  # no more than it took time to execute
        for tx_hash, tx in self.mempool.items():
            nxt = expected.get(tx.sender)
            if nxt is None:
                nxt = expected[tx.sender] = self.state.nonce_of(tx.sender)
            if tx.nonce < nxt:
                stale.append(tx_hash)
            elif tx.nonce == nxt:
                pending.append(tx)
                expected[tx.sender] = nxt + 1
                if len(pending) >= limit:
                    break
        for tx_hash in stale:
            del self.mempool[tx_hash]
        if twin:
            pending = pending[:-1] if len(pending) > 1 else pending
        if not pending:
            return None
        timestamp = max(self.sim.timestamp(), self.head_time) + (1 if twin and len(pending) == 1 else 0)
        txs = tuple(pending)
        execution = self._execute(txs, self.height + 1, timestamp)
        header = BlockHeader(
            self.ledger.chain_id,
            self.height + 1,
            round_,
            self.head_hash,
            tx_root_of(txs),
            self._event_root(execution),
            execution.state_root,
            timestamp,
            self.validator_set.hash,
            self.address,
        )
        block = Block(header, txs)
        self.h.candidates[header.hash] = (block, execution)
        return block

    def _execute(self, txs, height: int, timestamp: int) -> BlockExecution:
        """Execute on this node's state; identical (state, block) inputs share one result."""
        cache = self.ledger.execution_cache
        if cache is None:
            return self.state.execute_block(txs, height=height, timestamp=timestamp)
        key = keccak(self.state.state_root + word(height) + word(timestamp) + b"".join(tx.hash for tx in txs))
        execution = cache.get(key)
        if execution is None:
            execution = self.state.execute_block(txs, height=height, timestamp=timestamp)
            cache.put(key, execution)
        return execution

    def _event_root(self, execution: BlockExecution) -> bytes:
        if execution.event_root is None:
            execution.event_root = merkle_root(
                self.ledger.modules.event_leaves(self.ledger.chain_id, execution.receipts)
            )
        return execution.event_root

    def _change_round(self, new_round: int) -> None:
        if new_round <= self.round and self.h.round_changes.get(new_round, {}).get(self.address):
            return
        self.round = new_round
        self._save_votes()
        message = RoundChange.make(self.key, self.height + 1, new_round, self.h.prepared)
        self.sim.record(
            "consortium.round_change", self.ledger.name, node=self.name, height=self.height + 1, round=new_round
        )
        self.network.broadcast(self.name, message)
        self._on_round_change(message)
        self._arm_round_timer()

    # ---- receiving ----------------------------------------------------------------------------
    def _receive(self, sender: str, message) -> None:
        if not self.online:
            return
        kind = message.kind
        if kind == "tx_gossip":
            self._on_gossip(message)
            return
        if kind == "sync_request":
            self._on_sync_request(sender, message)
            return
        if kind == "sync_response":
            self._on_sync_response(sender, message)
            return
        if kind == "status":
            if message.height > self.height:
                self._request_sync(sender)
            return
        height = message.height
        mine = self.height + 1
        if height < mine:
            if kind in ("round_change", "proposal"):  # late prepares/commits are normal; these mean "stuck"
                self._help_behind(sender, height)
            return
        if height > mine or self._syncing:
            if height <= mine + 2:
                self._future.append((sender, message))
            if height > mine + 1 or kind == "commit":
                self._request_sync(sender)
            return
        if kind == "proposal":
            key = (message.block.header.hash, message.round)
            if self.config.tx_time > 0 and key not in self.h.validated:  # executing it takes time
                self.h.validated.add(key)
                self._at(self.config.tx_time * len(message.block.transactions), self._executed, sender, message)
                return
            self._on_proposal(message)
        elif kind == "prepare":
            self._on_prepare(message)
        elif kind == "commit":
            self._on_commit(message)
        elif kind == "round_change":
            self._on_round_change(message)

    def _executed(self, sender: str, message: Proposal) -> None:
        """A proposal whose block this node has finished executing, if still of the current height."""
        if message.height == self.height + 1 and not self._syncing:
            self._receive(sender, message)

    def _from_validator(self, address: bytes) -> bool:
        return self.validator_set.contains(address)

    def _on_proposal(self, p: Proposal) -> None:
        vs = self.validator_set
        if p.sender != vs.proposer(p.height, p.round) or not p.valid():
            self._reject("proposal from a validator that is not its round's proposer, or badly signed", p)
            return
        block_hash = p.block.header.hash
        earlier = self.h.proposals.get(p.round)
        if earlier is not None:
            if earlier.block.header.hash != block_hash:
                self.ledger.monitor.equivocation(
                    self, p.sender, p.height, p.round, earlier.block.header.hash, block_hash
                )
            return
        if p.round > 0 and not self._justified(p):
            self._reject("proposal for a later round without a valid justification", p)
            return
        if p.round < self.round:
            self.h.proposals[p.round] = p  # kept: a commit quorum of that round may still need the block
            self._validate_block(p.block)
            return
        if not self._validate_block(p.block):
            return
        lock = self.h.prepared
        if lock is not None and lock[1].header.hash != block_hash and p.round <= lock[0]:
            return
        self.h.proposals[p.round] = p
        if p.round > self.round:
            self.round = p.round
        if not self._timer_armed or p.round > 0:
            self._arm_round_timer()
        if p.round not in self.h.sent_prepare:
            self.h.sent_prepare.add(p.round)
            self._save_votes()
            prepare = Prepare.make(self.key, p.height, p.round, block_hash)
            self.network.broadcast(self.name, prepare)
            self._on_prepare(prepare)
        self._check_commit_quorum()

    def _reject(self, why: str, message) -> None:
        self.sim.record(
            "consortium.message_rejected",
            self.ledger.name,
            node=self.name,
            message=message.kind,
            height=message.height,
            round=message.round,
            reason=why,
        )

    def _validate_block(self, block: Block) -> bool:
        """Re-execute a proposed block and check every header field against the result."""
        header = block.header
        if header.hash in self.h.candidates:
            return True
        chain_id = self.ledger.chain_id
        problem = None
        if header.chain_id != chain_id or header.height != self.height + 1:
            problem = "wrong chain or height"
        elif header.parent_hash != self.head_hash:
            problem = "parent is not this node's head"
        elif header.validator_set_hash != self.validator_set.hash:
            problem = "validator-set hash differs"
        elif header.timestamp < self.head_time or header.timestamp > self.sim.timestamp() + 1:
            problem = "timestamp out of range"
        elif not block.transactions or len(block.transactions) > self.config.max_block_txs:
            problem = "empty or oversized block"
        elif tx_root_of(block.transactions) != header.tx_root:
            problem = "transaction root differs"
        if problem is None:
            execution = self._execute(block.transactions, header.height, header.timestamp)
            if execution.state_root != header.state_root:
                problem = "state root differs"
            elif self._event_root(execution) != header.event_root:
                problem = "event root differs"
        if problem is not None:
            self.sim.record(
                "consortium.block_rejected",
                self.ledger.name,
                node=self.name,
                height=header.height,
                block=header.hash,
                reason=problem,
            )
            return False
        self.h.candidates[header.hash] = (block, execution)
        return True

    def _justified(self, p: Proposal) -> bool:
        """A quorum of signed round changes for this round; the block is the highest prepared among them."""
        vs = self.validator_set
        senders = set()
        for rc in p.justification:
            if rc.height != p.height or rc.round != p.round or not vs.contains(rc.sender) or not rc.valid():
                return False
            if rc.prepared_block is not None and not self._valid_prepared_certificate(rc):
                return False
            senders.add(rc.sender)
        if len(senders) < vs.quorum:
            return False
        highest = _highest_prepared_block(p.justification)
        return highest is None or highest.header.hash == p.block.header.hash

    def _valid_prepared_certificate(self, rc: RoundChange) -> bool:
        if rc.prepared_block is None:
            raise ValueError("a round change without a prepared block has no prepared certificate to check")
        block_hash = rc.prepared_block.header.hash
        signers = {
            m.sender
            for m in rc.prepared_certificate
            if m.height == rc.height
            and m.round == rc.prepared_round
            and m.block_hash == block_hash
            and self.validator_set.contains(m.sender)
            and m.valid()
        }
        return len(signers) >= self.validator_set.quorum

    def _on_prepare(self, m: Prepare) -> None:
        if not self._from_validator(m.sender) or not m.valid():
            return
        self.h.prepares.setdefault((m.round, m.block_hash), {}).setdefault(m.sender, m)
        self._check_prepare_quorum(m.round, m.block_hash)

    def _check_prepare_quorum(self, round_: int, block_hash: bytes) -> None:
        if round_ in self.h.sent_commit:
            return
        prepares = self.h.prepares.get((round_, block_hash), {})
        proposal = self.h.proposals.get(round_)
        if len(prepares) < self.validator_set.quorum or proposal is None or proposal.block.header.hash != block_hash:
            return
        if round_ < self.round:
            return
        certificate = tuple(sorted(prepares.values(), key=lambda m: m.sender))
        if self.h.prepared is None or self.h.prepared[0] < round_:
            self.h.prepared = (round_, proposal.block, certificate)
        self.h.sent_commit.add(round_)
        self._save_votes()
        commit = Commit(proposal.height, round_, block_hash, self.address, self.key.sign(commit_digest(block_hash)))
        self.network.broadcast(self.name, commit)
        self._on_commit(commit)

    def _on_commit(self, m: Commit) -> None:
        if not self._from_validator(m.sender) or signer_of(commit_digest(m.block_hash), m.seal) != m.sender:
            return
        self.h.commits.setdefault((m.round, m.block_hash), {}).setdefault(m.sender, m)
        self._check_commit_quorum()

    def _check_commit_quorum(self) -> None:
        quorum = self.validator_set.quorum
        for (_round, block_hash), commits in sorted(self.h.commits.items()):
            if len(commits) < quorum:
                continue
            candidate = self.h.candidates.get(block_hash)
            if candidate is None:
                continue  # the block arrives with its proposal, or by sync
            block, execution = candidate
            seals = tuple(sorted((c.sender, c.seal) for c in commits.values()))
            self._commit(CommittedBlock(block, execution.receipts, QuorumCertificate(block_hash, seals)), execution)
            return

    def _on_round_change(self, m: RoundChange) -> None:
        if not self._from_validator(m.sender) or not m.valid():
            return
        if m.prepared_block is not None and not self._valid_prepared_certificate(m):
            return
        self.h.round_changes.setdefault(m.round, {})[m.sender] = m
        if m.prepared_block is not None:
            self._validate_block(m.prepared_block)
        # f+1 validators are past our round: at least one honest one is, so follow them
        ahead: dict[bytes, int] = {}
        for round_, messages in self.h.round_changes.items():
            if round_ > self.round:
                for sender in messages:
                    ahead[sender] = min(ahead.get(sender, round_), round_)
        if len(ahead) >= self.validator_set.f + 1:
            self._change_round(min(ahead.values()))
            return
        if m.round == self.round:
            self._maybe_propose()

    # ---- commit -------------------------------------------------------------------------------
    def _commit(self, committed: CommittedBlock, execution: BlockExecution) -> None:
        header = committed.header
        try:
            self.store.append(committed, execution.encoded_writes)
        except SimulatedCrash as exc:
            self.sim.record(
                "consortium.write_interrupted", self.ledger.name, node=self.name, height=header.height, reason=str(exc)
            )
            self.crash()
            self.ledger.rescue_orphans()
            return
        self.state.apply(execution)
        if header.height % self.store.checkpoint_interval == 0:
            self.store.checkpoint(self.state)
        if any(key[0] == "validator" for key in execution.writes):
            self.validator_set = self.state.validator_set()
        self.head_hash = header.hash
        self.head_time = header.timestamp
        self.recent[header.height] = committed
        if len(self.recent) > 4 * self.config.sync_batch:
            del self.recent[min(self.recent)]
        mempool = self.mempool
        for tx in committed.block.transactions:
            mempool.pop(tx.hash, None)
        self.ledger.monitor.committed(self, committed)
        self._new_height()

    # ---- block sync ---------------------------------------------------------------------------
    def _request_sync(self, peer: str) -> None:
        if self._syncing or peer == self.name:
            return
        self._syncing = True
        self._sync_token += 1
        token = self._sync_token
        self.network.send(self.name, peer, SyncRequest(self.height + 1, self.config.sync_batch))
        self._at(self.config.sync_timeout, self._sync_timed_out, token, peer)

    def _sync_timed_out(self, token: int, peer: str) -> None:
        if token == self._sync_token and self._syncing:
            self._syncing = False
            self._request_sync(self._next_peer(peer))

    def _help_behind(self, peer: str, their_height: int) -> None:
        """A peer still deciding an old height: send it the blocks it is missing (once per height)."""
        if (peer, their_height) in self._helped:
            return
        self._helped.add((peer, their_height))
        self._on_sync_request(peer, SyncRequest(their_height, self.config.sync_batch))

    def _on_sync_request(self, peer: str, request: SyncRequest) -> None:
        end = min(self.height, request.from_height + max(1, min(request.limit, self.config.sync_batch)) - 1)
        blocks = tuple(b for b in (self.block_at(h) for h in range(request.from_height, end + 1)) if b is not None)
        self.network.send(self.name, peer, SyncResponse(blocks, self.height))

    def block_at(self, height: int) -> CommittedBlock | None:
        """A committed block of this node (memory first, then its file)."""
        return self.recent.get(height) or self.store.block(height)

    def _on_sync_response(self, peer: str, response: SyncResponse) -> None:
        applied = 0
        for committed in response.blocks:
            if committed.height <= self.height:
                continue
            if committed.height != self.height + 1:
                break
            problem = self._check_synced_block(committed)
            if problem is not None:
                self.sim.record(
                    "consortium.sync_rejected",
                    self.ledger.name,
                    node=self.name,
                    peer=peer,
                    height=committed.height,
                    reason=problem,
                )
                break
            header = committed.header
            execution = self._execute(committed.block.transactions, header.height, header.timestamp)
            if execution.state_root != header.state_root:
                self.sim.record(
                    "consortium.sync_rejected",
                    self.ledger.name,
                    node=self.name,
                    peer=peer,
                    height=header.height,
                    reason="state root differs after execution",
                )
                break
            self.h.candidates[header.hash] = (committed.block, execution)
            was_syncing, self._syncing = self._syncing, True
            self._commit(committed, execution)
            if not self.online:
                return
            self._syncing = was_syncing
            applied += 1
        more = response.tip > self.height and applied > 0
        self._syncing = False
        self._sync_token += 1
        if applied:
            self.sim.record(
                "consortium.synced", self.ledger.name, node=self.name, peer=peer, blocks=applied, height=self.height
            )
        if more:
            self._request_sync(peer)
        else:
            self._resume()

    def _check_synced_block(self, committed: CommittedBlock) -> str | None:
        header = committed.header
        if header.parent_hash != self.head_hash:
            return "parent is not this node's head"
        if header.validator_set_hash != self.validator_set.hash:
            return "validator-set hash differs"
        if committed.qc.header_hash != header.hash:
            return "certificate is for another header"
        if tx_root_of(committed.block.transactions) != header.tx_root:
            return "transaction root differs"
        try:
            committed.qc.verify(self.validator_set)
        except ValueError as exc:
            return f"invalid quorum certificate: {exc}"
        return None


def _highest_prepared_block(round_changes: Iterable[RoundChange]) -> Block | None:
    """The block prepared in the highest round among ``round_changes`` (the first such on ties), if any."""
    best: RoundChange | None = None
    for rc in round_changes:
        if rc.prepared_block is not None and (best is None or rc.prepared_round > best.prepared_round):
            best = rc
    return None if best is None else best.prepared_block

"""The bridge: a consortium ledger and an Ethereum chain joined on one lane.

:class:`Bridge` wires the parts: the Ethereum end (gateway, verifier, wrapped token), one
attestor per consortium validator, relayers with their checkpoints, the message book and the
invariant monitor. It watches both chains on the simulation clock — every consortium commit
and every Ethereum block — so the book and the monitor always reflect what is on chain.

Nothing in a bridge polls: the watcher and the relayers sleep on a doorbell that commits,
blocks, attestations and faults ring, and on the earliest deadline they know of (an Ethereum
event becoming settled under the lane's finality policy, a delayed delivery, a retry, a
message's finality bound). So a lane with nothing in flight costs nothing, however long the
simulated calendar runs.

The lane's finality policy says when validators may attest an Ethereum event (a burn, a
refused delivery): ``finalized`` by default (Casper FFG, 12.8 to 19.2 minutes), ``safe``, or
``confirmations=N``. The faster policies act before a reorg is ruled out, so, as CCIP's
faster-than-finality mode does, they come with a rate limit of their own: a burn the fast
bucket cannot cover waits for finality. Consortium → Ethereum needs no policy: QBFT is final
at commit.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from rwasim.bridge import ledger_module
from rwasim.bridge.attestation import AttestationPool, Attestor
from rwasim.bridge.book import TO_CONSORTIUM, TO_ETHEREUM, MessageBook
from rwasim.bridge.codec import BridgeMessage, asset_key, rejection_id
from rwasim.bridge.gateway import EthereumEnd, checksum
from rwasim.bridge.monitor import BridgeMonitor
from rwasim.bridge.relayer import Relayer, outbound_message_from_log
from rwasim.consortium.block import CommittedBlock
from rwasim.consortium.ledger import ConsortiumLedger, LedgerClient, TxHandle
from rwasim.engine import Doorbell, Simulation
from rwasim.ethereum.chain import EthereumChain, Receipt
from rwasim.ethereum.finality import FinalityPolicy

DEFAULT_FAST_LIMIT = (10_000, 10.0)  # units, units per second: the fast policies' own bucket

# ledger -> lane -> its running bridge: one lane number is one escrow, one nonce space, one book
_OPEN_LANES: WeakKeyDictionary[ConsortiumLedger, dict[int, Bridge]] = WeakKeyDictionary()

GATEWAY_SENT = 4  # BridgeGateway.Status.Sent: burned here, not refunded

GATEWAY_EVENTS = (
    "MessageDelivered",
    "MessageRejected",
    "MessageSent",
    "MessageRefunded",
    "MessageDelayed",
    "DuplicateMessage",
)


def open_lane(
    sim: Simulation,
    ledger: ConsortiumLedger,
    chain: EthereumChain,
    *,
    asset_id: str,
    lane: int = 1,
    issuer: str | None = None,
    guardian: str | None = None,
    verifier: str = "quorum",
    token: dict | None = None,
    **options: Any,
) -> Bridge:
    """Deploy a lane's Ethereum end (gateway, ``verifier``, wrapped token with ``token``'s name,
    symbol and modules) and start its :class:`Bridge` (``options``: confirmations, relayers,
    batch size, checkpoints, watchers, ``on_alert``)."""
    from rwasim.bridge.gateway import deploy_ethereum_end

    end = deploy_ethereum_end(
        chain,
        ledger,
        asset_id=asset_id,
        lane=lane,
        issuer=issuer or chain.accounts[0],
        guardian=guardian or chain.accounts[1],
        verifier=verifier,
        watchers=options.get("watchers", ()),
        **(token or {}),
    )
    return Bridge(sim, ledger, chain, end, **options)


class Bridge:
    """One lane between ``ledger`` and ``chain``.

    Parameters
    ----------
    sim, ledger, chain, end
        The run, both chains, and what :func:`rwasim.bridge.gateway.deploy_ethereum_end` deployed.
    finality : str, default "finalized"
        When validators attest an Ethereum event of this lane: ``"finalized"``, ``"safe"``
        or ``"confirmations=N"`` (N slots after the event's own).
    confirmations : int, optional
        Shorthand for ``finality="confirmations=N"``.
    fast_limit : (int, float), default (10_000, 10.0)
        Capacity (units) and refill (units per second) of the bucket that the faster-than-
        finality policies draw on; a burn it cannot cover waits for finality instead.
    relayers : int
        Relayer processes (each with its own account and checkpoint).
    batch_size : int
        Messages per delivery under one certificate.
    checkpoint_dir : str or Path, optional
        Where relayers keep their SQLite checkpoints (default in memory).
    fraud_window : int
        Seconds of the optimistic verifier's window (read from it when that is the verifier).
    watchers : list of str
        Ethereum accounts that challenge forged posts (optimistic lanes).
    on_alert : callable, optional
        ``on_alert(name, **data)`` for each monitor alert (a scenario passes ``ctx.alert``).
    fresh : bool
        Delete relayer checkpoints left in ``checkpoint_dir`` by an earlier run.
    """

    # Declared here because __init__ reads another open Bridge's before assigning its own.
    sim: Simulation
    ledger: ConsortiumLedger
    chain: EthereumChain
    end: EthereumEnd
    stopped: bool

    def __init__(
        self,
        sim: Simulation,
        ledger: ConsortiumLedger,
        chain: EthereumChain,
        end: EthereumEnd,
        *,
        finality: str | FinalityPolicy = "finalized",
        confirmations: int | None = None,
        fast_limit: tuple[int, float] = DEFAULT_FAST_LIMIT,
        relayers: int = 1,
        batch_size: int = 1,
        poll_interval: float = 2.0,
        checkpoint_dir: str | Path | None = None,
        watchers: list[str] | None = None,
        on_alert: Callable[..., None] | None = None,
        fresh: bool = True,
    ) -> None:
        lanes = _OPEN_LANES.setdefault(ledger, {})
        running = lanes.get(end.lane)
        if running is not None and not running.stopped:
            raise ValueError(
                f"lane {end.lane} of ledger {ledger.name!r} is already open (asset {running.end.asset_id!r}); "
                "a second bridge on it would share its nonces, escrow and locks: open another lane number"
            )
        ledger_module.install(ledger)  # idempotent: the lane's end may have installed it already
        lanes[end.lane] = self
        self.sim = sim
        self.ledger = ledger
        self.chain = chain
        self.end = end
        self.policy = FinalityPolicy.parse(f"confirmations={confirmations}" if confirmations is not None else finality)
        self.fast_capacity, self.fast_refill = int(fast_limit[0]), float(fast_limit[1])
        self._fast_tokens = float(self.fast_capacity)
        self._fast_at = sim.now
        self._fast_decisions: dict[bytes, bool] = {}
        self._source_blocks: list[int] = []  # Ethereum blocks with events validators must attest
        self.bell = Doorbell(sim)
        self.reverted_at: float | None = None  # when the chain last went back (a reorg), until detected
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.book = MessageBook(sim)
        self.pool = AttestationPool(lambda: ledger.validator_set.quorum)
        self.attestors = [Attestor(node, self) for node in ledger.nodes.values()]
        self.rejection_locations: dict[bytes, tuple[bytes, int]] = {}
        self.fraud_window = end.verifier.call("fraudWindow") if end.verifier_kind == "optimistic" else 0
        self.watchers = list(watchers or [])
        self.watchers_online = True
        self.committee_online = True
        self._challenged: set[bytes] = set()
        self._delayed: dict[bytes, int] = {}  # message id -> time its delayed delivery may execute
        self.stopped = False
        self._eth_cursor = chain.block_number
        self._seen_hashes: dict[int, bytes] = {}  # block number -> hash, for the blocks read
        self.monitor = BridgeMonitor(self, on_alert)
        ledger.on_commit(self._on_consortium_block)
        self.relayers = []
        for i in range(relayers):
            path: str | Path = ":memory:"
            if checkpoint_dir is not None:
                path = Path(checkpoint_dir) / f"relayer-{i}.sqlite"
                if fresh:  # a new run: progress left by an earlier run is not this run's
                    path.unlink(missing_ok=True)
            self.relayers.append(
                Relayer(
                    self,
                    f"relayer-{i}",
                    chain.new_account(f"lane-{end.lane}-relayer-{i}"),
                    path,
                    batch_size=batch_size,
                    poll_interval=poll_interval,
                )
            )
        chain.on_block(self._on_ethereum_block)
        self._watcher = sim.process(self._watch())
        from rwasim.bridge.faults import BridgeFaults

        self.faults = BridgeFaults(self)
        sim.record(
            "bridge.started",
            "bridge",
            lane=end.lane,
            verifier=end.verifier_kind,
            gateway=end.gateway.address,
            finality=str(self.policy),
            relayers=relayers,
            batch_size=batch_size,
            consortium=ledger.name,
            asset_id=end.asset_id,
            token=end.token.address,
        )

    # ---- using it ---------------------------------------------------------------------------
    def lock(self, client: LedgerClient, amount: int, receiver: str) -> TxHandle:
        """Lock ``amount`` units of ``client`` on the consortium for ``receiver`` on Ethereum."""
        return client.submit(
            "bridge.lock",
            {
                "asset_id": self.end.asset_id,
                "amount": amount,
                "lane": self.end.lane,
                "receiver": receiver.lower(),
                "destination_chain": self.chain.chain_id,
            },
        )

    def send_back(self, sender: str, receiver_holder: str, amount: int) -> str:
        """Burn ``amount`` wrapped units of ``sender`` for ``receiver_holder`` on the consortium (a tx hash)."""
        return self.chain.send(
            self.end.gateway, "send", self.end.lane, checksum(bytes.fromhex(receiver_holder[2:])), amount, sender=sender
        )

    def settle(self, timeout: float = 3600.0) -> dict[str, int]:
        """Run until no message is in flight (or ``timeout`` simulated seconds); return state counts."""
        deadline = self.sim.now + timeout
        while self.sim.now < deadline:
            self.sim.run(until=min(self.sim.now + self.chain.slot_seconds, deadline))
            if not self.book.in_flight() and not self.chain.queued:
                break
        return self.book.counts()

    def sync(self) -> None:
        """Read the gateway's logs up to the head now, so a snapshot taken mid-slot misses no burn."""
        self._read_gateway()

    def delivery_budget(self) -> float:
        """Simulated seconds a lock may wait for delivery on Ethereum before relayers give up.

        Relaying, the fraud window and the large-transfer delay, plus the time the lane's
        inbound bucket takes to refill from empty (a rate-limited message waits at most that
        long while the lane's traffic stays within its rate). After it, a message the bucket
        still cannot cover is expired on the gateway (``BridgeGateway.expire``): rejected on
        chain, then refunded on the consortium.
        """
        lane = self.end.gateway.call("lanes", self.end.lane)
        delay, (capacity, _, refill, _) = lane[6], lane[8]
        refill_time = -(-capacity // refill) if capacity and refill else 0
        slot = self.chain.slot_seconds
        return 3 * self.poll_interval + 6 * slot + self.fraud_window + delay + refill_time + 60

    def delivery_bound(self, direction: str) -> float:
        """Simulated seconds within which a message of ``direction`` is delivered when nothing
        refuses it: the delivery budget towards Ethereum; towards the consortium the lane's
        finality policy's longest wait, a quorum of attestations and the release."""
        if direction == TO_ETHEREUM:
            return self.delivery_budget()
        slot, poll = self.chain.slot_seconds, self.poll_interval
        settle = self.policy.worst_case_s(self.chain.casper)
        return settle + 4 * slot + 3 * poll + 4 * self.ledger.config.block_period + 60

    def finality_bound(self, direction: str) -> float:
        """Simulated seconds within which a message of ``direction`` is final on this lane:
        delivered, or rejected and then refunded.

        Consortium -> Ethereum: the delivery budget, then (if the gateway rejected or expired
        it) the lane's finality wait, a quorum of attestations and the refund on the consortium.
        Ethereum -> consortium: the finality wait, attestations and the release, then (if the
        consortium rejected it) the refund proven on Ethereum through the lane's verifier. It
        holds while the gateway is not paused by its guardian, the consortium has a quorum
        online and the lane's verifier accepts honest evidence; past it the monitor raises
        ``bridge_message_overdue``.
        """
        slot, poll = self.chain.slot_seconds, self.poll_interval
        if direction == TO_ETHEREUM:
            return self.delivery_budget() + self.delivery_bound(TO_CONSORTIUM)
        # the refund's proof passes the lane's verifier (an optimistic lane: its fraud window)
        return self.delivery_bound(TO_CONSORTIUM) + 3 * poll + 4 * slot + self.fraud_window

    @property
    def finality_bound_s(self) -> float:
        """The lane's promise: every message final within this many simulated seconds."""
        return max(self.finality_bound(TO_ETHEREUM), self.finality_bound(TO_CONSORTIUM))

    # ---- reading the chains -------------------------------------------------------------------
    def locks_in(self, committed: CommittedBlock) -> Iterator[tuple[bytes, int, BridgeMessage]]:
        """``(tx hash, event index, message)`` for each lock of this lane in a committed block."""
        for tx, receipt in zip(committed.block.transactions, committed.receipts):
            for index, event in enumerate(receipt.events):
                if (
                    event.kind == "bridge.lock"
                    and event.fields["lane"] == self.end.lane
                    and event.fields["asset_id"] == self.end.asset_id
                ):
                    yield tx.hash, index, self.inbound_message(event.fields)

    def inbound_message(self, f: dict) -> BridgeMessage:
        return BridgeMessage(
            self.ledger.chain_id,
            f["destination_chain"],
            f["lane"],
            f["nonce"],
            asset_key(f["asset_id"]),
            bytes.fromhex(f["sender"][2:]),
            bytes.fromhex(f["receiver"][2:]),
            f["amount"],
        )

    def outbound_message(self, log: dict) -> BridgeMessage:
        return outbound_message_from_log(log, self.chain.chain_id, self.end.asset_id)

    def _on_consortium_block(self, committed: CommittedBlock) -> None:
        for _, _, message in self.locks_in(committed):
            self.book.add(message, TO_ETHEREUM).source_height = committed.height
        for tx, receipt in zip(committed.block.transactions, committed.receipts):
            for index, event in enumerate(receipt.events):
                f = event.fields
                if event.kind == "bridge.released":
                    self.book.transition(bytes.fromhex(f["message_id"][2:]), "released")
                    self.pool.settled("sent", bytes.fromhex(f["message_id"][2:]))
                elif event.kind == "bridge.rejected":
                    message_id = bytes.fromhex(f["message_id"][2:])
                    self.rejection_locations[message_id] = (tx.hash, index)
                    self.book.transition(message_id, "rejected", reason=f["reason"], code=f["code"])
                elif event.kind == "bridge.refunded":
                    self.book.transition(bytes.fromhex(f["message_id"][2:]), "refunded")
                    self.pool.settled("rejected", bytes.fromhex(f["message_id"][2:]))
        self.monitor.check()
        self.wake()

    def _read_gateway(self) -> None:
        head = self.chain.block_number
        ancestor = self._common_ancestor(head)
        if ancestor < self._eth_cursor:
            self._reconcile_reorg(self._eth_cursor - ancestor)
            self._eth_cursor = ancestor
            self._source_blocks = [b for b in self._source_blocks if b <= ancestor]
        if head <= self._eth_cursor:
            return
        logs = []
        for name in GATEWAY_EVENTS:
            for log in self.chain.get_logs(self.end.gateway, name, self._eth_cursor + 1, head):
                logs.append((log["_block"], name, log))
        logs.sort(key=lambda item: (item[0], GATEWAY_EVENTS.index(item[1])))
        for _, name, log in logs:
            if log.get("lane") != self.end.lane:
                continue
            if name in ("MessageSent", "MessageRejected") and (
                not self._source_blocks or self._source_blocks[-1] != log["_block"]
            ):
                self._source_blocks.append(log["_block"])  # validators attest it once it is settled
            if name == "MessageSent":
                self.book.add(self.outbound_message(log), TO_CONSORTIUM)
            elif name == "MessageDelivered":
                self.book.transition(log["id"], "delivered")
            elif name == "MessageRejected":
                self.book.transition(log["id"], "rejected", reason=log["reason"], code=log["code"])
            elif name == "MessageRefunded":
                self.book.transition(log["id"], "refunded")
            elif name == "MessageDelayed":
                self._delayed[log["id"]] = log["executeAfter"]
                self.sim.record("bridge.delayed", "bridge", id=log["id"], execute_after=log["executeAfter"])
        self._remember_hashes(head)
        self._eth_cursor = head
        if self.end.verifier_kind == "optimistic":
            self._watch_posts(head)

    def _common_ancestor(self, head: int) -> int:
        """The highest block read before that is still canonical (the cursor when no reorg)."""
        number = min(self._eth_cursor, head)
        while number > 0 and self._seen_hashes.get(number) not in (None, self.chain.get_block_hash(number)):
            number -= 1
        return number

    def _remember_hashes(self, head: int) -> None:
        for number in range(max(self._eth_cursor + 1, head - 63), head + 1):
            self._seen_hashes[number] = self.chain.get_block_hash(number)
        for number in [n for n in self._seen_hashes if n < head - 63]:
            del self._seen_hashes[number]

    def _reconcile_reorg(self, depth: int) -> None:
        """Ethereum went back ``depth`` blocks: re-read what the gateway still holds.

        A burn erased before validators attested it simply never happened (``reorged_out``);
        one erased after the consortium released it means the units now exist on both
        chains — reported with the value at risk. A delivery (or a gateway rejection) erased
        goes back in flight, no longer counted as an execution, and relayers deliver it again;
        a refund on Ethereum erased sends its message back to ``rejected`` and relayers prove
        the rejection again.
        """
        gateway = self.end.gateway
        affected = []
        for record in list(self.book.records.values()):
            if record.state == "reorged_out":
                continue
            status = gateway.call("status", record.id)
            if record.direction == TO_CONSORTIUM:
                if status == 0:
                    if (
                        record.state == "in_flight"
                        and self.pool.count("sent", record.id) < self.ledger.validator_set.quorum
                    ):
                        self.pool.forget("sent", record.id)
                        self.book.transition(record.id, "reorged_out")
                    else:
                        affected.append(record)
                elif status == GATEWAY_SENT and record.state == "refunded":  # the refund was erased
                    self.book.undo(record.id, "rejected")
                    for relayer in self.relayers:
                        relayer.forget(record.rejection_id, None)
            elif status == 0 and record.state in ("delivered", "rejected"):  # the decision was erased
                self.book.undo(record.id, "in_flight")
                for relayer in self.relayers:
                    relayer.forget(record.id, record.source_height)
        final = self.chain.settled_head(self.policy)
        for attestor in self.attestors:
            attestor.rewind(final)
        detected_after = self.sim.now - self.reverted_at if self.reverted_at is not None else None
        self.reverted_at = None
        self.sim.record(
            "bridge.reorg_detected",
            "bridge",
            depth=depth,
            affected=[r.id for r in affected],
            detected_after_s=detected_after,
        )
        if affected:
            executed = [r.decided_at for r in affected if r.decided_at is not None]
            self.monitor.alert(
                "bridge_reorg_beyond_finality",
                depth=depth,
                policy=str(self.policy),
                messages=[r.id for r in affected],
                value_at_risk=sum(r.message.amount for r in affected),
                detected_after_s=detected_after,  # from the reorg to the watcher seeing it
                exposed_s=self.sim.now - min(executed) if executed else None,  # from the release it undid
            )

    # ---- waking up ---------------------------------------------------------------------------
    def wake(self) -> None:
        """Something this lane reads changed: wake the watcher and the relayers."""
        self.bell.ring()
        for relayer in self.relayers:
            relayer.ring()

    def _on_ethereum_block(self, number: int, receipts: list[Receipt]) -> None:
        self.bell.ring()

    def _watch_deadline(self) -> float | None:
        """The earliest time the watcher has work without being rung: an Ethereum event of the
        lane becoming settled, a delayed delivery falling due, an open message's bound."""
        now, chain = self.sim.now, self.chain
        times = []
        cursor = min((a.cursor for a in self.attestors if a.node.online), default=None)
        if cursor is not None:
            pending = [b for b in self._source_blocks if b > cursor]
            if pending:
                times.append(chain.settles_at(pending[0], self.policy))
            deferred = [b for a in self.attestors if a.node.online for b in a.waiting_blocks()]
            if deferred:
                times.append(chain.settles_at(min(deferred), FinalityPolicy("finalized")))
        if self._delayed:
            due = min(self._delayed.values()) - self.sim.epoch - chain.time_offset - chain.slot_seconds
            times.append(due)
        bounds = {d: self.finality_bound(d) for d in {r.direction for r in self.book.open.values()}}
        for record in self.book.open.values():
            if record.id not in self.monitor.overdue:
                times.append(record.created_at + bounds[record.direction] + 1e-6)
        later = [t if t > now else now + chain.slot_seconds for t in times]
        return min(later) if later else None

    def _watch(self) -> Generator[Any, Any, None]:
        while not self.stopped:
            yield self.bell.wait(self._watch_deadline())
            self.bell.clear()
            if self.stopped:
                return
            self._read_gateway()
            signed = sum(attestor.poll() for attestor in self.attestors)
            read = min(a.cursor for a in self.attestors)
            self._source_blocks = [b for b in self._source_blocks if b > read]
            self._execute_due_delays()
            self.monitor.check()
            if signed:
                for relayer in self.relayers:
                    relayer.bell_out.ring()

    # ---- the faster-than-finality bucket -------------------------------------------------------
    def fast_admit(self, message_id: bytes, amount: int) -> bool:
        """May validators act on this event before finality? Decided once per event, lane-wide.

        Always yes under ``finalized``; under a faster policy, yes while the fast bucket covers
        ``amount`` (which it then draws down), else the event waits for finality.
        """
        if not self.policy.fast:
            return True
        decided = self._fast_decisions.get(message_id)
        if decided is not None:
            return decided
        now = self.sim.now
        self._fast_tokens = min(float(self.fast_capacity), self._fast_tokens + (now - self._fast_at) * self.fast_refill)
        self._fast_at = now
        admitted = amount <= self._fast_tokens
        if admitted:
            self._fast_tokens -= amount
        self._fast_decisions[message_id] = admitted
        self.sim.record(
            "bridge.fast_path" if admitted else "bridge.fast_path_refused",
            "bridge",
            id=message_id,
            amount=amount,
            policy=str(self.policy),
            bucket_left=int(self._fast_tokens),
        )
        return admitted

    def _execute_due_delays(self) -> None:
        """Complete delayed deliveries whose delay has passed (one attempt each)."""
        now = self.chain.next_timestamp()
        for message_id, execute_after in list(self._delayed.items()):
            if execute_after <= now:
                del self._delayed[message_id]
                self.chain.send(self.end.gateway, "executeDelayed", message_id, sender=self.relayers[0].account)

    def rotate_validators(self) -> bool:
        """Hand the quorum verifier over to the consortium's current validator set.

        The online validators of the set the verifier trusts sign the rotation; it takes
        effect on chain only with a quorum of them (returns False when the verifier already
        trusts this set).
        """
        from rwasim.bridge.gateway import rotation_digest

        verifier = self.end.verifier
        new_set = self.ledger.validator_set
        if verifier.call("validatorSetHash") == new_set.hash:
            return False
        trusted = {bytes.fromhex(a[2:]) for a in verifier.call("validators")}
        digest = rotation_digest(self.ledger.chain_id, verifier.call("epoch") + 1, new_set)
        signers = sorted(
            (n.key for n in self.ledger.nodes.values() if n.online and n.address in trusted), key=lambda k: k.address
        )
        receipt = self.chain.transact(
            verifier,
            "rotate",
            [checksum(v) for v in new_set.validators],
            new_set.quorum,
            [k.sign(digest) for k in signers],
            sender=self.relayers[0].account,
            check=False,
        )
        self.sim.record(
            "bridge.validator_set_rotated" if receipt.status else "bridge.rotation_refused",
            "bridge",
            validators=len(new_set.validators),
            signers=len(signers),
            error=receipt.revert.error if receipt.revert else None,
        )
        return bool(receipt.status)

    # ---- external trust models ----------------------------------------------------------------
    def committee_signatures(self, ids: list[bytes]) -> list[tuple[bytes, bytes]]:
        """The committee signs only ids of locks it sees committed on the consortium (honest members)."""
        known = self._consortium_event_ids()
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValueError(f"the committee refuses to sign {len(unknown)} message(s) it cannot see on the consortium")
        return self.sign_as_committee(ids, self.end.committee[: self.end.verifier.call("k")])

    def _consortium_event_ids(self) -> set[bytes]:
        """Ids a watcher or committee member can see on the consortium: locks and rejections."""
        known = {r.id for r in self.book.records.values() if r.direction == TO_ETHEREUM}
        return known | {rejection_id(i) for i in self.rejection_locations}

    def sign_as_committee(self, ids: list[bytes], keys) -> list[tuple[bytes, bytes]]:
        """Signatures by ``keys`` over the committee digest of ``ids`` (whoever holds the keys)."""
        digest = self.end.verifier.call("digest", ids)
        return [(k.address, k.sign(digest)) for k in keys]

    def _watch_posts(self, head: int) -> None:
        if not self.watchers_online or not self.watchers:
            return
        known = self._consortium_event_ids()
        for log in self.chain.get_logs(self.end.verifier, "Posted", max(0, head - 50), head):
            if log["id"] not in known and log["id"] not in self._challenged:
                self._challenged.add(log["id"])
                self.chain.send(self.end.verifier, "challenge", log["id"], sender=self.watchers[0])
                self.sim.record("bridge.challenged", "bridge", id=log["id"], watcher=self.watchers[0])

    def stats(self) -> dict[str, Any]:
        """For the report: message states, gas, duplicates, alerts and the conservation terms."""
        return {
            "verifier": self.end.verifier_kind,
            "gateway": self.end.gateway.address,
            "messages": self.book.counts(),
            "listing": self.book.listing(),
            "relayer_gas": {r.name: r.gas_spent for r in self.relayers},
            "duplicates_rejected": sum(r.duplicates for r in self.relayers),
            "attacks": self.faults.attacks,
            "alerts": len(self.monitor.alerts),
            "max_value_at_risk": self.monitor.max_value_at_risk,
            "balances": self.monitor.balances(),
            "finality_bound_s": {d: self.finality_bound(d) for d in (TO_ETHEREUM, TO_CONSORTIUM)},
            "delivery_budget_s": self.delivery_budget(),
        }

    def stop(self) -> None:
        """Stop watching and relaying (processes end at their next wake-up); for test teardown."""
        self.stopped = True
        for relayer in self.relayers:
            relayer.stopped = True

    def close(self) -> None:
        for relayer in self.relayers:
            relayer.close()

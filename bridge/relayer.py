"""A relayer: carries bridge messages both ways and keeps its place in SQLite.

Anyone may relay, and several relayers may run at once: the gateway and the consortium
ledger accept each message id once, so a duplicate costs only the gas (or the consortium
transaction) it wastes, which is recorded. A relayer writes a message as done only after the
destination has decided it; killed at any point and restarted from its file, it resubmits
what it had not recorded, and the destination rejects what was already done — exactly once
in effect.

Inbound (consortium → Ethereum): scan committed consortium blocks for ``bridge.lock`` events
of the lane, build the lane verifier's evidence (one certificate per block for a batch) and
call ``BridgeGateway.deliver``. A message the gateway cannot take now never holds up the lane:
it is set aside in the checkpoint's retry table and tried again with exponential back-off
while later messages go on; a rate-limited one still undeliverable after the lane's delivery
budget (:meth:`~rwasim.bridge.bridge.Bridge.delivery_budget`) is expired on the gateway
(``BridgeGateway.expire``: rejected on chain, so refunded on the consortium). Permanent
refusals (another destination chain, an amount above the bucket's capacity, a receiver the
token refuses) are recorded as rejections by the gateway itself. Outbound (Ethereum → consortium): wait for a quorum (ceil(2n/3)) of validator
attestations of a burn, then submit ``bridge.release``; for a delivery the gateway refused,
``bridge.refund``; for a release the consortium refused, prove its ``bridge.rejected`` event
to ``BridgeGateway.refund``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rwasim.bridge.codec import BridgeMessage, asset_key
from rwasim.bridge.gateway import committee_evidence, quorum_evidence
from rwasim.engine import Doorbell

if TYPE_CHECKING:
    from rwasim.bridge.bridge import Bridge
    from rwasim.ethereum.chain import Receipt


class RelayerCrash(Exception):
    """Raised inside a relayer step to stand for the process dying there."""


class _InboundBlocked(Exception):
    """The gateway is paused: inbound relaying waits and retries after a back-off."""


PAUSED_ERRORS = ("BridgePaused", "LanePausedError")  # the guardian's decision: wait, never give up
MAX_BACKOFF_SLOTS = 16  # the longest wait between two retries of one message, in Ethereum slots


class _PassAborted(Exception):
    """A pass that cannot go on (a submission vanished); the next pass starts over from the checkpoint."""


class Relayer:
    """One relayer process.

    Parameters
    ----------
    bridge : Bridge
    name : str
        Label in the event log; also names its checkpoint file.
    account : str
        Its Ethereum account (pays gas).
    checkpoint : str or Path
        SQLite file of its progress (``":memory:"`` survives a simulated crash too).
    batch_size : int
        Messages per ``deliver`` call (all from one consortium block, under one certificate).
    poll_interval : float
        Simulated seconds a relayer takes to react: a pass runs this long after it was woken
        (by a commit, an attestation, a restart) or after its earliest deadline (a retry's
        back-off, a fraud window, a pause back-off). With nothing to do it sleeps and costs
        nothing.
    """

    def __init__(
        self,
        bridge: Bridge,
        name: str,
        account: str,
        checkpoint: str | Path,
        *,
        batch_size: int = 1,
        poll_interval: float = 2.0,
    ) -> None:
        self.bridge = bridge
        self.sim = bridge.sim
        self.name = name
        self.account = account
        self.checkpoint_path = str(checkpoint)
        if self.checkpoint_path != ":memory:":
            Path(self.checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.checkpoint_path, isolation_level=None)
        if self.checkpoint_path != ":memory:":
            # A relayer's crash is simulated in this process, so a write only has to reach the
            # file, not the disk platter: WAL without a sync per statement (10 ms each otherwise).
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS done (id BLOB PRIMARY KEY, outcome TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS retry (id BLOB PRIMARY KEY, height INTEGER NOT NULL,"
            " attempts INTEGER NOT NULL, next_at REAL NOT NULL);"
        )
        self.batch_size = max(1, batch_size)
        self.poll_interval = poll_interval
        self.client = bridge.ledger.org_client("bridge")
        self.online = True
        self.stopped = False
        self._crash_at: str | None = None
        self._incarnation = 0
        self.gas_spent = 0
        self.duplicates = 0
        self.transport: dict[str, Any] = {"drop": 0.0, "delay": 0.0, "reorder": False}
        self._inbound_backoff_until = 0.0
        self._again_at: float | None = None  # a pass must run again by then (a fraud window, a drop)
        self.bell = Doorbell(bridge.sim)  # Ethereum-side work: deliveries, expiries, refunds proven
        self.bell_out = Doorbell(bridge.sim)  # consortium-side work: releases and refunds
        self._rng = bridge.sim.rng.stream("relayer", name)
        self._load()
        # Two loops, as a relayer's two directions run side by side: a release never queues
        # behind a delivery waiting for its Ethereum slot.
        self.process = self.sim.process(self._run())
        self.process_out = self.sim.process(self._run_outbound())

    # ---- checkpoint ---------------------------------------------------------------------------
    def _load(self) -> None:
        row = self._db.execute("SELECT value FROM kv WHERE key = 'consortium_height'").fetchone()
        self.consortium_height = int(row[0]) if row else 0
        self.done: dict[bytes, str] = {bytes(i): o for i, o in self._db.execute("SELECT id, outcome FROM done")}
        # deliveries set aside: id -> (consortium height of its lock, attempts, next try at)
        self.retry: dict[bytes, tuple[int, int, float]] = {
            bytes(i): (h, a, t) for i, h, a, t in self._db.execute("SELECT id, height, attempts, next_at FROM retry")
        }

    def _mark(self, ids: list[bytes], outcome: str) -> None:
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR REPLACE INTO done VALUES (?, ?)", [(i, outcome) for i in ids])
        self._db.execute("COMMIT")
        for i in ids:
            self.done[i] = outcome
        self._unretry(ids)

    def _defer(self, ids: list[bytes], height: int) -> None:
        """Set deliveries aside (the lane goes on); each is tried again after a growing back-off."""
        rows = []
        for i in ids:
            _, attempts, _ = self.retry.get(i, (height, 0, 0.0))
            attempts += 1
            wait = self.bridge.chain.slot_seconds * min(2 ** (attempts - 1), MAX_BACKOFF_SLOTS)
            self.retry[i] = (height, attempts, self.sim.now + wait)
            rows.append((i, height, attempts, self.sim.now + wait))
        self._db.executemany("INSERT OR REPLACE INTO retry VALUES (?, ?, ?, ?)", rows)

    def _unretry(self, ids: list[bytes]) -> None:
        gone = [i for i in ids if self.retry.pop(i, None) is not None]
        if gone:
            self._db.executemany("DELETE FROM retry WHERE id = ?", [(i,) for i in gone])

    def _advance(self, height: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO kv VALUES ('consortium_height', ?)", (str(height),))
        self.consortium_height = height

    # ---- faults -------------------------------------------------------------------------------
    def crash(self, stage: str | None = None) -> None:
        """Die now, or (``stage="after_submit"``) right after its next submission, before recording it."""
        if stage is None:
            self._die("crash")
        elif stage == "after_submit":
            self._crash_at = stage
        else:
            raise ValueError(f"unknown relayer crash stage {stage!r}")

    def _die(self, why: str) -> None:
        if self.online:
            self.online = False
            self._incarnation += 1
            self.sim.record("bridge.relayer_crashed", "bridge", relayer=self.name, reason=why)

    def restart(self) -> None:
        """Come back from the checkpoint file."""
        if self.online:
            return
        self._load()
        self.online = True
        self.ring()
        self.sim.record(
            "bridge.relayer_restarted",
            "bridge",
            relayer=self.name,
            consortium_height=self.consortium_height,
            done=len(self.done),
        )

    def forget(self, message_id: bytes, source_height: int | None) -> None:
        """A delivery was undone by a reorg: deliver it again (rescan from its block)."""
        self._db.execute("DELETE FROM done WHERE id = ?", (message_id,))
        self.done.pop(message_id, None)
        self._unretry([message_id])
        if source_height is not None and source_height <= self.consortium_height:
            self._advance(source_height - 1)
        self.ring()

    def close(self) -> None:
        self._db.close()

    # ---- the loop -----------------------------------------------------------------------------
    def ring(self) -> None:
        """Wake both loops: something they read has changed."""
        self.bell.ring()
        self.bell_out.ring()

    def _deadline(self) -> float | None:
        """When the next pass must start though nobody rings: a retry's back-off ending, the
        pause back-off ending, a fraud window closing (less the reaction time)."""
        times = [next_at for _, _, next_at in self.retry.values()]
        if self._inbound_backoff_until > self.sim.now:
            times.append(self._inbound_backoff_until)
        if self._again_at is not None:
            times.append(self._again_at)
        return min(times) - self.poll_interval if times else None

    def _run(self) -> Generator[Any, Any, None]:
        """Ethereum-side work: deliveries, expiries, refunds proven on the gateway."""
        yield from self._loop(self.bell, self._deadline, self._pass)

    def _run_outbound(self) -> Generator[Any, Any, None]:
        """Consortium-side work: releases and refunds with a quorum of attestations."""
        yield from self._loop(self.bell_out, lambda: None, self._outbound)

    def _loop(
        self,
        bell: Doorbell,
        deadline: Callable[[], float | None],
        work: Callable[[int], Generator[Any, Any, None]],
    ) -> Generator[Any, Any, None]:
        """Sleep until rung or the deadline, react after ``poll_interval``, do ``work``; until stopped."""
        while not self.stopped:
            yield bell.wait(deadline())
            bell.clear()
            yield self.sim.timeout(self.poll_interval)
            if self.stopped:
                return
            if not self.online:
                continue
            try:
                yield from work(self._incarnation)
            except RelayerCrash:
                self._die("crashed mid-flight")
            except _PassAborted:
                self._again_at = self.sim.now  # start over from the checkpoint at once

    def _alive(self, incarnation: int) -> None:
        if not self.online or incarnation != self._incarnation:
            raise RelayerCrash()

    def _maybe_crash_after_submit(self) -> None:
        if self._crash_at == "after_submit":
            self._crash_at = None
            self._die("crashed after submitting, before recording")
            raise RelayerCrash()

    def _pass(self, incarnation: int) -> Generator[Any, Any, None]:
        self._again_at = None  # this pass sets it again if it must come back before anyone rings
        if self.sim.now >= self._inbound_backoff_until:
            try:
                yield from self._inbound(incarnation)
            except _InboundBlocked:
                pass
        yield from self._refunds_on_ethereum(incarnation)

    # ---- consortium -> Ethereum ----------------------------------------------------------------------
    def _inbound(self, incarnation: int) -> Generator[Any, Any, None]:
        bridge = self.bridge
        if bridge.end.verifier_kind == "optimistic":  # start every new message's fraud window at once
            fresh = [
                m.id
                for h in range(self.consortium_height + 1, bridge.ledger.height + 1)
                for _, _, m in bridge.locks_in(bridge.ledger.block(h))
                if m.id not in self.done
            ]
            if fresh:
                yield from self._post(fresh, incarnation)
        yield from self._retries(incarnation)
        while self.consortium_height < bridge.ledger.height:
            height = self.consortium_height + 1
            committed = bridge.ledger.block(height)
            pending = [
                (tx_hash, i, message)
                for tx_hash, i, message in bridge.locks_in(committed)
                if message.id not in self.done and message.id not in self.retry
            ]
            if pending and self.transport["drop"] and self._rng.random() < self.transport["drop"]:
                self.sim.record(
                    "bridge.relay_dropped", "bridge", relayer=self.name, height=height, messages=len(pending)
                )
                self._again_at = self.sim.now  # lost this pass; the checkpoint has not moved: retry
                return
            if pending and self.transport["delay"]:
                yield self.sim.timeout(self.transport["delay"])
                self._alive(incarnation)
            if self.transport["reorder"]:
                pending.reverse()
            if (
                pending
                and bridge.end.verifier_kind == "optimistic"
                and not self._window_passed([m.id for _, _, m in pending])
            ):
                return  # come back next pass; later blocks wait behind this one (in order)
            for start in range(0, len(pending), self.batch_size):
                batch = pending[start : start + self.batch_size]
                yield from self._deliver(batch, height, incarnation)
            self._alive(incarnation)
            self._advance(height)

    def _retries(self, incarnation: int) -> Generator[Any, Any, None]:
        """Deliveries set aside whose back-off has passed: one at a time, or expired once stale."""
        bridge = self.bridge
        for message_id, (height, _, next_at) in sorted(self.retry.items(), key=lambda kv: (kv[1][0], kv[1][2])):
            if next_at > self.sim.now or message_id not in self.retry:
                continue
            located = [item for item in bridge.locks_in(bridge.ledger.block(height)) if item[2].id == message_id]
            if not located:  # not a lock of this lane at that height (cannot happen short of a bug)
                self._unretry([message_id])
                continue
            record = bridge.book.records.get(message_id)
            created = record.created_at if record is not None else self.sim.now
            if self.sim.now - created >= bridge.delivery_budget():
                yield from self._expire(located[0], height, incarnation)
            else:
                yield from self._deliver(located, height, incarnation)

    def _expire(self, item, height: int, incarnation: int) -> Generator[Any, Any, None]:
        """A message past the lane's delivery budget: have the gateway reject it, if the
        bucket still cannot cover it (else deliver it now)."""
        bridge, end = self.bridge, self.bridge.end
        tx_hash, index, message = item
        evidence = yield from self._evidence([message.id], [(tx_hash, index)], incarnation)
        tx = bridge.chain.send(end.gateway, "expire", end.lane, message.as_tuple(), evidence, sender=self.account)
        self._maybe_crash_after_submit()
        receipt = yield from self._receipt(tx, incarnation)
        self.gas_spent += receipt.gas_used
        revert = receipt.revert.error if receipt.revert is not None else None
        self.sim.record(
            "bridge.delivery_expired" if receipt.status else "bridge.expiry_refused",
            "bridge",
            relayer=self.name,
            id=message.id,
            error=revert,
            gas_used=receipt.gas_used,
        )
        if receipt.status:
            self._mark([message.id], "expired")
        elif revert == "AlreadyProcessed":
            self._mark([message.id], "duplicate")
        elif revert == "NotStuck":  # the bucket has room now: deliver it
            yield from self._deliver([item], height, incarnation)
        else:
            self._defer([message.id], height)

    def _deliver(self, batch, height: int, incarnation: int) -> Generator[Any, Any, None]:
        bridge, end = self.bridge, self.bridge.end
        messages = [m for _, _, m in batch]
        ids = [m.id for m in messages]
        evidence = yield from self._evidence(ids, [(tx_hash, i) for tx_hash, i, _ in batch], incarnation)
        tx = bridge.chain.send(
            end.gateway, "deliver", end.lane, [m.as_tuple() for m in messages], evidence, sender=self.account
        )
        self._maybe_crash_after_submit()
        receipt = yield from self._receipt(tx, incarnation)
        self.gas_spent += receipt.gas_used
        revert = receipt.revert.error if receipt.revert is not None else None
        if receipt.status:
            self._mark(ids, "delivered")
            self.sim.record(
                "bridge.relayed",
                "bridge",
                relayer=self.name,
                direction="to_ethereum",
                messages=len(ids),
                gas_used=receipt.gas_used,
                tx=tx,
            )
        elif revert == "AlreadyProcessed":
            self.duplicates += len(ids)
            self._mark(ids, "duplicate")
            self.sim.record(
                "bridge.duplicate_rejected",
                "bridge",
                relayer=self.name,
                messages=len(ids),
                gas_used=receipt.gas_used,
                tx=tx,
            )
        elif revert in PAUSED_ERRORS:  # nothing can pass: wait for the guardian, in order
            self.sim.record("bridge.delivery_waiting", "bridge", relayer=self.name, messages=len(ids), error=revert)
            self._inbound_backoff_until = self.sim.now + 5 * bridge.chain.slot_seconds
            raise _InboundBlocked()
        elif len(batch) > 1:  # find the message that cannot pass; the others go through
            for item in batch:
                if item[2].id not in self.done:
                    yield from self._deliver([item], height, incarnation)
        else:  # rate limited, or the verifier does not trust this evidence yet: set aside, retry later
            self._defer(ids, height)
            self.sim.record(
                "bridge.delivery_waiting" if revert == "RateLimited" else "bridge.delivery_failed",
                "bridge",
                relayer=self.name,
                messages=len(ids),
                error=revert,
                args=list(receipt.revert.args) if receipt.revert is not None else [],
                attempts=self.retry[ids[0]][1],
                gas_used=receipt.gas_used,
                tx=tx,
            )

    def _evidence(
        self, ids: list[bytes], locations: list[tuple[bytes, int]], incarnation: int
    ) -> Generator[Any, Any, bytes]:
        """What the lane's verifier needs to accept ``ids`` (consortium events at ``locations``)."""
        bridge, end = self.bridge, self.bridge.end
        if end.verifier_kind == "quorum":
            return quorum_evidence([bridge.ledger.prove_event(tx_hash, i) for tx_hash, i in locations])
        if end.verifier_kind == "committee":
            return committee_evidence(bridge.committee_signatures(ids))
        yield from self._post(ids, incarnation)
        while True:  # wait out the fraud window
            posted = max(end.verifier.call("postedAt", i) for i in ids)
            remaining = posted + bridge.fraud_window - bridge.chain.next_timestamp()
            if posted and remaining <= 0:
                return b""
            yield self.sim.timeout(max(remaining, bridge.chain.slot_seconds))
            self._alive(incarnation)

    def _window_passed(self, ids: list[bytes]) -> bool:
        """Whether the fraud windows of ``ids`` are over; if not, the pass comes back when they are."""
        chain, verifier, window = self.bridge.chain, self.bridge.end.verifier, self.bridge.fraud_window
        posted = [verifier.call("postedAt", i) for i in ids]
        if all(posted) and chain.next_timestamp() >= max(posted) + window:
            return True
        remaining = (max(posted) + window - chain.next_timestamp()) if all(posted) else 0
        self._again_at = self.sim.now + max(remaining, chain.slot_seconds)
        return False

    def _post(self, ids: list[bytes], incarnation: int) -> Generator[Any, Any, None]:
        """Optimistic lanes: start the fraud window of ids not posted yet (one transaction)."""
        bridge = self.bridge
        fresh = [i for i in ids if bridge.end.verifier.call("postedAt", i) == 0]
        if fresh:
            tx = bridge.chain.send(bridge.end.verifier, "post", fresh, sender=self.account)
            receipt = yield from self._receipt(tx, incarnation)
            self.gas_spent += receipt.gas_used

    def _receipt(self, tx_hash: str, incarnation: int) -> Generator[Any, Any, Receipt]:
        """Wait for the receipt; a transaction gone for 10 slots (dropped by a reorg) ends the pass."""
        receipt = yield from self.bridge.chain.wait_for_receipt(tx_hash, slots=10)
        self._alive(incarnation)
        if receipt is None:
            self.sim.record("bridge.submission_lost", "bridge", relayer=self.name, tx=tx_hash)
            raise _PassAborted()
        return receipt

    # ---- Ethereum -> consortium ----------------------------------------------------------------------
    def _outbound(self, incarnation: int) -> Generator[Any, Any, None]:
        """Submit every release and refund that has a quorum of attestations and is not done.

        Walks the pool's ready entries (quorate, not yet committed), so a pass costs the
        messages in flight, not every message the lane ever carried.
        """
        bridge = self.bridge
        submitted = []
        for kind, message_id in bridge.pool.pending():
            if kind == "sent":
                message = bridge.pool.messages.get(message_id)
                if message is None or message_id in self.done:
                    continue
                handle = self.client.submit(
                    "bridge.release",
                    {
                        "source_chain": message.source_chain,
                        "lane": message.lane,
                        "nonce": message.nonce,
                        "asset_id": bridge.end.asset_id,
                        "sender": "0x" + message.sender.hex(),
                        "receiver": "0x" + message.receiver.hex(),
                        "amount": message.amount,
                        "attestations": bridge.pool.attestations("sent", message_id),
                    },
                )
                submitted.append((message_id, handle, "to_consortium"))
                continue
            key = b"R" + message_id  # the refund of an inbound message the gateway rejected
            record = bridge.book.records.get(message_id)
            if key in self.done or record is None or message_id not in bridge.pool.rejections:
                continue
            handle = self.client.submit(
                "bridge.refund",
                {
                    "lane": record.message.lane,
                    "nonce": record.message.nonce,
                    "reason": str(bridge.pool.rejections[message_id][1])[:200],
                    "attestations": bridge.pool.attestations("rejected", message_id),
                },
            )
            submitted.append((key, handle, "refund"))
        for key, handle, what in submitted:  # all submitted at once: one consortium block decides them
            yield from self._decided(handle, incarnation)
            self._finish_consortium(key, handle, what)

    def _decided(self, handle, incarnation: int) -> Generator[Any, Any, None]:
        self._maybe_crash_after_submit()
        while handle.status == "pending":
            yield self.sim.timeout(0.5)
            self._alive(incarnation)

    def _finish_consortium(self, message_id: bytes, handle, what: str) -> None:
        if handle.ok:
            self._mark([message_id], what)
        elif "already processed" in (handle.reason or "") or "is refunded" in (handle.reason or ""):
            self.duplicates += 1
            self._mark([message_id], "duplicate")
            self.sim.record("bridge.duplicate_rejected", "bridge", relayer=self.name, messages=1, reason=handle.reason)
        else:
            self.sim.record(
                "bridge.consortium_refused",
                "bridge",
                relayer=self.name,
                key=message_id,
                status=handle.status,
                reason=handle.reason,
            )
            if handle.status == "rejected":
                self._mark([message_id], f"failed:{handle.reason}")

    def _refunds_on_ethereum(self, incarnation: int) -> Generator[Any, Any, None]:
        """Outbound messages the consortium refused: prove the rejection to the gateway.

        Walks only the book's open records and checks direction and state before touching
        the (cached) rejection id: a pass costs the open messages, not every message sent.
        """
        bridge, end = self.bridge, self.bridge.end
        todo = [r for r in bridge.book.open.values() if r.state == "rejected" and r.direction == "to_consortium"]
        for record in todo:
            key = record.rejection_id
            if key in self.done or record.state != "rejected":
                continue
            location = bridge.rejection_locations.get(record.id)
            if location is None:
                continue
            evidence = yield from self._evidence([key], [location], incarnation)
            tx = bridge.chain.send(end.gateway, "refund", record.message.as_tuple(), evidence, sender=self.account)
            self._maybe_crash_after_submit()
            receipt = yield from self._receipt(tx, incarnation)
            self.gas_spent += receipt.gas_used
            self._mark([key], "refunded" if receipt.status else "duplicate")


def outbound_message_from_log(log: dict, source_chain: int, asset_id: str) -> BridgeMessage:
    """The message a ``MessageSent`` log describes (the id is recomputed, not trusted)."""
    return BridgeMessage(
        source_chain,
        log["destinationChain"],
        log["lane"],
        log["nonce"],
        asset_key(asset_id),
        bytes.fromhex(log["sender"][2:]),
        bytes.fromhex(log["receiver"][2:]),
        log["amount"],
    )

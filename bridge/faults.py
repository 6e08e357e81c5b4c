"""Named bridge incidents, each injected the way it happened (or could happen) in the field.

Every fault is recorded as ``bridge.fault``; what follows is on record too — an attack's
transaction either reverts (contained: ``bridge.attack_contained`` with the revert and gas)
or succeeds (``bridge.attack_succeeded``), and then the monitor's alert carries the simulated
time of detection and the value at risk.

=======================  ===========================================================================
name                     what it does
=======================  ===========================================================================
key_compromise           attacker holds ``keys`` signing keys (committee lane: committee keys — a
                         Ronin-style 5 of 9; quorum lane: consortium validator keys) and forges
                         a delivery of ``amount`` to ``receiver``
verifier_bug             the lane is "upgraded" to a verifier that never checks that signers are
                         validators (Wormhole-style), then a forged certificate is submitted
zero_root                the lane is "upgraded" to a verifier whose trusted root was initialised to
                         zero (Nomad-style), then an unproven message is submitted
forged_post              optimistic lane: a forged message is posted; watchers should challenge
watchers_offline         optimistic lane: watchers go offline, a forged message is posted and
                         delivered after the fraud window
arm_reorg / reorg        snapshot Ethereum now / later go back to that snapshot (a reorg as deep as
                         the blocks mined in between)
finality_delay           Ethereum's attestations miss two thirds for ``epochs`` epochs: blocks go
                         on, the safe and finalized heads stand still (mainnet, May 2023: 4 and 9)
replay                   resubmit an already delivered message with its evidence
relayer_crash            a relayer dies now, or right after its next submission (``stage``)
relayer_restart          it resumes from its checkpoint file
relayer_transport        a relayer's messages are dropped (``drop`` probability per pass),
                         delayed (``delay`` seconds) or delivered in reverse order (``reorder``)
clock_skew               Ethereum's clock runs ``seconds`` ahead of the consortium's
rate_limit               the lane's inbound bucket gets ``capacity`` units, refilled at ``refill``/s
pause / unpause          the guardian pauses the gateway
consortium_below_quorum  f+1 consortium validators go offline (no blocks, no attestations)
consortium_restore       they come back
=======================  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from rwasim.bridge.codec import BridgeMessage, asset_key
from rwasim.bridge.gateway import checksum, committee_evidence, encode_quorum_evidence, quorum_evidence
from rwasim.consortium.block import BlockHeader, commit_digest
from rwasim.consortium.crypto import KeyPair
from rwasim.consortium.merkle import leaf_hash

if TYPE_CHECKING:
    from rwasim.bridge.bridge import Bridge


class BridgeFaultError(ValueError):
    """A fault that does not apply as asked (unknown name, wrong lane kind, bad argument)."""


class BridgeFaults:
    """Injects the named incidents of the module docstring into one :class:`~rwasim.bridge.bridge.Bridge`."""

    def __init__(self, bridge: Bridge, attacker: str | None = None) -> None:
        self.bridge = bridge
        self.sim = bridge.sim
        self.attacker = attacker or bridge.chain.new_account(f"lane-{bridge.end.lane}-attacker")
        self._reorg_snapshot: Any = None
        self.last_reorg_slots = 0  # depth in slots of the last reorg
        self._forged = 0
        self.attacks: list[dict[str, Any]] = []
        self._faults: dict[str, Callable[..., Any]] = {
            "key_compromise": self.key_compromise,
            "verifier_bug": self.verifier_bug,
            "zero_root": self.zero_root,
            "forged_post": self.forged_post,
            "watchers_offline": self.watchers_offline,
            "arm_reorg": self.arm_reorg,
            "reorg": self.reorg,
            "finality_delay": self.finality_delay,
            "replay": self.replay,
            "relayer_crash": self.relayer_crash,
            "relayer_restart": self.relayer_restart,
            "relayer_transport": self.relayer_transport,
            "clock_skew": self.clock_skew,
            "rate_limit": self.rate_limit,
            "pause": self.pause,
            "unpause": self.unpause,
            "consortium_below_quorum": self.consortium_below_quorum,
            "consortium_restore": self.consortium_restore,
        }

    @property
    def names(self) -> list[str]:
        return sorted(self._faults)

    def inject(self, name: str, **args: Any) -> Any:
        if name not in self._faults:
            raise BridgeFaultError(f"unknown bridge fault {name!r}; known: {', '.join(self.names)}")
        self.sim.record("bridge.fault", "bridge", fault=name, **args)
        try:
            return self._faults[name](**args)
        except TypeError as exc:
            raise BridgeFaultError(f"bridge fault {name!r}: {exc}") from None
        finally:
            self.bridge.wake()  # whatever changed, the watcher and relayers look again

    def schedule(self, at: float, name: str, **args: Any) -> None:
        """Inject ``name`` at simulated time ``at``."""
        if name not in self._faults:
            raise BridgeFaultError(f"unknown bridge fault {name!r}; known: {', '.join(self.names)}")
        if at < self.sim.now:
            raise BridgeFaultError(f"cannot schedule {name!r} at t={at}: the clock is already at {self.sim.now}")
        event = self.sim.timeout(at - self.sim.now)
        event.callbacks.append(lambda _e: self.inject(name, **args))

    # ---- forging ----------------------------------------------------------------------------
    def _forged_message(self, amount: int, receiver: str) -> BridgeMessage:
        self._forged += 1
        b = self.bridge
        return BridgeMessage(
            b.ledger.chain_id,
            b.chain.chain_id,
            b.end.lane,
            10**9 + self._forged,
            asset_key(b.end.asset_id),
            KeyPair.from_seed(self.sim.seed, "nobody").address,
            bytes.fromhex(receiver[2:]),
            amount,
        )

    def _forged_header(self, message: BridgeMessage) -> BlockHeader:
        b = self.bridge
        verifier = b.end.verifier
        return BlockHeader(
            b.ledger.chain_id,
            b.ledger.height + 10**6 + self._forged,
            0,
            b"\x11" * 32,
            b"\0" * 32,
            leaf_hash(message.id),
            b"\0" * 32,
            self.sim.timestamp(),
            verifier.call("validatorSetHash"),
            KeyPair.from_seed(self.sim.seed, "nobody").address,
        )

    def _header_evidence(self, header: BlockHeader, keys: list[KeyPair]) -> bytes:
        digest = commit_digest(header.hash)
        seals = [k.sign(digest) for k in sorted(keys, key=lambda k: k.address)]
        return encode_quorum_evidence(header, seals, [[]])

    def _attack(self, fault: str, message: BridgeMessage, evidence: bytes) -> bool:
        """Submit a forged delivery now (it lands in the next slot's block); True when it minted."""
        b = self.bridge
        receipt = b.chain.transact(
            b.end.gateway, "deliver", b.end.lane, [message.as_tuple()], evidence, sender=self.attacker, check=False
        )
        return self._attack_outcome(fault, message, receipt)

    def _attack_outcome(self, fault: str, message: BridgeMessage, receipt: Any) -> bool:
        b = self.bridge
        entry = {
            "fault": fault,
            "id": message.id,
            "amount": message.amount,
            "time": self.sim.now,
            "gas_used": receipt.gas_used,
            "succeeded": bool(receipt.status),
            "revert": receipt.revert.error if receipt.revert else None,
        }
        self.attacks.append(entry)
        self.sim.record("bridge.attack_succeeded" if receipt.status else "bridge.attack_contained", "bridge", **entry)
        b.monitor.check()
        return bool(receipt.status)

    # ---- the faults -------------------------------------------------------------------------
    def key_compromise(self, keys: int, amount: int, receiver: str) -> bool:
        b = self.bridge
        message = self._forged_message(amount, receiver)
        if b.end.verifier_kind == "committee":
            stolen = b.end.committee[:keys]
            evidence = committee_evidence(b.sign_as_committee([message.id], stolen))
        elif b.end.verifier_kind == "quorum":
            stolen = [node.key for node in list(b.ledger.nodes.values())[:keys]]
            evidence = self._header_evidence(self._forged_header(message), stolen)
        else:
            raise BridgeFaultError("key_compromise needs a committee or quorum lane")
        return self._attack("key_compromise", message, evidence)

    def _upgrade(self, verifier) -> None:
        b = self.bridge
        b.chain.transact(
            b.end.gateway,
            "configureLane",
            b.end.lane,
            b.end.token.address,
            asset_key(b.end.asset_id),
            b.ledger.chain_id,
            verifier.address,
            sender=b.end.suite.issuer,
        )
        b.end.verifier = verifier

    def verifier_bug(self, amount: int, receiver: str) -> bool:
        b = self.bridge
        if b.end.verifier_kind != "quorum":
            raise BridgeFaultError("verifier_bug applies to a quorum-certificate lane")
        vs = b.ledger.validator_set
        flawed = b.chain.deploy(
            "UncheckedSignerVerifier",
            b.ledger.chain_id,
            [checksum(v) for v in vs.validators],
            vs.quorum,
            sender=b.end.suite.issuer,
        )
        self._upgrade(flawed)
        message = self._forged_message(amount, receiver)
        outsiders = [KeyPair.from_seed(self.sim.seed, "forger", i) for i in range(vs.quorum)]
        return self._attack("verifier_bug", message, self._header_evidence(self._forged_header(message), outsiders))

    def zero_root(self, amount: int, receiver: str) -> bool:
        flawed = self.bridge.chain.deploy("ZeroRootVerifier", b"\0" * 32, sender=self.bridge.end.suite.issuer)
        self._upgrade(flawed)
        return self._attack("zero_root", self._forged_message(amount, receiver), b"")

    def forged_post(self, amount: int, receiver: str) -> None:
        """Post a forged message on an optimistic lane and try to deliver it after the window."""
        if self.bridge.end.verifier_kind != "optimistic":
            raise BridgeFaultError("forged_post applies to an optimistic lane")
        self.sim.process(self._post_and_deliver("forged_post", self._forged_message(amount, receiver)))

    def watchers_offline(self, amount: int, receiver: str) -> None:
        if self.bridge.end.verifier_kind != "optimistic":
            raise BridgeFaultError("watchers_offline applies to an optimistic lane")
        self.bridge.watchers_online = False
        self.sim.process(self._post_and_deliver("watchers_offline", self._forged_message(amount, receiver)))

    def _post_and_deliver(self, fault: str, message: BridgeMessage) -> Generator[Any, Any, None]:
        b = self.bridge
        yield from b.chain.execute(b.end.verifier, "post", [message.id], sender=self.attacker)
        yield self.sim.timeout(b.fraud_window + 2 * b.chain.slot_seconds)
        receipt = yield from b.chain.execute(
            b.end.gateway, "deliver", b.end.lane, [message.as_tuple()], b"", sender=self.attacker, check=False
        )
        self._attack_outcome(fault, message, receipt)

    def arm_reorg(self) -> None:
        self._reorg_snapshot = (self.bridge.chain.snapshot(), self.bridge.chain.block_number)

    def reorg(self) -> int:
        """Go back to the armed snapshot; returns the depth in blocks (recorded with its depth in slots).

        Idle slots hold no block here, so the depth in slots (from the first block dropped to
        the current slot) is what a finality policy of ``confirmations=N`` is measured against.
        """
        if self._reorg_snapshot is None:
            raise BridgeFaultError("call arm_reorg first: a reorg goes back to the armed snapshot")
        snapshot, number = self._reorg_snapshot
        self._reorg_snapshot = None
        chain = self.bridge.chain
        depth = chain.block_number - number
        slots = chain.slot_at() - chain.slot_of_block(number + 1) + 1 if depth > 0 else 0
        chain.revert(snapshot)
        self.bridge.reverted_at = self.sim.now  # the watcher measures how long until it notices
        self.last_reorg_slots = slots
        self.sim.record("bridge.reorg", "bridge", depth=depth, slots=slots)
        return depth

    def finality_delay(self, epochs: int) -> None:
        """Stall Casper finality for ``epochs`` epochs from the current one."""
        if int(epochs) < 1:
            raise BridgeFaultError("finality_delay needs epochs >= 1")
        self.bridge.chain.delay_finality(int(epochs))
        self.bridge.wake()

    def replay(self) -> bool:
        """Resubmit the first delivered inbound message with valid evidence; the gateway must refuse."""
        b = self.bridge
        for record in b.book.records.values():
            if record.direction == "to_ethereum" and record.state == "delivered" and record.source_height:
                committed = b.ledger.block(record.source_height)
                for tx_hash, index, message in b.locks_in(committed):
                    if message.id == record.id:
                        evidence = (
                            quorum_evidence([b.ledger.prove_event(tx_hash, index)])
                            if b.end.verifier_kind == "quorum"
                            else committee_evidence(b.committee_signatures([message.id]))
                            if b.end.verifier_kind == "committee"
                            else b""
                        )
                        return self._attack("replay", message, evidence)
        raise BridgeFaultError("no delivered message to replay yet")

    def _relayer(self, index: int):
        if not 0 <= index < len(self.bridge.relayers):
            raise BridgeFaultError(f"no relayer {index}; there are {len(self.bridge.relayers)}")
        return self.bridge.relayers[index]

    def relayer_crash(self, relayer: int = 0, stage: str | None = None) -> None:
        self._relayer(relayer).crash(stage)

    def relayer_restart(self, relayer: int = 0) -> None:
        self._relayer(relayer).restart()

    def relayer_transport(self, relayer: int = 0, drop: float = 0.0, delay: float = 0.0, reorder: bool = False) -> None:
        if not 0 <= drop <= 1 or delay < 0:
            raise BridgeFaultError("drop must be in [0, 1] and delay >= 0")
        self._relayer(relayer).transport = {"drop": drop, "delay": delay, "reorder": reorder}

    def clock_skew(self, seconds: int) -> None:
        self.bridge.chain.time_offset += int(seconds)

    def rate_limit(self, capacity: int, refill: int) -> None:
        b = self.bridge
        b.chain.apply(b.end.gateway, "setRateLimits", b.end.lane, capacity, refill, 0, 0, sender=b.end.suite.issuer)

    def pause(self) -> None:
        b = self.bridge
        b.chain.apply(b.end.gateway, "setPaused", True, sender=b.end.guardian)

    def unpause(self) -> None:
        b = self.bridge
        b.chain.apply(b.end.gateway, "setPaused", False, sender=b.end.guardian)

    def consortium_below_quorum(self) -> None:
        ledger = self.bridge.ledger
        ledger.faults.inject("offline", count=ledger.validator_set.f + 1)

    def consortium_restore(self) -> None:
        ledger = self.bridge.ledger
        for name, node in ledger.nodes.items():
            if not node.online:
                ledger.faults.inject("restart", node=name)

"""Cross-chain delivery versus payment by hash time locks: the note on the consortium, cash on Ethereum.

No bridge and no trusted party: each leg is a hash time lock on its own chain, both locked to
the same ``H = sha256(secret)``. The seller, who alone knows the secret, locks the units
first and for longer (expiry ``T1``); the buyer locks the cash only after reading the
seller's lock on the consortium and checking that ``T1`` leaves it at least ``margin``
seconds after its own expiry ``T2``. The seller can take the cash only by publishing the
secret on Ethereum before ``T2``; the buyer, watching Ethereum, then has until ``T1`` to
take the units with it. If the seller never claims, both refund after their expiries. So a
swap ends with both legs claimed or both refunded, and the ordering check is what stops a
seller from refunding its units first and claiming the cash afterwards.

Both chains run on one SimPy clock: consortium blocks and Ethereum blocks are stamped with
simulated time, so expiries on the two chains are comparable. Each party is a SimPy process
that only learns what it could learn for real: the buyer gets a lock id off chain and reads
everything else from the ledger; it learns the secret from the Ethereum ``Claimed`` event.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, overload

import simpy

from rwasim.consortium.ledger import ConsortiumLedger, LedgerClient, TxHandle
from rwasim.consortium.state import HTLC, OK
from rwasim.ethereum.chain import Contract, EthereumChain, Receipt

LOCK_STATES = {0: "none", 1: "locked", 2: "claimed", 3: "refunded"}  # HashedTimelock.State
SELLER_PLANS = ("prompt", "last_moment", "never", "cheat")

SimProcess = Generator[simpy.Event, Any, None]  # a SimPy process body: yields events, is sent their values


def new_secret(rng: random.Random) -> bytes:
    """A 32-byte preimage drawn from a seeded stream (so a run's secrets repeat with its seed)."""
    return rng.getrandbits(256).to_bytes(32, "big")


def hashlock_of(secret: bytes) -> bytes:
    """sha256, the hash both the consortium ledger and ``HashedTimelock`` check."""
    return hashlib.sha256(secret).digest()


@dataclass(frozen=True)
class Trader:
    """One party on both chains: its consortium key (for the units) and its Ethereum wallet (for the cash)."""

    name: str
    client: LedgerClient
    wallet: str


@dataclass(frozen=True)
class SwapTerms:
    """What the two parties agreed off chain."""

    asset_id: str
    units: int
    cash: int  # cents of the cash token
    seller_timeout: int  # seconds from the units lock to its expiry T1
    buyer_timeout: int  # seconds from the cash lock to its expiry T2


class HTLCDesk:
    """Both chains' hash time locks as the parties use them: submit, read, watch.

    Parameters
    ----------
    ledger : ConsortiumLedger
        Where the units are locked (``htlc.lock/claim/refund``).
    chain : EthereumChain
        Where the cash is locked; it must share ``ledger``'s simulation clock.
    htlc, cash : Contract
        The ``HashedTimelock`` contract and the cash token (which must allow-list it).
    """

    def __init__(self, ledger: ConsortiumLedger, chain: EthereumChain, htlc: Contract, cash: Contract) -> None:
        if ledger.sim is not chain.sim:
            raise ValueError("the two chains of a swap must run on one simulation clock")
        self.ledger, self.chain, self.htlc, self.cash = ledger, chain, htlc, cash
        self.sim = ledger.sim

    # ---- time ------------------------------------------------------------------------------
    def consortium_time(self) -> int:
        """The timestamp a consortium block decided now would carry (blocks follow the clock)."""
        return self.sim.timestamp()

    def ethereum_time(self) -> int:
        """The timestamp the next Ethereum block gets."""
        return self.chain.next_timestamp()

    def until_consortium(self, timestamp: int) -> float:
        """Simulated seconds from now until consortium blocks are stamped ``timestamp``."""
        return max(0.0, timestamp - self.sim.epoch - self.sim.now)

    def until_ethereum(self, timestamp: int) -> float:
        """Simulated seconds from now until an Ethereum block can be stamped ``timestamp``."""
        return max(0.0, timestamp - self.sim.epoch - self.chain.time_offset - self.sim.now)

    # ---- the units, on the consortium ----------------------------------------------------------
    def lock_units(
        self, seller: Trader, receiver: str, asset_id: str, units: int, hashlock: bytes, expiry: int
    ) -> TxHandle:
        return seller.client.submit(
            "htlc.lock",
            {
                "asset_id": asset_id,
                "amount": units,
                "receiver": receiver,
                "hashlock": "0x" + hashlock.hex(),
                "expiry": expiry,
            },
        )

    def claim_units(self, by: Trader, lock_id: str, preimage: bytes) -> TxHandle:
        return by.client.submit("htlc.claim", {"lock_id": lock_id, "preimage": "0x" + preimage.hex()})

    def refund_units(self, by: Trader, lock_id: str) -> TxHandle:
        return by.client.submit("htlc.refund", {"lock_id": lock_id})

    def units_lock(self, lock_id: str | None) -> dict | None:
        return self.ledger.state.htlc(lock_id) if lock_id else None

    def can_receive_units(self, holder: str, asset_id: str, units: int) -> tuple[int, str]:
        """The restriction a claim to ``holder`` would meet now (the buyer asks before paying)."""
        return self.ledger.state.restriction(asset_id, HTLC, holder, units, self.consortium_time())

    # ---- the cash, on Ethereum ----------------------------------------------------------------
    def lock_cash(
        self, buyer: Trader, receiver: str, amount: int, hashlock: bytes, timelock: int
    ) -> Generator[Any, Any, Receipt]:
        """Approve and lock in one slot's block (a process step); a failed lock is returned, not raised."""
        self.chain.send(self.cash, "approve", self.htlc.address, amount, sender=buyer.wallet)
        receipt = yield from self.chain.execute(
            self.htlc, "lock", receiver, self.cash.address, amount, hashlock, timelock, sender=buyer.wallet, check=False
        )
        if not receipt.status:  # leave no allowance behind a lock that did not happen
            yield from self.chain.execute(self.cash, "approve", self.htlc.address, 0, sender=buyer.wallet)
        return receipt

    def claim_cash(self, by: Trader, lock_id: bytes, preimage: bytes) -> Generator[Any, Any, Receipt]:
        return (yield from self.chain.execute(self.htlc, "claim", lock_id, preimage, sender=by.wallet, check=False))

    def refund_cash(self, by: Trader, lock_id: bytes) -> Generator[Any, Any, Receipt]:
        return (yield from self.chain.execute(self.htlc, "refund", lock_id, sender=by.wallet, check=False))

    @overload
    def cash_lock(self, lock_id: bytes) -> dict[str, Any]: ...
    @overload
    def cash_lock(self, lock_id: None) -> None: ...
    def cash_lock(self, lock_id: bytes | None) -> dict[str, Any] | None:
        """The cash lock ``lock_id`` as ``HashedTimelock.locks`` reads it (None for no lock id)."""
        if lock_id is None:
            return None
        sender, receiver, token, amount, hashlock, timelock, state, preimage = self.htlc.call("locks", lock_id)
        return {
            "sender": sender,
            "receiver": receiver,
            "token": token,
            "amount": amount,
            "hashlock": hashlock,
            "timelock": timelock,
            "state": LOCK_STATES[state],
            "preimage": preimage,
        }

    def revealed_preimage(self, lock_id: bytes, from_block: int = 0) -> bytes | None:
        """The secret, if a ``Claimed`` event of ``lock_id`` is on chain since ``from_block``."""
        for log in self.chain.get_logs(self.htlc, "Claimed", from_block):
            if log["lockId"] == lock_id:
                return log["preimage"]
        return None

    def positions(self, trader: Trader, asset_id: str) -> tuple[int, int]:
        """(units on the consortium, cash on Ethereum) of one party."""
        return (
            self.ledger.state.balance_of(asset_id, trader.client.holder),
            self.cash.call("balanceOf", trader.wallet),
        )


@dataclass
class SwapRecord:
    """What a swap did, read back from the chains."""

    units_lock: str | None = None
    units_expiry: int | None = None
    cash_lock: bytes | None = None
    cash_timelock: int | None = None
    refusal: str | None = None  # why the buyer did not lock, if it did not
    before: dict[str, tuple[int, int]] = field(default_factory=dict)
    after: dict[str, tuple[int, int]] = field(default_factory=dict)


class HTLCSwap:
    """One swap between a seller (units on the consortium) and a buyer (cash on Ethereum).

    Parameters
    ----------
    desk : HTLCDesk
    name : str
        Names the swap in the event log and seeds its secret.
    seller, buyer : Trader
    terms : SwapTerms
    margin : int
        Seconds the buyer needs between its expiry ``T2`` and the seller's ``T1`` to see the
        secret and claim the units (poll interval plus a consortium commit, with room to spare).
    poll : float
        How often each party looks at the other chain.
    seller_plan : str
        ``prompt`` claims at once; ``last_moment`` claims one poll before ``T2``; ``never``
        goes silent and only refunds after ``T1``; ``cheat`` refunds its units at ``T1`` and
        then claims the cash if that lock is still open (it is only when ``T2 > T1``).
    buyer_locks : bool
        False: the buyer walks away without locking.
    buyer_checks_timeouts : bool
        False: a naive buyer that locks whatever the seller's expiry (for showing why it matters).
    """

    def __init__(
        self,
        desk: HTLCDesk,
        name: str,
        seller: Trader,
        buyer: Trader,
        terms: SwapTerms,
        *,
        margin: int = 300,
        poll: float = 12.0,
        seller_plan: str = "prompt",
        buyer_locks: bool = True,
        buyer_checks_timeouts: bool = True,
    ) -> None:
        if seller_plan not in SELLER_PLANS:
            raise ValueError(f"unknown seller plan {seller_plan!r} (known: {', '.join(SELLER_PLANS)})")
        self.desk, self.sim, self.name = desk, desk.sim, name
        self.seller, self.buyer, self.terms = seller, buyer, terms
        self.margin, self.poll, self.seller_plan = margin, poll, seller_plan
        self.buyer_locks, self.buyer_checks_timeouts = buyer_locks, buyer_checks_timeouts
        self._secret = new_secret(self.sim.rng.stream("htlc", name, "secret"))  # the seller's alone
        self.hashlock = hashlock_of(self._secret)
        self.record = SwapRecord()
        self._to_buyer = simpy.Store(self.sim.env)  # off-chain messages: lock ids only
        self._to_seller = simpy.Store(self.sim.env)
        self.processes: list[simpy.Process] = []
        self.finished: simpy.Process | None = None  # fires once both parties are done and positions are read

    # ---- running -------------------------------------------------------------------------------
    def start(self) -> list[simpy.Process]:
        """Start both parties (positions are photographed now and when both have finished)."""
        self.record.before = self._positions()
        self._note(
            "swap",
            "start",
            units=self.terms.units,
            cash=self.terms.cash,
            hashlock="0x" + self.hashlock.hex(),
            seller_plan=self.seller_plan,
        )
        self.processes = [self.sim.process(self._seller()), self.sim.process(self._buyer())]
        self.finished = self.sim.process(self._finish())
        return self.processes

    def run(self, limit: float = 86_400.0) -> HTLCSwap:
        """Start and run the clock until both parties are done (or ``limit`` simulated seconds)."""
        self.start()
        if self.finished is None:
            raise RuntimeError(f"swap {self.name} did not start its finishing process")
        self.sim.run(until=self.sim.env.any_of([self.finished, self.sim.timeout(limit)]))
        return self

    def _finish(self) -> SimProcess:
        yield self.sim.env.all_of(self.processes)
        self.record.after = self._positions()
        self._note("swap", "end", outcome=self.outcome)

    # ---- reading the outcome -------------------------------------------------------------------
    def lock_states(self) -> dict[str, str | None]:
        """Final (or current) state of each leg's lock on its chain, None for a lock never made."""
        units = self.desk.units_lock(self.record.units_lock)
        cash = self.desk.cash_lock(self.record.cash_lock)
        return {"units": units["state"] if units else None, "cash": cash["state"] if cash else None}

    @property
    def outcome(self) -> str:
        """``swapped`` (both claimed), ``unwound`` (every lock made was refunded), ``open`` (a lock still
        open), ``broken`` (one leg claimed, the other not) or ``not_started`` (nothing was locked)."""
        states = [s for s in self.lock_states().values() if s is not None]
        if not states:
            return "not_started"
        if states == ["claimed", "claimed"]:
            return "swapped"
        if all(s == "refunded" for s in states):
            return "unwound"
        return "open" if "locked" in states else "broken"

    def deltas(self) -> dict[str, tuple[int, int]]:
        """Change of (units, cash) per party over the swap."""
        b, a = self.record.before, self.record.after or self._positions()  # unfinished: as things stand
        return {who: (a[who][0] - b[who][0], a[who][1] - b[who][1]) for who in b}

    def nobody_worse_off(self) -> bool:
        """Each party holds what it held, or has exchanged exactly on the agreed terms."""
        t, d = self.terms, self.deltas()
        return (
            d[self.seller.name] in ((0, 0), (-t.units, t.cash))
            and d[self.buyer.name] in ((0, 0), (t.units, -t.cash))
            and (d[self.seller.name] == (0, 0)) == (d[self.buyer.name] == (0, 0))
        )

    # ---- the parties -----------------------------------------------------------------------------
    def _seller(self) -> SimProcess:
        desk, t, rec = self.desk, self.terms, self.record
        expiry = desk.consortium_time() + t.seller_timeout
        handle = desk.lock_units(self.seller, self.buyer.client.holder, t.asset_id, t.units, self.hashlock, expiry)
        yield self.desk.ledger.wait(handle)
        if not handle.ok:
            self._note("seller", "lock_refused", reason=handle.reason)
            yield self._to_buyer.put(None)
            return
        units_lock = "0x" + handle.hash.hex()
        rec.units_lock, rec.units_expiry = units_lock, expiry
        self._note("seller", "units_locked", lock=units_lock, expiry=expiry)
        yield self._to_buyer.put(units_lock)
        answer = self._to_seller.get()
        got = yield answer | self.sim.timeout(desk.until_consortium(expiry))
        if answer not in got:
            answer.cancel()  # no answer before T1: a late one must not be taken by a stale request
        cash_lock = got[answer] if answer in got else None
        if cash_lock is not None and self._cash_lock_as_agreed(cash_lock):
            yield from self._take_the_cash(cash_lock, units_lock, expiry)
        while self._units_lock_state(units_lock) == "locked":  # until the buyer claims or T1 passes
            wait = desk.until_consortium(expiry)
            if wait == 0:
                refund = desk.refund_units(self.seller, units_lock)
                yield self.desk.ledger.wait(refund)
                self._note("seller", "units_refunded" if refund.ok else "units_refund_failed", reason=refund.reason)
                if refund.ok:
                    break
            # wake on the next commit (a claim, a refund) or at the expiry, not on a clock
            yield self.desk.ledger.next_commit() | self.sim.timeout(wait if wait > 0 else self.poll)

    def _units_lock_state(self, lock_id: str) -> str:
        lock = self.desk.units_lock(lock_id)
        if lock is None:
            raise RuntimeError(f"swap {self.name}: the units lock {lock_id} is not on the consortium ledger")
        return lock["state"]

    def _cash_lock_as_agreed(self, lock_id: bytes) -> bool:
        lock = self.desk.cash_lock(lock_id)
        ok = (
            lock["state"] == "locked"
            and lock["receiver"] == self.seller.wallet
            and lock["token"] == self.desk.cash.address
            and lock["amount"] == self.terms.cash
            and lock["hashlock"] == self.hashlock
        )
        self._note("seller", "cash_lock_checked", lock="0x" + lock_id.hex(), as_agreed=ok)
        return ok

    def _take_the_cash(self, lock_id: bytes, units_lock: str, units_expiry: int) -> SimProcess:
        desk, timelock = self.desk, self.desk.cash_lock(lock_id)["timelock"]
        if self.seller_plan == "never":
            self._note("seller", "silent")
            return
        if self.seller_plan == "last_moment":
            yield self.sim.timeout(desk.until_ethereum(timelock - int(self.poll)))
        if self.seller_plan == "cheat":  # take the units back first, then try for the cash as well
            yield self.sim.timeout(desk.until_consortium(units_expiry))
            refund = desk.refund_units(self.seller, units_lock)
            yield self.desk.ledger.wait(refund)
            self._note("seller", "units_refunded" if refund.ok else "units_refund_failed", reason=refund.reason)
        receipt = yield from desk.claim_cash(self.seller, lock_id, self._secret)
        self._note(
            "seller",
            "cash_claimed" if receipt.status else "cash_claim_failed",
            block=receipt.block_number,
            reason=receipt.revert.message if receipt.revert else None,
        )

    def _buyer(self) -> SimProcess:
        desk, t, rec = self.desk, self.terms, self.record
        units_lock = yield self._to_buyer.get()
        if units_lock is None:
            return
        problem, hashlock, units_expiry = self._check_units_lock(units_lock)
        timelock = desk.ethereum_time() + t.buyer_timeout
        if problem is None and self.buyer_checks_timeouts and units_expiry < timelock + self.margin:
            problem = (
                f"unsafe timeouts: the units unlock at {units_expiry}, less than {self.margin} s "
                f"after the cash would ({timelock})"
            )
        if problem is None and not self.buyer_locks:
            problem = "walked away"
        receipt = None
        if not problem:
            receipt = yield from desk.lock_cash(self.buyer, self.seller.wallet, t.cash, hashlock, timelock)
        if receipt is not None and not receipt.status:
            problem = f"cash lock reverted: {receipt.revert.message if receipt.revert else 'reverted'}"
        if problem or receipt is None:  # no receipt only when there was a problem before locking
            rec.refusal = problem
            self._note("buyer", "declined", reason=problem)
            yield self._to_seller.put(None)
            return
        cash_lock: bytes = receipt.event("Locked")["lockId"]
        rec.cash_lock, rec.cash_timelock = cash_lock, timelock
        self._note("buyer", "cash_locked", lock="0x" + cash_lock.hex(), timelock=timelock)
        yield self._to_seller.put(cash_lock)
        cursor = receipt.block_number
        while True:  # the watcher: the secret can only come from the Ethereum claim
            secret = desk.revealed_preimage(cash_lock, cursor)
            if secret is not None:
                claim = desk.claim_units(self.buyer, units_lock, secret)
                yield self.desk.ledger.wait(claim)
                self._note("buyer", "units_claimed" if claim.ok else "units_claim_failed", reason=claim.reason)
                return
            if desk.ethereum_time() >= timelock:
                refund = yield from desk.refund_cash(self.buyer, cash_lock)
                self._note(
                    "buyer",
                    "cash_refunded" if refund.status else "cash_refund_failed",
                    reason=refund.revert.message if refund.revert else None,
                )
                if refund.status:
                    return
            # wake on the next Ethereum block (the claim that reveals the secret) or at the timelock
            wait = desk.until_ethereum(timelock)
            yield self.desk.chain.block_mined() | self.sim.timeout(wait if wait > 0 else self.poll)

    def _check_units_lock(self, lock_id: str) -> tuple[str | None, bytes, int]:
        """Read the seller's lock on the ledger: is it what was agreed, and may the buyer receive it?

        Returns (the problem or None, the hashlock, the expiry); the last two are empty when there is a problem.
        """
        lock, t = self.desk.units_lock(lock_id), self.terms
        if lock is None or lock["state"] != "locked":
            return f"no open lock {lock_id} on the consortium", b"", 0
        if (lock["receiver"], lock["asset_id"], lock["amount"]) != (self.buyer.client.holder, t.asset_id, t.units):
            return "the units lock is not as agreed", b"", 0
        code, message = self.desk.can_receive_units(self.buyer.client.holder, t.asset_id, t.units)
        if code != OK:
            return f"the buyer could not receive the units: restricted ({code}): {message}", b"", 0
        self.record.units_expiry = lock["expiry"]
        return None, bytes.fromhex(lock["hashlock"][2:]), lock["expiry"]

    def _positions(self) -> dict[str, tuple[int, int]]:
        return {p.name: self.desk.positions(p, self.terms.asset_id) for p in (self.seller, self.buyer)}

    def _note(self, party: str, step: str, **fields: Any) -> None:
        self.sim.record("htlc.swap", "htlc", swap=self.name, party=party, step=step, **fields)

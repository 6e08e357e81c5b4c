"""The Ethereum chain of a run: contracts from committed artifacts, blocks on the slot grid.

Time on this chain moves in slots of 12 simulated seconds from genesis, as on mainnet since
the Merge. A transaction is signed by the simulation's own accounts and queued; it is
included in the block of the first slot at or after its submission, and nothing mines
between slots: :meth:`EthereumChain.transact` and :meth:`EthereumChain.mine` wait for that
slot (they advance the simulation to it). A slot with no transaction is not executed at
all, so idle time costs nothing; block numbers therefore count the blocks that carried
transactions, while the slot number of each block (recorded on ``eth.block``) is its place
on the grid. Every transaction's gas is recorded, and a failed one is kept: mined with
status 0, its revert decoded and written to the event log. Finality follows Casper FFG
(:mod:`rwasim.ethereum.finality`): the ``latest``, ``safe`` and ``finalized`` heads.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy
from eth_hash.auto import keccak

from rwasim.defaults import DEFAULT_BACKEND
from rwasim.engine import Simulation
from rwasim.ethereum.accounts import LocalAccount, contract_address, sign_legacy_transaction
from rwasim.ethereum.artifacts import Artifact, ArtifactDirs, ContractABI, artifact_search_path
from rwasim.ethereum.backends import Backend, make_backend
from rwasim.ethereum.errors import ChainError, RevertInfo, TransactionReverted, decode_revert
from rwasim.ethereum.fees import REORG_DEPTHS, Congestion, FeeMarket
from rwasim.ethereum.finality import Casper, FinalityPolicy

SLOT_SECONDS = 12.0  # seconds per slot on mainnet since the Merge (consensus specs, SECONDS_PER_SLOT)

DEFAULT_GAS = 10_000_000  # a generous fixed limit: estimating every transaction would double the EVM work
DEPLOY_GAS = 12_000_000
FUNDING_WEI = 10**24
ESTIMATE_MARGIN = 1.25  # a wallet's gas limit: the gas this call used before, plus a quarter
CATCH_UP_SLOTS = 512  # idle slots whose others-only blocks move the base fee (more changes nothing)


TRANSFER_TOPIC = keccak(b"Transfer(address,address,uint256)")
ZERO_TOPIC = bytes(32)


def _supply_delta(logs: list[tuple[str, list[bytes], bytes]]) -> dict[str, int]:
    """Units minted minus burned per ERC-20 token in one transaction's logs (Transfer from/to 0x0).

    Recorded on the ``eth.tx`` event so the report can draw token supply over time from the
    event log alone.
    """
    delta: dict[str, int] = {}
    for address, topics, data in logs:
        if len(topics) != 3 or topics[0] != TRANSFER_TOPIC or len(data) != 32:
            continue
        amount = int.from_bytes(data, "big")
        change = (amount if topics[1] == ZERO_TOPIC else 0) - (amount if topics[2] == ZERO_TOPIC else 0)
        if change:
            delta[address] = delta.get(address, 0) + change
    return {a: d for a, d in sorted(delta.items()) if d}


class Contract:
    """A deployed contract: its name, address and ABI, with read-only calls."""

    def __init__(self, chain: EthereumChain, name: str, address: str, abi: ContractABI) -> None:
        self.chain = chain
        self.name = name
        self.address = address
        self.abi = abi

    def call(self, fn: str, *args: Any, block: int | str = "latest", sender: str | None = None) -> Any:
        """Call a view function and decode its result (one value unwrapped, a tuple otherwise)."""
        function = self.abi.function(fn, len(args))
        ok, data = self.chain.read(sender or self.chain.accounts[0], self.address, function.encode(args), block)
        if not ok:
            revert = decode_revert(data, self.chain.custom_errors)
            raise ChainError(f"{self.name}.{fn} call reverted: {revert.message}")
        return function.decode_output(data)

    def __repr__(self) -> str:
        return f"<{self.name} at {self.address}>"


@dataclass
class Receipt:
    """One mined transaction: status, gas, decoded events and, if it failed, why."""

    tx_hash: str
    block_number: int
    status: bool
    gas_used: int
    sender: str
    to: str | None
    contract: str
    function: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    revert: RevertInfo | None = None
    submitted_at: float = 0.0
    included_at: float = 0.0
    contract_address: str | None = None
    supply_delta: dict[str, int] = field(default_factory=dict)  # token address -> minted minus burned
    base_fee: int = 0  # wei per gas of the block it landed in
    tip: int = 0  # our priority fee, wei per gas
    slot: int = 0

    @property
    def fee_wei(self) -> int:
        """What the transaction paid: gas used times (base fee + tip) (EIP-1559)."""
        return self.gas_used * (self.base_fee + self.tip)

    @property
    def inclusion_delay(self) -> float:
        """Seconds from submission to the start of the slot that included it."""
        return self.included_at - self.submitted_at

    def event(self, name: str) -> dict[str, Any]:
        """The arguments of the first event called ``name`` (KeyError if none)."""
        for event_name, args in self.events:
            if event_name == name:
                return args
        raise KeyError(f"{self.contract}.{self.function} emitted no {name} event")


@dataclass
class _Queued:
    tx_hash: str
    sender: str
    to: str | None
    contract: str
    function: str
    submitted_at: float
    raw: bytes = b""
    digest: bytes = b""
    nonce: int = 0
    tip: int = 0
    budget: int = 0  # the gas limit a builder reserves for it
    seq: int = 0  # arrival order


class EthereumChain:
    """A local Ethereum chain on the simulation clock, on any backend.

    Parameters
    ----------
    sim : Simulation, optional
        The run's simulation (a fresh one with seed 0 if omitted).
    backend : str or Backend, default "revm"
        ``"revm"`` (pyrevm in process, the default), ``"eth-tester"`` (py-evm in process),
        ``"anvil"`` (started from the npm package) or an
        ``http(s)://`` JSON-RPC URL.
    slot_seconds : float, default 12.0
        Simulated seconds per slot; slot k starts ``k * slot_seconds`` after the chain's
        creation (its genesis), and a block can only be made at the start of a slot.
    artifacts_dir : path or sequence of paths, optional
        Folders of a team's compiled artifacts, searched in order; rwasim's own artifacts
        are always searched last (``artifacts_dirs`` holds the whole search path).
    chain_name : str, default "ethereum"
        Source name in the event log (a run may hold several chains).
    n_accounts : int, default 10
        Funded accounts created from the seed; ``accounts[0]`` deploys by default.
    market : FeeMarket, optional
        Block space: the gas limit (mainnet's), EIP-1559 base fee, other users' demand, missed
        slots and natural reorgs. By default mainnet's gas limit and base fee rule with no
        other users and perfect slots (unit tests); :meth:`FeeMarket.mainnet` is mainnet today.
    """

    def __init__(
        self,
        sim: Simulation | None = None,
        backend: str | Backend = DEFAULT_BACKEND,
        *,
        slot_seconds: float = SLOT_SECONDS,
        artifacts_dir: ArtifactDirs = None,
        chain_name: str = "ethereum",
        n_accounts: int = 10,
        market: FeeMarket | None = None,
    ) -> None:
        self.sim = sim if sim is not None else Simulation()
        self.market = market if market is not None else FeeMarket()
        self._market_rng = self.sim.rng.stream(chain_name, "block-space")
        self._gas_seen: dict[tuple[str, str], int] = {}
        self._seq = 0
        self._recent: list[tuple[Any, list[_Queued]]] = []  # (snapshot before, txs) of the last blocks
        self._funding: dict[str, int] = {}
        self.fees_wei_total = 0
        self.slot_seconds = float(slot_seconds)
        self.artifacts_dirs = artifact_search_path(artifacts_dir)
        self.name = chain_name
        self.backend = make_backend(backend)
        self._accounts: dict[str, LocalAccount] = {}
        self._nonces: dict[str, int] = {}
        for i in range(n_accounts):
            self._add_account(LocalAccount.from_seed(self.sim.seed, f"{chain_name}-account-{i}"))
        self.accounts = list(self._accounts)
        self.backend.start(self.sim.timestamp(), self.accounts, FUNDING_WEI)
        self.chain_id = self.backend.chain_id
        # A node that was already running (a URL backend) may be ahead of simulated time and may
        # have seen these accounts before: shift its timestamps by a fixed offset, resume nonces.
        latest = self.backend.block_timestamp(self.backend.block_number())
        self.time_offset = max(0, latest - self.sim.timestamp())
        self._last_timestamp = latest
        for address in self.accounts:
            self._nonces[address] = self.backend.nonce(address)
        self._artifacts: dict[str, Artifact] = {}
        self.custom_errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        self._contracts_by_address: dict[str, Contract] = {}
        self._queue: list[_Queued] = []
        self.receipts: list[Receipt] = []
        self._receipts_by_hash: dict[str, Receipt] = {}
        self.gas_used_total = 0
        self._closed = False
        # The slot grid starts at the chain's genesis; each block remembers its slot.
        # genesis on a whole second, as block timestamps are: slot k starts at genesis + k * slot
        self.casper = Casper(self.slot_seconds, genesis_time=float(math.floor(self.sim.now)))
        self._first_block = self.backend.block_number()
        self._block_slots: list[int] = [0]  # slot of block _first_block + i
        self._highest_slot = 0  # never decreases: a reorg's blocks take later slots than those dropped
        self._due: simpy.Event | None = None  # the block of the next slot with transactions
        self._due_slot = 0
        self._block_listeners: list[Callable[[int, list[Receipt]], None]] = []
        self._mined: simpy.Event | None = None
        self._read_cache: dict[tuple[str, str, bytes], tuple[bool, bytes]] = {}
        self._read_head: tuple[bytes, int] | None = None

    # -- reads --------------------------------------------------------------------------
    def read(self, sender: str, to: str, data: bytes, block: int | str = "latest") -> tuple[bool, bytes]:
        """An eth_call, remembered until the head or the slot changes when this process alone writes the chain.

        A ``latest`` read sees the latest block's state at the current slot's timestamp: on
        mainnet that slot would hold a block, empty or not, so a lock-up or a claim expiry
        reads the same as it would there. Monitors and agents read the same views (a total
        supply, a lane's settings) many times per block; each EVM call costs milliseconds in
        py-evm, the same answer from memory none.
        """
        if block != "latest":
            return self.backend.call(sender, to, data, block)
        at_time = self.current_timestamp()
        if not getattr(self.backend, "exclusive", False):
            return self.backend.call(sender, to, data, block, at_time)
        head = (self.backend.block_hash(self.backend.block_number()), at_time)
        if head != self._read_head:
            self._read_cache.clear()
            self._read_head = head
        key = (sender, to, data)
        result = self._read_cache.get(key)
        if result is None:
            result = self._read_cache[key] = self.backend.call(sender, to, data, block, at_time)
        return result

    def current_timestamp(self) -> int:
        """The timestamp of the slot running now (the latest block's, if that is later)."""
        return max(self.sim.epoch + int(self.slot_time(self.slot_at())) + self.time_offset, self._last_timestamp)

    # -- accounts -----------------------------------------------------------------------
    def _add_account(self, account: LocalAccount) -> str:
        self._accounts[account.address] = account
        self._nonces[account.address] = 0
        return account.address

    def new_account(self, label: str, balance: int = FUNDING_WEI) -> str:
        """A fresh funded account whose key derives from the run seed and ``label``."""
        account = LocalAccount.from_seed(self.sim.seed, f"{self.name}-{label}")
        if account.address in self._accounts:
            raise ChainError(f"account label {label!r} was already used on {self.name}")
        self._add_account(account)
        self._funding[account.address] = balance
        self.backend.fund(account.address, balance)
        self._read_cache.clear()  # funding writes state without a new block
        self._nonces[account.address] = self.backend.nonce(account.address)  # a shared node may know it already
        return account.address

    def label_of(self, address: str) -> str:
        """The label an account was created with (for reports)."""
        account = self._accounts.get(address)
        return account.label if account else address

    # -- contracts ------------------------------------------------------------------------
    def artifact(self, name: str) -> Artifact:
        if name not in self._artifacts:
            artifact = Artifact.load(name, self.artifacts_dirs)
            self._artifacts[name] = artifact
            self.custom_errors.update(artifact.abi.errors)
        return self._artifacts[name]

    def deploy(self, name: str, *ctor_args: Any, sender: str | None = None) -> Contract:
        """Deploy ``name`` from its committed artifact; waits for the next slot's block."""
        artifact = self.artifact(name)
        sender = sender or self.accounts[0]
        address = contract_address(sender, self._nonces[sender])
        tx_hash = self._submit(sender, None, artifact.deploy_data(tuple(ctor_args)), 0, DEPLOY_GAS, name, "constructor")
        receipt = self._mine_until(tx_hash)
        if not receipt.status:
            raise TransactionReverted(receipt)
        return self.at(name, address)

    def at(self, name: str, address: str) -> Contract:
        """The contract ``name`` at ``address`` (no transaction)."""
        contract = Contract(self, name, address, self.artifact(name).abi)
        self._contracts_by_address[address] = contract
        return contract

    # -- transactions ---------------------------------------------------------------------
    def send(
        self,
        contract: Contract,
        fn: str,
        *args: Any,
        sender: str,
        value: int = 0,
        gas: int | None = None,
        tip: int | None = None,
    ) -> str:
        """Sign and queue a call of ``contract.fn(*args)``; it executes in the first slot's block
        it fits in (by ``tip``, wei per gas, default the market's, then arrival)."""
        data = contract.abi.function(fn, len(args)).encode(args)
        signed = gas or DEFAULT_GAS
        budget = signed if gas else self._estimate(contract.name, fn, signed)
        return self._submit(sender, contract.address, data, value, signed, contract.name, fn, budget, tip)

    def _estimate(self, contract: str, function: str, signed: int) -> int:
        """The gas limit a wallet would set: what this function used before plus a margin
        (the signed limit until it has run once). Builders reserve it in a block."""
        seen = self._gas_seen.get((contract, function))
        return signed if seen is None else min(signed, math.ceil(seen * ESTIMATE_MARGIN))

    def transfer_eth(self, sender: str, to: str, value: int, tip: int | None = None) -> str:
        """Queue a plain ether transfer."""
        return self._submit(sender, to, b"", value, 21_000, "ether", "transfer", None, tip)

    def _submit(
        self,
        sender: str,
        to: str | None,
        data: bytes,
        value: int,
        gas: int,
        contract: str,
        function: str,
        budget: int | None = None,
        tip: int | None = None,
    ) -> str:
        account = self._accounts.get(sender)
        if account is None:
            raise ChainError(f"{sender} is not an account of this simulation (use chain.accounts or new_account)")
        nonce = self._nonces[sender]
        raw, digest = sign_legacy_transaction(
            account,
            nonce=nonce,
            gas_price=self.backend.gas_price(),
            gas=gas,
            to=to,
            value=value,
            data=data,
            chain_id=self.chain_id,
        )
        self._nonces[sender] = nonce + 1
        tx_hash = "0x" + digest.hex()
        self._seq += 1
        self._queue.append(
            _Queued(
                tx_hash,
                sender,
                to,
                contract,
                function,
                self.sim.now,
                raw=raw,
                digest=digest,
                nonce=nonce,
                tip=self.market.tip if tip is None else tip,
                budget=min(budget or gas, self.market.gas_limit),
                seq=self._seq,
            )
        )
        self._schedule_block()
        return tx_hash

    @property
    def queued(self) -> int:
        """Transactions sent and not yet mined (a caller batching many keeps blocks within gas)."""
        return len(self._queue)

    # -- slots and blocks -----------------------------------------------------------------
    def slot_at(self, time: float | None = None) -> int:
        """The slot running at ``time`` (default now)."""
        return self.casper.slot_at(self.sim.now if time is None else time)

    def slot_time(self, slot: int) -> float:
        """The simulated time at which ``slot`` starts."""
        return self.casper.slot_time(slot)

    def _next_open_slot(self) -> int:
        """The first slot at or after now that has no block yet."""
        slot = self.slot_at()
        if self.slot_time(slot) < self.sim.now - 1e-9:
            slot += 1  # mid-slot: the block of this slot was proposed at its start
        return max(slot, self._highest_slot + 1)

    def _schedule_block(self) -> None:
        """Make sure a block is coming for what is queued: at the next open slot, once."""
        if self._due is not None:
            return
        self._due_slot = self._next_open_slot()
        self._due = self.sim.env.event()
        timer = self.sim.timeout(max(0.0, self.slot_time(self._due_slot) - self.sim.now))
        timer.callbacks.append(self._produce)

    def _produce(self, _event: Any = None) -> None:
        due, self._due = self._due, None
        receipts = self._mine_block(self._due_slot) if self._queue else []
        if self._queue:  # the block was full, or the slot missed: the rest waits for the next slot
            self._schedule_block()
        if due is not None:
            due.succeed(receipts)

    def next_timestamp(self) -> int:
        """The timestamp of the block a transaction sent now lands in (its slot's start)."""
        slot = self._due_slot if self._due is not None else self._next_open_slot()
        return self.sim.epoch + int(self.slot_time(slot)) + self.time_offset

    def next_block(self) -> simpy.Event:
        """An event that fires when the coming block is mined (its value: that block's receipts).

        With nothing queued there is no coming block: the event is a timeout to the next slot's
        start, so a process waiting on it still moves on.
        """
        if self._due is not None:
            return self._due
        return self.sim.timeout(max(0.0, self.slot_time(self._next_open_slot()) - self.sim.now), [])

    def block_mined(self) -> simpy.Event:
        """An event that fires when the next block is mined, however far off (nothing runs per slot)."""
        if self._mined is None:
            self._mined = self.sim.env.event()
        return self._mined

    def on_block(self, listener: Callable[[int, list[Receipt]], None]) -> None:
        """Call ``listener(block_number, receipts)`` after every block (readers wake on blocks, not slots)."""
        self._block_listeners.append(listener)

    def apply(self, contract: Contract, fn: str, *args: Any, sender: str, check: bool = True) -> Receipt | None:
        """A call that changes settings (a pause, a limit): mined now from driver code; from inside
        the running simulation (a scheduled fault) only sent, to land in the next slot (None)."""
        if self.sim.running:
            self.send(contract, fn, *args, sender=sender)
            return None
        return self.transact(contract, fn, *args, sender=sender, check=check)

    def mine(self) -> list[Receipt]:
        """Wait for the next slot's block with everything queued; return its receipts.

        Driver code only (a scenario step, a test, set-up): it advances the simulation to the
        slot. A SimPy process yields :meth:`next_block` instead.
        """
        if not self._queue:
            return []
        if self.sim.running:
            raise ChainError(
                "chain.mine() and chain.transact() advance the clock: inside a process use "
                "`yield from chain.execute(...)` or `yield chain.next_block()`"
            )
        wanted = {q.tx_hash for q in self._queue}
        receipts: list[Receipt] = []
        while self._due is not None:  # a full block leaves the rest for the next slots
            due = self._due
            self.sim.run(until=due)
            receipts.extend(due.value or [])
            if wanted.issubset(self._receipts_by_hash):
                break
        return receipts

    # -- block space --------------------------------------------------------------------
    @property
    def base_fee(self) -> int:
        """The base fee of the next block, wei per gas."""
        return self.market.base_fee

    def congest(self, extra: float, duration: float, start: float | None = None) -> None:
        """The ``congestion`` fault: others want ``extra`` gas limits more per slot for ``duration`` s."""
        begin = self.sim.epoch + (self.sim.now if start is None else start)
        self.market.congestion.append(Congestion(begin, begin + duration, extra))
        self.sim.record("eth.congestion", self.name, extra=extra, duration=duration)

    def _catch_up(self, slot: int) -> None:
        """Blocks of other users alone in the idle slots before ``slot`` move the base fee."""
        market = self.market
        if market.background <= 0 and not market.congestion:
            return
        for idle in range(max(market.last_slot + 1, slot - CATCH_UP_SLOTS), slot):
            demand = market.demand(self._market_rng, self.sim.epoch + self.slot_time(idle))
            market.close_block(idle, sum(demand))

    def _select(self, demand: tuple[int, int]) -> list[_Queued]:
        """What fits in the block: by tip then arrival, each sender's nonces in order, each
        transaction's gas limit reserved in full, behind the others' gas bidding a higher tip."""
        market = self.market
        expected: dict[str, int] = {}
        for q in self._queue:
            expected[q.sender] = min(expected.get(q.sender, q.nonce), q.nonce)
        remaining = sorted(self._queue, key=lambda q: (-q.tip, q.seq))
        chosen: list[_Queued] = []
        used = 0
        progress = True
        while progress and remaining:
            progress = False
            rest = []
            for q in remaining:
                room = market.gas_limit - market.ahead_of(demand, q.tip) - used
                if q.nonce == expected[q.sender] and q.budget <= room:
                    chosen.append(q)
                    used += q.budget
                    expected[q.sender] += 1
                    progress = True
                else:
                    rest.append(q)
            remaining = rest
        return chosen

    def _natural_reorg(self, depth: int) -> None:
        """The last ``depth`` blocks are orphaned: their transactions go back to the mempool and
        land again in this slot's block (later on the grid than the blocks they leave)."""
        depth = min(depth, len(self._recent))
        snapshot, _ = self._recent[-depth]
        dropped = [q for _, txs in self._recent[-depth:] for q in txs]
        del self._recent[-depth:]  # the blocks before them stay canonical
        queue, nonces, head = list(self._queue), dict(self._nonces), self.block_number
        accounts = dict(self._accounts)
        self.revert(snapshot)
        for address, account in accounts.items():  # funding is not a transaction: it stays
            if address not in self._accounts:
                self._add_account(account)
                self.backend.fund(address, self._funding.get(address, FUNDING_WEI))
        self._nonces.update(nonces)
        self._queue = sorted(dropped, key=lambda q: q.seq) + queue
        self.sim.record("eth.reorg", self.name, depth=depth, head=head, back_to=self.block_number, natural=True)

    def _mine_block(self, slot: int) -> list[Receipt]:
        """Build and execute the block of ``slot`` from the mempool (at the slot's start only)."""
        market, rng = self.market, self._market_rng
        self._catch_up(slot)
        self._highest_slot = slot
        if market.missed_slot_rate > 0 and rng.random() < market.missed_slot_rate:
            market.last_slot = slot  # no block: the base fee stands
            self.sim.record("eth.missed_slot", self.name, slot=slot, queued=len(self._queue))
            return []
        if market.reorg_rate > 0 and self._recent and rng.random() < market.reorg_rate:
            total = sum(n for _, n in REORG_DEPTHS)
            draw, depth = rng.random() * total, 1
            for d, n in REORG_DEPTHS:
                depth = d
                if draw < n:
                    break
                draw -= n
            self._natural_reorg(depth)
        timestamp = self.sim.epoch + int(self.slot_time(slot)) + self.time_offset
        demand = market.demand(rng, self.sim.epoch + self.slot_time(slot))
        queued = self._select(demand)
        if not queued:  # nothing of ours fits behind the others: the slot's block is theirs
            market.close_block(slot, sum(demand))
            self.sim.record("eth.full_slot", self.name, slot=slot, queued=len(self._queue), base_fee=market.base_fee)
            return []
        chosen = {id(q) for q in queued}
        self._queue = [q for q in self._queue if id(q) not in chosen]
        if market.reorg_rate > 0:
            self._recent = [*self._recent[-1:], (self.snapshot(), queued)]
        for q in queued:
            self.backend.submit(q.raw, q.digest)
        base_fee = market.base_fee
        block = self.backend.mine(timestamp)
        others = max(0, min(sum(demand), market.gas_limit - block.gas_used))
        market.close_block(slot, block.gas_used + others)
        self._last_timestamp = block.timestamp
        self._block_slots.append(slot)
        receipts = []
        for meta, outcome in zip(queued, block.outcomes):
            receipt = Receipt(
                tx_hash=meta.tx_hash,
                block_number=block.number,
                status=outcome.status,
                gas_used=outcome.gas_used,
                sender=meta.sender,
                to=meta.to,
                contract=meta.contract,
                function=meta.function,
                events=self._decode_logs(outcome.logs),
                revert=None if outcome.status else decode_revert(outcome.revert_data, self.custom_errors),
                submitted_at=meta.submitted_at,
                included_at=self.sim.now,
                contract_address=outcome.contract_address,
                supply_delta=_supply_delta(outcome.logs),
                base_fee=base_fee,
                tip=meta.tip,
                slot=slot,
            )
            key = (meta.contract, meta.function)
            self._gas_seen[key] = max(self._gas_seen.get(key, 0), outcome.gas_used)
            self.fees_wei_total += receipt.fee_wei
            self._record(receipt)
            receipts.append(receipt)
        self.gas_used_total += block.gas_used
        self.sim.record(
            "eth.block",
            self.name,
            number=block.number,
            slot=slot,
            timestamp=block.timestamp,
            tx_count=len(receipts),
            gas_used=block.gas_used,
            base_fee=base_fee,
            others_gas=others,
            waiting=len(self._queue),
        )
        for listener in self._block_listeners:
            listener(block.number, receipts)
        if self._mined is not None:
            mined, self._mined = self._mined, None
            mined.succeed(block.number)
        return receipts

    def _record(self, receipt: Receipt) -> None:
        self.receipts.append(receipt)
        self._receipts_by_hash[receipt.tx_hash] = receipt
        self.sim.record(
            "eth.tx",
            self.name,
            hash=receipt.tx_hash,
            sender=receipt.sender,
            to=receipt.to,
            contract=receipt.contract,
            function=receipt.function,
            status=receipt.status,
            gas_used=receipt.gas_used,
            block=receipt.block_number,
            submitted_at=receipt.submitted_at,
            fee_wei=receipt.fee_wei,
            **({"supply_delta": receipt.supply_delta} if receipt.supply_delta else {}),
        )
        if receipt.revert is not None:
            self.sim.record(
                "eth.revert",
                self.name,
                hash=receipt.tx_hash,
                contract=receipt.contract,
                function=receipt.function,
                error=receipt.revert.error,
                args=list(receipt.revert.args),
                message=receipt.revert.message,
            )

    def _decode_logs(self, logs: list[tuple[str, list[bytes], bytes]]) -> list[tuple[str, dict[str, Any]]]:
        decoded = []
        for address, topics, data in logs:
            contract = self._contracts_by_address.get(address)
            event = contract.abi.events_by_topic.get(topics[0]) if contract and topics else None
            if event is None:
                decoded.append(
                    (
                        "UnknownLog",
                        {"address": address, "topics": ["0x" + t.hex() for t in topics], "data": "0x" + data.hex()},
                    )
                )
            else:
                decoded.append((event.name, event.decode(topics, data)))
        return decoded

    def _mine_until(self, tx_hash: str) -> Receipt:
        for receipt in self.mine():
            if receipt.tx_hash == tx_hash:
                return receipt
        raise ChainError(f"transaction {tx_hash} was not mined")

    def transact(
        self,
        contract: Contract,
        fn: str,
        *args: Any,
        sender: str,
        value: int = 0,
        gas: int | None = None,
        check: bool = True,
    ) -> Receipt:
        """Send, wait for the next slot's block and return the receipt.

        Raises TransactionReverted on failure if ``check``. Driver code only; see :meth:`mine`.
        """
        tx_hash = self.send(contract, fn, *args, sender=sender, value=value, gas=gas)
        receipt = self._mine_until(tx_hash)
        if check and not receipt.status:
            raise TransactionReverted(receipt)
        return receipt

    def execute(
        self,
        contract: Contract,
        fn: str,
        *args: Any,
        sender: str,
        value: int = 0,
        gas: int | None = None,
        check: bool = True,
    ) -> Generator[Any, Any, Receipt]:
        """In a SimPy process: send, wait for the next slot's block, return the receipt.

        ``receipt = yield from chain.execute(...)`` is :meth:`transact` for code that runs on
        the simulation clock instead of driving it.
        """
        tx_hash = self.send(contract, fn, *args, sender=sender, value=value, gas=gas)
        receipt = yield from self.wait_for_receipt(tx_hash, slots=64)
        if receipt is None:
            raise ChainError(f"{contract.name}.{fn} ({tx_hash}) was not included within 64 slots (dropped by a reorg?)")
        if check and not receipt.status:
            raise TransactionReverted(receipt)
        return receipt

    # -- time, queries, snapshots ---------------------------------------------------------
    def wait_for_receipt(self, tx_hash: str, slots: int = 10) -> Generator[Any, Any, Receipt | None]:
        """In a process: wait block by block for ``tx_hash``; None if ``slots`` slots pass without it."""
        deadline = self.sim.now + slots * self.slot_seconds
        while True:
            receipt = self._receipts_by_hash.get(tx_hash)
            if receipt is not None or self.sim.now >= deadline:
                return receipt
            yield self.sim.env.any_of([self.next_block(), self.sim.timeout(deadline - self.sim.now)])

    # -- heads and finality ---------------------------------------------------------------
    def slot_of_block(self, number: int) -> int:
        """The slot block ``number`` was made in (blocks before this simulation's genesis: 0)."""
        index = number - self._first_block
        return self._block_slots[index] if 0 <= index < len(self._block_slots) else 0

    def head(self, tag: str = "latest") -> int:
        """The number of the ``latest``, ``safe`` or ``finalized`` block now."""
        if tag == "latest":
            return self.block_number
        if tag == "safe":
            covered = self.casper.safe_slot(self.sim.now)
        elif tag == "finalized":
            covered = self.casper.finalized_slot(self.sim.now)
        else:
            raise ValueError(f"unknown block tag {tag!r}: use 'latest', 'safe' or 'finalized'")
        return self._last_block_by(covered)

    def _last_block_by(self, slot: int) -> int:
        """The highest block made in ``slot`` or before (this simulation's genesis block if none)."""
        if slot < 0:
            return self._first_block
        index = bisect_right(self._block_slots, slot) - 1
        return min(self._first_block + max(index, 0), self.block_number)

    def settled_head(self, policy: FinalityPolicy) -> int:
        """The highest block number settled under ``policy`` now."""
        if policy.kind == "confirmations":
            return self._last_block_by(self.slot_at() - policy.depth)
        return self.head(policy.kind)

    def settles_at(self, number: int, policy: FinalityPolicy) -> float:
        """When block ``number`` is settled under ``policy`` (stalls known so far), in simulated time."""
        return policy.settles_at(self.casper, self.slot_of_block(number), self.sim.now)

    def delay_finality(self, epochs: int, first_epoch: int | None = None) -> None:
        """The ``finality_delay`` fault: no checkpoint is justified for ``epochs`` epochs.

        From the current epoch unless ``first_epoch`` is given; blocks keep coming, the
        ``safe`` and ``finalized`` heads stand still, then catch up two epochs after it.
        """
        current = self.casper.epoch_of(self.slot_at())
        stall = self.casper.stall(current if first_epoch is None else first_epoch, epochs)
        self.sim.record("eth.finality_delay", self.name, first_epoch=stall.first, epochs=stall.epochs)

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of a mined transaction of this simulation, or None while it is queued."""
        return self._receipts_by_hash.get(tx_hash)

    @property
    def block_number(self) -> int:
        return self.backend.block_number()

    def get_block_timestamp(self, number: int) -> int:
        return self.backend.block_timestamp(number)

    def get_block_hash(self, number: int) -> bytes:
        """Hash of canonical block ``number``: readers compare it to notice a reorg."""
        return self.backend.block_hash(number)

    def get_logs(
        self, contract: Contract, event: str, from_block: int = 0, to_block: int | str = "latest"
    ) -> list[dict[str, Any]]:
        """Decoded ``event`` logs of ``contract``, each with its block number and tx hash."""
        abi = contract.abi.events_by_name.get(event)
        if abi is None:
            raise ChainError(f"{contract.name} has no event {event!r}")
        last = self.block_number if to_block == "latest" else int(to_block)
        if from_block > last:  # an empty range (nodes such as anvil refuse one beyond the head)
            return []
        entries = self.backend.get_logs(contract.address, abi.topic, from_block, last)
        return [
            {**abi.decode(e["topics"], e["data"]), "_block": e["block"], "_tx": "0x" + e["tx_hash"].hex()}
            for e in entries
        ]

    def snapshot(self) -> Any:
        """Remember the chain as of the last mined block (queued transactions are not kept)."""
        return (
            self.backend.snapshot(),
            self._last_timestamp,
            len(self.receipts),
            self.gas_used_total,
            len(self._accounts),
            len(self._block_slots),
            self.fees_wei_total,
        )

    def revert(self, snapshot_id: Any) -> None:
        """Return to a snapshot: state, block number, nonces, the receipt list and the accounts made since.

        Time does not go back: the next block lands in the next open slot, after the slots of
        the blocks that were dropped (a reorg's replacement blocks come later on the grid).
        """
        backend_id, last_timestamp, n_receipts, gas_total, n_accounts, n_blocks, fees_total = snapshot_id
        self.fees_wei_total = fees_total
        self.backend.revert(backend_id)
        self._queue.clear()  # a block already scheduled finds nothing to mine and makes none
        del self._block_slots[n_blocks:]
        self._last_timestamp = last_timestamp
        for dropped in self.receipts[n_receipts:]:
            self._receipts_by_hash.pop(dropped.tx_hash, None)
        del self.receipts[n_receipts:]
        self.gas_used_total = gas_total
        for address in list(self._accounts)[n_accounts:]:  # their funding is gone: the label may be used again
            del self._accounts[address]
            del self._nonces[address]
        for address in self._nonces:
            self._nonces[address] = self.backend.nonce(address)

    def close(self) -> None:
        """Stop the backend (anvil's process ends here)."""
        if not self._closed:
            self._closed = True
            self.backend.close()

    def __enter__(self) -> EthereumChain:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

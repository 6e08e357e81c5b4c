"""Chain backends behind one small base class: eth-tester in process, anvil, any JSON-RPC URL.

The chain interface (:mod:`rwasim.ethereum.chain`) signs transactions itself and hands the raw
bytes to a backend, which queues them and executes them only when a block is mined at a
timestamp the simulation chooses. So transactions see the block time of the slot they land
in, on every backend.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_hash.auto import keccak

from rwasim.ethereum.errors import ChainError
from rwasim.packaged import cache_folder, contracts_folder, pinned_npm_version

if TYPE_CHECKING:
    from eth_tester import EthereumTester

ANVIL_PACKAGES = ("anvil-linux-amd64", "anvil-linux-arm64")  # npm @foundry-rs/anvil installs one of these
BLOCK_GAS_LIMIT = 1_000_000_000
DEFAULT_CHAIN_ID = 131277322940537  # eth-tester's; anvil is started with it, so tx hashes match across backends
MIN_GAS_PRICE = 10**11  # 100 gwei: above the base fees these dev chains reach, so price and tx hashes match


@dataclass
class TxOutcome:
    """What executing one transaction in a block gave."""

    tx_hash: bytes
    status: bool
    gas_used: int
    logs: list[tuple[str, list[bytes], bytes]]  # (address, topics, data)
    revert_data: bytes = b""
    contract_address: str | None = None


@dataclass
class MinedBlock:
    number: int
    timestamp: int
    outcomes: list[TxOutcome] = field(default_factory=list)

    @property
    def gas_used(self) -> int:
        return sum(o.gas_used for o in self.outcomes)


class Backend(ABC):
    """An EVM that runs queued signed transactions when told to mine at a given timestamp."""

    name: str = "backend"
    chain_id: int = DEFAULT_CHAIN_ID

    @abstractmethod
    def start(self, genesis_timestamp: int, funded: list[str], balance: int) -> None:
        """Bring the chain up with ``funded`` accounts holding ``balance`` wei."""

    @abstractmethod
    def fund(self, address: str, balance: int) -> None:
        """Give ``address`` ``balance`` wei (used for accounts created mid-run)."""

    @abstractmethod
    def nonce(self, address: str) -> int:
        """The next nonce of ``address`` in the latest mined state."""

    @abstractmethod
    def submit(self, raw_tx: bytes, tx_hash: bytes) -> None:
        """Queue a signed transaction for the next block."""

    @abstractmethod
    def mine(self, timestamp: int) -> MinedBlock:
        """Execute every queued transaction in one block with this timestamp."""

    @abstractmethod
    def call(
        self, sender: str, to: str, data: bytes, block: int | str = "latest", at_time: int | None = None
    ) -> tuple[bool, bytes]:
        """Run a read-only call; ``(success, return or revert data)``.

        ``at_time`` is the ``block.timestamp`` a ``latest`` call sees: the current slot's, so
        that skipping empty slots changes nothing a contract can observe through time (on
        mainnet the latest block would be that slot's). None: the latest block's own.
        """

    @abstractmethod
    def block_number(self) -> int: ...

    @abstractmethod
    def block_timestamp(self, number: int) -> int: ...

    @abstractmethod
    def block_hash(self, number: int) -> bytes:
        """The hash of canonical block ``number`` (a reorg changes it)."""

    @abstractmethod
    def gas_price(self) -> int:
        """A gas price the next block accepts."""

    @abstractmethod
    def get_logs(self, address: str, topic0: bytes, from_block: int, to_block: int) -> list[dict[str, Any]]:
        """Logs of ``address`` with first topic ``topic0``: dicts with topics, data, block, tx_hash, index."""

    @abstractmethod
    def snapshot(self) -> Any: ...

    @abstractmethod
    def revert(self, snapshot_id: Any) -> None: ...

    def close(self) -> None:
        """Release what the backend holds (a node process, a connection)."""


class EthTesterBackend(Backend):
    """py-evm through eth-tester, in this process; the default.

    Genesis is built with a fixed timestamp and ``mix_hash`` values derived from the block
    number (eth-tester would use the wall clock and ``os.urandom``), so block hashes are
    reproducible too.
    """

    name = "eth-tester"
    exclusive = True  # in this process: nothing but this backend's own mining changes its state

    def __init__(self) -> None:
        self._tester: EthereumTester | None = None
        self._queue: list[bytes] = []
        # the logs of every block this backend mined, in block order: (emitter, topics, data, tx hash)
        self._logs: dict[int, list[tuple[bytes, list[bytes], bytes, bytes]]] = {}

    def start(self, genesis_timestamp: int, funded: list[str], balance: int) -> None:
        from eth_tester import EthereumTester, PyEVMBackend

        params = PyEVMBackend.generate_genesis_params(
            overrides={"timestamp": genesis_timestamp, "gas_limit": BLOCK_GAS_LIMIT}
        )
        state = PyEVMBackend.generate_genesis_state(num_accounts=0)
        for address in funded:
            state[bytes.fromhex(address[2:])] = {"balance": balance, "nonce": 0, "code": b"", "storage": {}}
        backend = PyEVMBackend(genesis_parameters=params, genesis_state=state)
        self._tester = EthereumTester(backend=backend, auto_mine_transactions=False)
        self.chain_id = backend.chain.chain_id

    @property
    def tester(self) -> EthereumTester:
        """The eth-tester instance; it exists once :meth:`start` has run."""
        if self._tester is None:
            raise ChainError("the eth-tester backend has not been started")
        return self._tester

    @property
    def _chain(self) -> Any:
        return self.tester.backend.chain

    def fund(self, address: str, balance: int) -> None:
        # Only used between blocks: write the balance into the pending state, then persist.
        from eth_utils import to_canonical_address

        vm = self._chain.get_vm()
        vm.state.set_balance(to_canonical_address(address), balance)
        vm.state.persist()
        self._chain.header = self._chain.header.copy(state_root=vm.state.state_root)

    def nonce(self, address: str) -> int:
        return self.tester.get_nonce(address)

    def submit(self, raw_tx: bytes, tx_hash: bytes) -> None:
        self._queue.append(raw_tx)

    def mine(self, timestamp: int) -> MinedBlock:
        chain = self._chain
        chain.header = chain.header.copy(timestamp=timestamp)
        number = chain.header.block_number
        builder = chain.get_vm().get_transaction_builder()
        queue, self._queue = self._queue, []
        transactions = [builder.decode(raw) for raw in queue]
        # mine_all executes the whole block at once (apply_transaction would rebuild the block per tx).
        _, receipts, computations = chain.mine_all(
            transactions,
            timestamp=timestamp,
            blob_gas_used=0,
            mix_hash=keccak(b"rwasim-mix" + number.to_bytes(8, "big")),
        )
        outcomes: list[TxOutcome] = []
        previous_cumulative = 0
        for tx, receipt, computation in zip(transactions, receipts, computations):
            gas = receipt.gas_used - previous_cumulative
            previous_cumulative = receipt.gas_used
            logs = [
                (_checksum(log.address), [t.to_bytes(32, "big") for t in log.topics], log.data) for log in receipt.logs
            ]
            created = None
            if tx.to == b"" and not computation.is_error:
                created = _checksum(computation.msg.storage_address)
            outcomes.append(
                TxOutcome(
                    tx_hash=tx.hash,
                    status=not computation.is_error,
                    gas_used=gas,
                    logs=logs,
                    revert_data=bytes(computation.output) if computation.is_error else b"",
                    contract_address=created,
                )
            )
        self._logs[number] = [
            (bytes(log.address), [t.to_bytes(32, "big") for t in log.topics], bytes(log.data), bytes(tx.hash))
            for tx, receipt in zip(transactions, receipts)
            for log in receipt.logs
        ]
        return MinedBlock(number=number, timestamp=timestamp, outcomes=outcomes)

    def call(
        self, sender: str, to: str, data: bytes, block: int | str = "latest", at_time: int | None = None
    ) -> tuple[bool, bytes]:
        # eth-tester's own call() turns revert data into a string; run the call on py-evm directly
        # so custom errors keep their bytes.
        from eth.vm.spoof import SpoofTransaction
        from eth_tester.backends.pyevm.main import _get_block_by_number
        from eth_utils import to_canonical_address

        backend = self.tester.backend
        origin = to_canonical_address(sender)
        unsigned = backend._get_normalized_and_unsigned_evm_transaction(
            {"from": origin, "to": to_canonical_address(to), "data": data, "gas": 30_000_000, "value": 0}, block
        )
        header = _get_block_by_number(backend.chain, block).header
        if at_time is not None and block == "latest" and at_time > header.timestamp:
            header = header.copy(timestamp=at_time)
        state = backend.chain.get_vm(at_header=header).state
        snapshot = state.snapshot()
        computation = state.apply_transaction(SpoofTransaction(unsigned, from_=origin))
        state.revert(snapshot)
        return not computation.is_error, bytes(computation.output)

    # Reads go to py-evm's database directly: eth-tester serialises and validates a whole block
    # for each of them, which made an idle slot (attestors, relayers, monitor) cost ~0.1 s.
    def block_number(self) -> int:
        return self._chain.chaindb.get_canonical_head().block_number

    def block_timestamp(self, number: int) -> int:
        return self._chain.chaindb.get_canonical_block_header_by_number(number).timestamp

    def block_hash(self, number: int) -> bytes:
        return bytes(self._chain.chaindb.get_canonical_block_hash(number))

    def gas_price(self) -> int:
        return max(self._chain.header.base_fee_per_gas * 2, MIN_GAS_PRICE)

    def get_logs(self, address: str, topic0: bytes, from_block: int, to_block: int) -> list[dict[str, Any]]:
        """Logs of ``address`` with first topic ``topic0`` in canonical blocks ``from_block..to_block``.

        Blocks this backend mined are answered from the logs kept when they were mined
        (eth-tester's filters decode every receipt of a block once per transaction in it, and
        the bridge asks a dozen times a slot); any other block is read from py-evm, skipped
        outright when its header's bloom filter rules the query out.
        """
        from eth_bloom import BloomFilter
        from eth_utils import to_canonical_address

        chain, db = self._chain, self._chain.chaindb
        wanted_address = to_canonical_address(address)
        entries: list[dict[str, Any]] = []
        for number in range(max(from_block, 0), min(to_block, self.block_number()) + 1):
            mined = self._logs.get(number)
            if mined is not None:
                for index, (emitter, topics, data, tx_hash) in enumerate(mined):
                    if emitter == wanted_address and topics and topics[0] == topic0:
                        entries.append(
                            {"topics": topics, "data": data, "block": number, "tx_hash": tx_hash, "index": index}
                        )
                continue
            header = db.get_canonical_block_header_by_number(number)
            bloom = BloomFilter(header.bloom)
            if wanted_address not in bloom or topic0 not in bloom:
                continue
            block = chain.get_canonical_block_by_number(number)
            index = 0
            for tx, receipt in zip(block.transactions, block.get_receipts(db)):
                for log in receipt.logs:
                    if log.address == wanted_address and log.topics and log.topics[0].to_bytes(32, "big") == topic0:
                        entries.append(
                            {
                                "topics": [t.to_bytes(32, "big") for t in log.topics],
                                "data": bytes(log.data),
                                "block": number,
                                "tx_hash": bytes(tx.hash),
                                "index": index,
                            }
                        )
                    index += 1
        return entries

    def snapshot(self) -> Any:
        return self.tester.backend.take_snapshot()  # the latest block's hash

    def revert(self, snapshot_id: Any) -> None:
        # eth-tester's own revert re-imports the snapshot block, re-executing it; a block that
        # carries a funding write (``fund`` between blocks) does not re-execute to the same
        # state root. The state of every block is still in the database, so point the
        # canonical head back at the snapshot block and start a new pending block on it.
        from eth.constants import GENESIS_PARENT_HASH

        self._queue.clear()
        chain = self._chain
        header = chain.get_block_by_hash(snapshot_id).header
        chain.chaindb._set_as_canonical_chain_head(chain.chaindb.db, header, GENESIS_PARENT_HASH)
        chain.header = chain.create_header_from_parent(header)
        for number in [n for n in self._logs if n > header.block_number]:  # no longer canonical
            del self._logs[number]


class RevmBackend(Backend):
    """revm (the ``pyrevm`` wheel) in this process, with exact gas; see :mod:`rwasim.ethereum.revm_engine`.

    Same transactions, gas, logs and revert data as eth-tester, at a fraction of the cost:
    the engine runs each transaction against cold committed state and keeps nonces, fees,
    blocks, logs and snapshots itself. Block hashes are its own (deterministic, not py-evm's).
    """

    name = "revm"
    exclusive = True  # in this process: nothing but this backend's own mining changes its state

    def __init__(self) -> None:
        from rwasim.ethereum.revm_engine import RevmEngine

        self.engine = RevmEngine(DEFAULT_CHAIN_ID, BLOCK_GAS_LIMIT)
        self.chain_id = DEFAULT_CHAIN_ID

    def start(self, genesis_timestamp: int, funded: list[str], balance: int) -> None:
        self.engine.start(genesis_timestamp, funded, balance)

    def fund(self, address: str, balance: int) -> None:
        self.engine.fund(address, balance)

    def nonce(self, address: str) -> int:
        return self.engine.nonce(address)

    def submit(self, raw_tx: bytes, tx_hash: bytes) -> None:
        self.engine.submit(raw_tx, tx_hash)

    def mine(self, timestamp: int) -> MinedBlock:
        number, executed = self.engine.mine(timestamp)
        outcomes = [
            TxOutcome(
                tx_hash=e.tx_hash,
                status=e.status,
                gas_used=e.gas_used,
                logs=[(_checksum_hex(address), topics, data) for address, topics, data in e.logs],
                revert_data=e.revert_data,
                contract_address=_checksum_hex(e.contract_address) if e.contract_address else None,
            )
            for e in executed
        ]
        return MinedBlock(number=number, timestamp=timestamp, outcomes=outcomes)

    def call(
        self, sender: str, to: str, data: bytes, block: int | str = "latest", at_time: int | None = None
    ) -> tuple[bool, bytes]:
        return self.engine.call(sender, to, data, block, at_time)

    def block_number(self) -> int:
        return self.engine.block_number()

    def block_timestamp(self, number: int) -> int:
        return self.engine.block_timestamp(number)

    def block_hash(self, number: int) -> bytes:
        return self.engine.block_hash(number)

    def gas_price(self) -> int:
        return max(self.engine.pending_base_fee() * 2, MIN_GAS_PRICE)

    def get_logs(self, address: str, topic0: bytes, from_block: int, to_block: int) -> list[dict[str, Any]]:
        return self.engine.get_logs(address, topic0, from_block, to_block)

    def snapshot(self) -> Any:
        return self.engine.snapshot()

    def revert(self, snapshot_id: Any) -> None:
        self.engine.revert(snapshot_id)


class RpcBackend(Backend):
    """Any Ethereum JSON-RPC endpoint, through web3's HTTP provider.

    Mining uses the dev-node methods that anvil, Hardhat and Ganache share
    (``evm_setNextBlockTimestamp``, ``evm_mine``, ``evm_snapshot``, ``evm_revert``); a node
    without them cannot follow simulated time, and the error says so.
    """

    name = "url"

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        from web3 import HTTPProvider

        self.url = url
        self._provider = HTTPProvider(url, request_kwargs={"timeout": timeout})
        self._pending: list[bytes] = []
        self._faucet: str | None = None
        self._base_fee: int | None = None  # of the latest block; refreshed after each block

    def rpc(self, method: str, *params: Any) -> Any:
        try:
            response = self._provider.make_request(method, list(params))
        except Exception as exc:
            raise ChainError(f"cannot reach the JSON-RPC node at {self.url}: {type(exc).__name__}: {exc}") from None
        if "error" in response:
            error = response["error"]
            raise ChainError(f"{method} failed on {self.url}: {error.get('message', error)}")
        return response["result"]

    def start(self, genesis_timestamp: int, funded: list[str], balance: int) -> None:
        self.chain_id = int(self.rpc("eth_chainId"), 16)
        self.rpc("evm_setAutomine", False)
        for address in funded:
            self.fund(address, balance)

    def fund(self, address: str, balance: int) -> None:
        try:
            self.rpc("anvil_setBalance", address, hex(balance))
            return
        except ChainError:
            pass
        if self._faucet is None:
            unlocked = self.rpc("eth_accounts")
            if not unlocked:
                raise ChainError(f"the node at {self.url} has no unlocked account to fund simulation accounts from")
            self._faucet = unlocked[0]
        self.rpc("eth_sendTransaction", {"from": self._faucet, "to": address, "value": hex(balance)})
        self.rpc("evm_mine")

    def nonce(self, address: str) -> int:
        return int(self.rpc("eth_getTransactionCount", address, "latest"), 16)

    def submit(self, raw_tx: bytes, tx_hash: bytes) -> None:
        self.rpc("eth_sendRawTransaction", "0x" + raw_tx.hex())
        self._pending.append(tx_hash)

    def mine(self, timestamp: int) -> MinedBlock:
        self.rpc("evm_setNextBlockTimestamp", hex(timestamp))
        self.rpc("evm_mine")
        block = self.rpc("eth_getBlockByNumber", "latest", False)
        self._base_fee = int(block.get("baseFeePerGas", "0x0"), 16)
        number = int(block["number"], 16)
        included = {bytes.fromhex(h[2:]) for h in block["transactions"]}
        pending, self._pending = self._pending, []
        missing = [h for h in pending if h not in included]
        if missing:
            raise ChainError(f"{len(missing)} queued transaction(s) were not included in block {number} on {self.url}")
        outcomes = []
        for tx_hash in pending:
            receipt = self.rpc("eth_getTransactionReceipt", "0x" + tx_hash.hex())
            status = int(receipt["status"], 16) == 1
            logs = [
                (_checksum(_as_bytes(log["address"])), [_as_bytes(t) for t in log["topics"]], _as_bytes(log["data"]))
                for log in receipt["logs"]
            ]
            outcomes.append(
                TxOutcome(
                    tx_hash=tx_hash,
                    status=status,
                    gas_used=int(receipt["gasUsed"], 16),
                    logs=logs,
                    revert_data=b"" if status else self._revert_data(tx_hash),
                    contract_address=_checksum_or_none(receipt.get("contractAddress")),
                )
            )
        return MinedBlock(number=number, timestamp=int(block["timestamp"], 16), outcomes=outcomes)

    def _revert_data(self, tx_hash: bytes) -> bytes:
        try:
            trace = self.rpc("debug_traceTransaction", "0x" + tx_hash.hex(), {"tracer": "callTracer"})
            return _as_bytes(trace.get("output", "0x"))
        except ChainError:
            return b""

    def call(
        self, sender: str, to: str, data: bytes, block: int | str = "latest", at_time: int | None = None
    ) -> tuple[bool, bytes]:
        tag = hex(block) if isinstance(block, int) else block
        params: list[Any] = [{"from": sender, "to": to, "data": "0x" + data.hex()}, tag]
        if at_time is not None and block == "latest":
            params += [{}, {"time": hex(at_time)}]  # no state overrides; block overrides (anvil, geth)
        response = self._provider.make_request("eth_call", params)
        if "error" in response:
            return False, _as_bytes(response["error"].get("data") or "0x")
        return True, _as_bytes(response["result"])

    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def block_timestamp(self, number: int) -> int:
        return int(self.rpc("eth_getBlockByNumber", hex(number), False)["timestamp"], 16)

    def block_hash(self, number: int) -> bytes:
        return bytes.fromhex(self.rpc("eth_getBlockByNumber", hex(number), False)["hash"][2:])

    def gas_price(self) -> int:
        if self._base_fee is None:
            block = self.rpc("eth_getBlockByNumber", "latest", False)
            self._base_fee = int(block.get("baseFeePerGas", "0x0"), 16)
        return max(self._base_fee * 2, MIN_GAS_PRICE)

    def get_logs(self, address: str, topic0: bytes, from_block: int, to_block: int) -> list[dict[str, Any]]:
        entries = self.rpc(
            "eth_getLogs",
            {
                "address": address,
                "topics": ["0x" + topic0.hex()],
                "fromBlock": hex(from_block),
                "toBlock": hex(to_block),
            },
        )
        return [
            {
                "topics": [_as_bytes(t) for t in e["topics"]],
                "data": _as_bytes(e["data"]),
                "block": int(e["blockNumber"], 16),
                "tx_hash": _as_bytes(e["transactionHash"]),
                "index": int(e["logIndex"], 16),
            }
            for e in entries
        ]

    def snapshot(self) -> Any:
        return self.rpc("evm_snapshot")

    def revert(self, snapshot_id: Any) -> None:
        self._pending.clear()
        self._base_fee = None
        if not self.rpc("evm_revert", snapshot_id):
            raise ChainError(f"evm_revert({snapshot_id}) was refused by {self.url}")


class AnvilBackend(RpcBackend):
    """anvil from the npm package ``@foundry-rs/anvil``, started on a free loopback port.

    The process is stopped by :meth:`close` (and at interpreter exit, should a caller forget).
    """

    name = "anvil"

    def __init__(self, binary: str | Path | None = None, chain_id: int = DEFAULT_CHAIN_ID) -> None:
        self.binary = Path(binary) if binary else find_anvil()
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self._chain_id = chain_id
        super().__init__(f"http://127.0.0.1:{self.port}")

    def start(self, genesis_timestamp: int, funded: list[str], balance: int) -> None:
        command = [
            str(self.binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--silent",
            "--no-mining",
            "--chain-id",
            str(self._chain_id),
            "--timestamp",
            str(genesis_timestamp),
            "--gas-limit",
            str(BLOCK_GAS_LIMIT),
            "--accounts",
            "1",
            "--hardfork",
            "cancun",
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        atexit.register(self.close)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace").strip() if self.process.stderr else ""
                raise ChainError(f"anvil exited at start (code {self.process.returncode}): {err}")
            try:
                self._provider.make_request("eth_chainId", [])
                break
            except Exception:
                if time.monotonic() > deadline:
                    self.close()
                    raise ChainError(f"anvil did not answer on {self.url} within 30 s") from None
                time.sleep(0.05)
        super().start(genesis_timestamp, funded, balance)

    def close(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def anvil_install_command() -> str:
    """The one command that installs the pinned anvil (npm ``@foundry-rs/anvil``) into rwasim's cache."""
    return (
        f"npm install --prefix {cache_folder() / 'anvil'} @foundry-rs/anvil@{pinned_npm_version('@foundry-rs/anvil')}"
    )


def find_anvil(home: Path | None = None) -> Path:
    """The anvil binary, or a one-line error with the command that installs it.

    Looked for in the checkout's ``contracts/node_modules`` (``npm ci --prefix contracts``;
    ``home`` is rwasim's contracts folder), then in rwasim's cache (``<cache>/anvil/node_modules``,
    where a wheel install puts it), then on PATH.
    """
    home = contracts_folder() if home is None else Path(home)
    folders = (home / "node_modules", cache_folder() / "anvil" / "node_modules")
    for folder in folders:
        for candidate in (folder / "@foundry-rs" / package / "bin" / "anvil" for package in ANVIL_PACKAGES):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise ChainError(f"anvil is not installed: install it with `{anvil_install_command()}`")


def make_backend(spec: str | Backend) -> Backend:
    """A backend from its name (``eth-tester``, ``revm``, ``anvil``) or an ``http(s)://`` URL."""
    if isinstance(spec, Backend):
        return spec
    if spec in ("eth-tester", "ethtester", "py-evm"):
        return EthTesterBackend()
    if spec == "anvil":
        return AnvilBackend()
    if spec == "revm":
        return RevmBackend()
    if spec.startswith(("http://", "https://")):
        return RpcBackend(spec)
    raise ChainError(f"unknown backend {spec!r}: use eth-tester, revm, anvil or an http(s):// JSON-RPC URL")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


def _checksum(address: bytes) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(address)


@lru_cache(maxsize=65536)
def _checksum_hex(address: str) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(address)


def _checksum_or_none(address: str | None) -> str | None:
    from eth_utils import to_checksum_address

    return to_checksum_address(address) if address else None


def _error_string(reason: str) -> bytes:
    from eth_abi import encode

    return bytes.fromhex("08c379a0") + encode(["string"], [reason])

"""An exact EVM on revm (the ``pyrevm`` wheel): each transaction runs against cold, committed state.

pyrevm 0.3.7 keeps one journal open across everything it executes: accounts and slots that a
transaction touched stay warm for the next one and keep their "original" values, so gas is
wrong from the second transaction on, and it has no nonces, fees, signatures or receipts.
This module uses it only as an interpreter and keeps the chain around it:

- the committed world state lives in pyrevm's database (revm's ``CacheDB``), never in its
  journal. A transaction runs inside a journal checkpoint; afterwards its effects are read
  from the journal (``journal_str``: accounts with their balance, nonce, code hash and every
  loaded slot with its original and present value), the checkpoint is reverted, which empties
  the journal exactly (every account and slot it loaded is unloaded), and the effects are
  written into the database. So the next transaction finds every account and slot cold, with
  the committed value as its original value: the gas is the gas of a real block;
- senders are recovered from the signed EIP-155 transaction (coincurve), nonces are checked
  and bumped, and the fee (gas used times gas price) is charged, all here;
- the EIP-7623 calldata floor of the Prague fork (eth-tester's) is applied to the gas used:
  revm 8 knows Cancun, which Prague changes for ordinary transactions in that rule only;
- every write to the database is journalled here per block (old and new value), which gives
  snapshots, reverts to any earlier block, and reads at an earlier block.

Known differences from py-evm, none reachable from rwasim's contracts: ``BLOCKHASH`` answers
revm's placeholder (keccak of the number), ``BASEFEE`` reads 0 and ``GASLIMIT`` the fixed block
gas limit, the sender's balance during execution is not yet reduced by the up-front gas cost,
the coinbase earns no fees, and the Prague precompiles (BLS12-381) and system contracts are
absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from coincurve import PublicKey
from eth_hash.auto import keccak

from rwasim.ethereum.errors import ChainError

SPEC = "Cancun"  # revm 8's newest fork; see the module docstring for what Prague adds
GENESIS_BASE_FEE = 1_000_000_000  # EIP-1559's initial base fee, as py-evm's genesis has it
BASE_FEE_CHANGE_DENOMINATOR = 8
ELASTICITY_MULTIPLIER = 2
TX_GAS = 21_000
FLOOR_PER_TOKEN = 10  # EIP-7623
TOKENS_PER_NONZERO_BYTE = 4
CALL_GAS = 30_000_000  # gas of a read-only call (eth-tester's)
EMPTY_CODE_HASH = keccak(b"")
COINBASE = "0x" + "00" * 20

_STATE_END = "}, transient_storage: "
_ACCOUNT_MARK = ": Account { info: AccountInfo { "
_STORAGE_MARK = "}, storage: {"
_STATUS_MARK = "}, status: AccountStatus("
_INFO = re.compile(r"balance: (\d+), nonce: (\d+), code_hash: 0x([0-9a-f]{64}), ")
_SLOT = re.compile(r"(\d+): StorageSlot \{ previous_or_original_value: (\d+), present_value: (\d+) \}")
_CODE = re.compile(
    r"code: Some\(Bytecode \{ bytecode: 0x([0-9a-f]*), state: (?:Raw|(?:Checked|Analysed) \{ len: (\d+))"
)
_REVERT_OUTPUT = re.compile(r"^Revert \{ gas_used: \d+, output: 0x([0-9a-f]*) \}$")

Info = tuple[int, int, bytes]  # nonce, balance, code hash
EMPTY_INFO: Info = (0, 0, EMPTY_CODE_HASH)


@dataclass
class Executed:
    """What one transaction of a block gave."""

    tx_hash: bytes
    status: bool
    gas_used: int
    logs: list[tuple[str, list[bytes], bytes]]  # (lowercase hex address, topics, data)
    revert_data: bytes = b""
    contract_address: str | None = None  # lowercase hex


@dataclass
class _Block:
    number: int
    timestamp: int
    hash: bytes
    base_fee: int
    gas_used: int
    undo_start: int  # index into the write journal where this block's writes begin (funding before it included)
    undo_end: int  # and where its transactions' writes end
    logs: list[tuple[str, bytes, list[bytes], bytes]] = field(default_factory=list)  # address, tx hash, topics, data


@dataclass
class _Tx:
    tx_hash: bytes
    sender: str
    nonce: int
    gas_price: int
    gas: int
    to: str | None
    value: int
    data: bytes


class RevmEngine:
    """A chain of blocks on pyrevm with exact gas; addresses are lowercase hex strings."""

    def __init__(self, chain_id: int, block_gas_limit: int) -> None:
        self.chain_id = chain_id
        self.block_gas_limit = block_gas_limit
        self._evm: Any = None
        self._info: dict[str, Info] = {}  # committed accounts (absent = empty)
        self._code: dict[bytes, bytes] = {EMPTY_CODE_HASH: b""}
        # every database write, oldest first: ("a", address, old info, new info) or ("s", address, slot, old, new)
        self._writes: list[tuple[Any, ...]] = []
        self._blocks: list[_Block] = []
        self._queue: list[_Tx] = []

    # -- set-up -----------------------------------------------------------------------
    def start(self, genesis_timestamp: int, funded: list[str], balance: int) -> None:
        from pyrevm import EVM, BlockEnv, CfgEnv, Env

        env = Env(cfg=CfgEnv(chain_id=self.chain_id), block=BlockEnv(number=0, timestamp=genesis_timestamp))
        self._evm = EVM(env=env, gas_limit=self.block_gas_limit, spec_id=SPEC)
        for address in funded:
            self._write_account(address.lower(), (0, balance, EMPTY_CODE_HASH))
        seed = genesis_timestamp.to_bytes(8, "big") + b"".join(bytes.fromhex(a[2:]) for a in funded)
        self._blocks.append(
            _Block(
                0, genesis_timestamp, keccak(b"rwasim-revm-genesis" + seed), GENESIS_BASE_FEE, 0, 0, len(self._writes)
            )
        )

    @property
    def evm(self) -> Any:
        if self._evm is None:
            raise ChainError("the revm backend has not been started")
        return self._evm

    def fund(self, address: str, balance: int) -> None:
        address = address.lower()
        nonce, _, code_hash = self._info.get(address, EMPTY_INFO)
        self._write_account(address, (nonce, balance, code_hash))

    # -- database writes, journalled ----------------------------------------------------
    def _write_account(self, address: str, info: Info, *, journal: bool = True) -> None:
        from pyrevm import AccountInfo

        old = self._info.get(address, EMPTY_INFO)
        if info == EMPTY_INFO:
            self._info.pop(address, None)
        else:
            self._info[address] = info
        nonce, balance, code_hash = info
        # pyrevm's stub file omits AccountInfo's balance argument, which its constructor takes
        if code_hash != EMPTY_CODE_HASH:
            code = self._code[code_hash]
            account = AccountInfo(balance=balance, nonce=nonce, code_hash=code_hash, code=code)  # type: ignore[call-arg]
        else:
            account = AccountInfo(balance=balance, nonce=nonce)  # type: ignore[call-arg]
        self.evm.insert_account_info(address, account)
        if journal:
            self._writes.append(("a", address, old, info))

    def _write_slots(self, slots: list[tuple[str, int, int, int]], *, journal: bool = True) -> None:
        """Write ``(address, slot, old, new)`` into the database, leaving the journal as it was."""
        if not slots:
            return
        evm = self.evm
        # insert_account_storage writes the database only while the account is out of the
        # journal, and then loads it into the journal: a checkpoint around each write unloads it.
        snapshot, insert, revert = evm.snapshot, evm.insert_account_storage, evm.revert
        for address, slot, _old, new in slots:
            checkpoint = snapshot()
            insert(address, slot, new)
            revert(checkpoint)
        if journal:
            self._writes.extend(("s", address, slot, old, new) for address, slot, old, new in slots)

    def _undo(self, writes: list[tuple[Any, ...]]) -> None:
        """Put back the old values of ``writes`` (newest first)."""
        slots: list[tuple[str, int, int, int]] = []
        for entry in reversed(writes):
            if entry[0] == "a":
                if slots:
                    self._write_slots(slots, journal=False)
                    slots = []
                self._write_account(entry[1], entry[2], journal=False)
            else:
                slots.append((entry[1], entry[2], entry[4], entry[3]))
        self._write_slots(slots, journal=False)

    def _redo(self, writes: list[tuple[Any, ...]]) -> None:
        slots: list[tuple[str, int, int, int]] = []
        for entry in writes:
            if entry[0] == "a":
                if slots:
                    self._write_slots(slots, journal=False)
                    slots = []
                self._write_account(entry[1], entry[3], journal=False)
            else:
                slots.append((entry[1], entry[2], entry[3], entry[4]))
        self._write_slots(slots, journal=False)

    # -- transactions -------------------------------------------------------------------
    def nonce(self, address: str) -> int:
        return self._info.get(address.lower(), EMPTY_INFO)[0]

    def balance(self, address: str) -> int:
        return self._info.get(address.lower(), EMPTY_INFO)[1]

    def submit(self, raw_tx: bytes, tx_hash: bytes) -> None:
        self._queue.append(self._decode(raw_tx, tx_hash))

    def _decode(self, raw: bytes, tx_hash: bytes) -> _Tx:
        """The fields and the recovered sender of a signed EIP-155 legacy transaction."""
        spans = _rlp_list_items(raw)
        if len(spans) != 9:
            raise ChainError("malformed legacy transaction (not a list of nine items)")
        nonce_b, price_b, gas_b, to_b, value_b, data, v_b, r_b, s_b = (raw[a:b] for _h, a, b in spans)
        v = int.from_bytes(v_b, "big")
        chain_id, parity = divmod(v - 35, 2)
        if chain_id != self.chain_id:
            raise ChainError(f"transaction signed for chain {chain_id}, this chain is {self.chain_id}")
        # the signed message is the same list with (chain id, 0, 0) in place of (v, r, s)
        payload = raw[spans[0][0] : spans[5][2]] + _rlp_bytes(_int_bytes(chain_id)) + b"\x80\x80"
        unsigned = _rlp_header(len(payload), 0xC0) + payload
        signature = r_b.rjust(32, b"\0") + s_b.rjust(32, b"\0") + bytes([parity])
        public = PublicKey.from_signature_and_message(signature, keccak(unsigned), hasher=None)
        return _Tx(
            tx_hash=tx_hash,
            sender="0x" + keccak(public.format(compressed=False)[1:])[12:].hex(),
            nonce=int.from_bytes(nonce_b, "big"),
            gas_price=int.from_bytes(price_b, "big"),
            gas=int.from_bytes(gas_b, "big"),
            to="0x" + to_b.hex() if to_b else None,
            value=int.from_bytes(value_b, "big"),
            data=bytes(data),
        )

    def pending_base_fee(self) -> int:
        """The base fee of the next block (EIP-1559 from the head's gas used and limit)."""
        head = self._blocks[-1]
        target = self.block_gas_limit // ELASTICITY_MULTIPLIER
        if head.number == 0 or head.gas_used == target:
            return head.base_fee if head.number else GENESIS_BASE_FEE * 7 // 8
        if head.gas_used > target:
            delta = max(head.base_fee * (head.gas_used - target) // target // BASE_FEE_CHANGE_DENOMINATOR, 1)
            return head.base_fee + delta
        return head.base_fee - head.base_fee * (target - head.gas_used) // target // BASE_FEE_CHANGE_DENOMINATOR

    def mine(self, timestamp: int) -> tuple[int, list[Executed]]:
        """Execute the queued transactions in one block stamped ``timestamp``."""
        from pyrevm import BlockEnv

        evm = self.evm
        number = len(self._blocks)
        base_fee = self.pending_base_fee()
        evm.set_block_env(
            BlockEnv(
                number=number,
                coinbase=COINBASE,
                timestamp=timestamp,
                prevrandao=keccak(b"rwasim-mix" + number.to_bytes(8, "big")),
                basefee=base_fee,
                gas_limit=self.block_gas_limit,
                excess_blob_gas=0,
            )
        )
        queue, self._queue = self._queue, []
        undo_start = self._blocks[-1].undo_end  # funding written since the last block belongs to this one
        executed: list[Executed] = []
        block_logs: list[tuple[str, bytes, list[bytes], bytes]] = []
        for tx in queue:
            outcome = self._execute(tx, base_fee)
            executed.append(outcome)
            block_logs.extend((address, tx.tx_hash, topics, data) for address, topics, data in outcome.logs)
        gas_used = sum(o.gas_used for o in executed)
        parent = self._blocks[-1]
        undo_end = len(self._writes)
        header = b"".join(
            [
                parent.hash,
                number.to_bytes(8, "big"),
                timestamp.to_bytes(8, "big"),
                undo_start.to_bytes(8, "big"),
                undo_end.to_bytes(8, "big"),
                *(tx.tx_hash for tx in queue),
            ]
        )
        self._blocks.append(
            _Block(number, timestamp, keccak(header), base_fee, gas_used, undo_start, undo_end, block_logs)
        )
        return number, executed

    def _execute(self, tx: _Tx, base_fee: int) -> Executed:
        evm = self.evm
        nonce, balance, code_hash = self._info.get(tx.sender, EMPTY_INFO)
        if tx.nonce != nonce:
            raise ChainError(f"transaction {tx.tx_hash.hex()} from {tx.sender} has nonce {tx.nonce}, expected {nonce}")
        if tx.gas_price < base_fee:
            raise ChainError(f"transaction {tx.tx_hash.hex()} pays {tx.gas_price} wei/gas, below the base fee")
        if balance < tx.gas * tx.gas_price + tx.value:
            raise ChainError(f"{tx.sender} cannot pay for transaction {tx.tx_hash.hex()}")
        checkpoint = evm.snapshot()
        failure = ""
        created = None
        try:
            if tx.to is None:
                created = evm.deploy(tx.sender, tx.data, value=tx.value, gas=tx.gas).lower()
            else:
                evm.message_call(tx.sender, tx.to, tx.data, value=tx.value, gas=tx.gas, gas_price=tx.gas_price)
        except RuntimeError as exc:
            failure = str(exc)
        result = evm.result
        if result is None:  # refused before execution (intrinsic gas above the limit, ...)
            evm.revert(checkpoint)
            raise ChainError(f"transaction {tx.tx_hash.hex()} is invalid: {failure}")
        status = bool(result.is_success)
        gas_used = max(result.gas_used, _calldata_floor(tx.data))
        logs: list[tuple[str, list[bytes], bytes]] = []
        changes: list[tuple[str, Info, bool, bytes | None]] = []
        slots: list[tuple[str, int, int, int]] = []
        if status:
            for log in result.logs:
                topics, data = log.data
                logs.append((log.address.lower(), list(topics), bytes(data)))
            changes, slots = _read_journal(evm.journal_str)
        evm.revert(checkpoint)
        # the effects, then the sender's nonce and fee
        for address, info, destroyed, code in changes:
            if destroyed:
                info = EMPTY_INFO
            elif code is not None:
                self._code.setdefault(info[2], code)
            if info != self._info.get(address, EMPTY_INFO) and address != tx.sender:
                self._write_account(address, info)
        sender_balance = balance
        for address, info, _destroyed, _code in changes:
            if address == tx.sender:
                sender_balance = info[1]
        self._write_account(tx.sender, (nonce + 1, sender_balance - gas_used * tx.gas_price, code_hash))
        destroyed_accounts = {address for address, _info, destroyed, _code in changes if destroyed}
        self._write_slots([s for s in slots if s[0] not in destroyed_accounts])
        revert_data = b""
        if not status:
            match = _REVERT_OUTPUT.match(failure)
            revert_data = bytes.fromhex(match.group(1)) if match else b""
        return Executed(tx.tx_hash, status, gas_used, logs, revert_data, created if status else None)

    # -- reads ----------------------------------------------------------------------------
    def call(
        self, sender: str, to: str, data: bytes, block: int | str = "latest", at_time: int | None = None
    ) -> tuple[bool, bytes]:
        """Run a call against the state after ``block`` and throw its effects away.

        ``at_time``: the ``block.timestamp`` a latest call sees (the current slot's), as on
        eth-tester; the block environment is put back afterwards.
        """
        head = len(self._blocks) - 1
        number = head if block in ("latest", "pending", "safe", "finalized") else int(block)
        if not 0 <= number <= head:
            raise ChainError(f"block {block} is not in this chain (head {head})")
        later = self._writes[self._blocks[number + 1].undo_start :] if number < head else []
        if later:
            self._undo(later)
        evm = self.evm
        shifted = at_time is not None and number == head and at_time > self._blocks[head].timestamp
        if shifted and at_time is not None:
            evm.set_block_env(self._block_env(head, at_time))
        try:
            checkpoint = evm.snapshot()
            try:
                output = evm.message_call(sender.lower(), to.lower(), data, gas=CALL_GAS)
                ok, answer = True, bytes(output)
            except RuntimeError as exc:
                match = _REVERT_OUTPUT.match(str(exc))
                ok, answer = False, bytes.fromhex(match.group(1)) if match else b""
            evm.revert(checkpoint)
        finally:
            if shifted:
                evm.set_block_env(self._block_env(head, self._blocks[head].timestamp))
            if later:
                self._redo(later)
        return ok, answer

    def _block_env(self, number: int, timestamp: int) -> Any:
        """The environment block ``number`` executed in, stamped ``timestamp``."""
        from pyrevm import BlockEnv

        return BlockEnv(
            number=number,
            coinbase=COINBASE,
            timestamp=timestamp,
            prevrandao=keccak(b"rwasim-mix" + number.to_bytes(8, "big")),
            basefee=self._blocks[number].base_fee,
            gas_limit=self.block_gas_limit,
            excess_blob_gas=0,
        )

    def block_number(self) -> int:
        return len(self._blocks) - 1

    def _block(self, number: int) -> _Block:
        if not 0 <= number < len(self._blocks):
            raise ChainError(f"block {number} is not in this chain (head {len(self._blocks) - 1})")
        return self._blocks[number]

    def block_timestamp(self, number: int) -> int:
        return self._block(number).timestamp

    def block_hash(self, number: int) -> bytes:
        return self._block(number).hash

    def get_logs(self, address: str, topic0: bytes, from_block: int, to_block: int) -> list[dict[str, Any]]:
        wanted = address.lower()
        entries = []
        for number in range(max(from_block, 0), min(to_block, len(self._blocks) - 1) + 1):
            for index, (emitter, tx_hash, topics, data) in enumerate(self._blocks[number].logs):
                if emitter == wanted and topics and topics[0] == topic0:
                    entries.append(
                        {"topics": topics, "data": data, "block": number, "tx_hash": tx_hash, "index": index}
                    )
        return entries

    # -- snapshots ---------------------------------------------------------------------------
    def snapshot(self) -> tuple[int, bytes, int]:
        head = self._blocks[-1]
        return head.number, head.hash, len(self._writes)

    def revert(self, snapshot_id: tuple[int, bytes, int]) -> None:
        number, block_hash, writes = snapshot_id
        if number >= len(self._blocks) or self._blocks[number].hash != block_hash or writes > len(self._writes):
            raise ChainError(f"snapshot of block {number} is not on this chain any more")
        self._queue.clear()
        self._undo(self._writes[writes:])
        del self._writes[writes:]
        del self._blocks[number + 1 :]


def _rlp_list_items(raw: bytes) -> list[tuple[int, int, int]]:
    """``(header start, payload start, end)`` of each string item of the RLP list ``raw``."""
    first = raw[0] if raw else 0
    if first < 0xC0:
        raise ChainError("malformed transaction: not an RLP list")
    if first <= 0xF7:
        at, end = 1, 1 + first - 0xC0
    else:
        size = first - 0xF7
        at = 1 + size
        end = at + int.from_bytes(raw[1:at], "big")
    if end != len(raw):
        raise ChainError("malformed transaction: RLP length does not match")
    items = []
    while at < end:
        prefix = raw[at]
        if prefix < 0x80:
            items.append((at, at, at + 1))
            at += 1
        elif prefix <= 0xB7:
            stop = at + 1 + prefix - 0x80
            items.append((at, at + 1, stop))
            at = stop
        elif prefix < 0xC0:
            size = prefix - 0xB7
            start = at + 1 + size
            stop = start + int.from_bytes(raw[at + 1 : start], "big")
            items.append((at, start, stop))
            at = stop
        else:
            raise ChainError("malformed transaction: a nested list where a field was expected")
    if at != end:
        raise ChainError("malformed transaction: RLP item overruns the list")
    return items


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _rlp_header(length: int, offset: int) -> bytes:
    if length <= 55:
        return bytes([offset + length])
    size = _int_bytes(length)
    return bytes([offset + 55 + len(size)]) + size


def _rlp_bytes(value: bytes) -> bytes:
    if len(value) == 1 and value[0] < 0x80:
        return value
    return _rlp_header(len(value), 0x80) + value


def _calldata_floor(data: bytes) -> int:
    """EIP-7623: the least gas a transaction with this calldata uses (Prague)."""
    zeros = data.count(0)
    return TX_GAS + FLOOR_PER_TOKEN * (zeros + TOKENS_PER_NONZERO_BYTE * (len(data) - zeros))


def _read_journal(text: str) -> tuple[list[tuple[str, Info, bool, bytes | None]], list[tuple[str, int, int, int]]]:
    """The accounts and changed slots of revm's journal, from its ``Debug`` text.

    Returns ``(address, (nonce, balance, code hash), self-destructed, new code or None)`` for
    every loaded account and ``(address, slot, original, present)`` for every slot whose
    present value differs from its original one, both sorted (revm's maps have no order).
    The text holds the code of every loaded contract; ``str.find`` steps over it.
    """
    end = text.find(_STATE_END)
    accounts = []
    slots = []
    find = text.find
    at = find(_ACCOUNT_MARK, 0, end)
    while at != -1:
        address = text[at - 42 : at]
        header = _INFO.match(text, at + len(_ACCOUNT_MARK))
        if header is None:
            raise ChainError(f"cannot read revm's journal at {text[at : at + 200]!r}")
        storage_at = find(_STORAGE_MARK, header.end(), end)
        status_at = find(_STATUS_MARK, storage_at, end)
        flags_end = find(")", status_at)
        flags = text[status_at + len(_STATUS_MARK) : flags_end]
        code = None
        if "Created" in flags:
            code_match = _CODE.match(text, header.end())
            if code_match:
                code = bytes.fromhex(code_match.group(1))
                if code_match.group(2):
                    code = code[: int(code_match.group(2))]
        info = (int(header.group(2)), int(header.group(1)), bytes.fromhex(header.group(3)))
        accounts.append((address, info, "SelfDestructed" in flags, code))
        if status_at - storage_at > len(_STORAGE_MARK) + 1:
            for slot in _SLOT.finditer(text, storage_at, status_at):
                original, present = int(slot.group(2)), int(slot.group(3))
                if original != present:
                    slots.append((address, int(slot.group(1)), original, present))
        at = find(_ACCOUNT_MARK, flags_end, end)
    accounts.sort()
    slots.sort()
    return accounts, slots

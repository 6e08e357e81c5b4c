"""A validator's durable chain and state: one SQLite file per node.

Each committed block is written in one SQLite transaction together with its state diff (the
exact bytes hashed into the state root) and, every ``checkpoint_interval`` blocks, a full
state snapshot. A crash at any point leaves the file at the previous block: SQLite rolls the
unfinished transaction back. Restart loads the newest snapshot and replays the diffs after
it, re-checking every chained state root, so a damaged file is detected rather than trusted.

``path=":memory:"`` keeps the database in memory: it survives a simulated crash (the object
plays the role of the disk) and costs no file I/O, for fast tests and benchmarks.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from collections import OrderedDict
from pathlib import Path

from rwasim.consortium.block import Block, BlockHeader, CommittedBlock, LedgerEvent, QuorumCertificate, Receipt
from rwasim.consortium.modules import LedgerModules
from rwasim.consortium.state import LedgerState, decode_key, encode_key
from rwasim.consortium.transactions import Transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    height INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, header TEXT NOT NULL,
    body BLOB NOT NULL, qc TEXT NOT NULL, state_diff BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (height INTEGER PRIMARY KEY, state_root BLOB NOT NULL, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS votes (id INTEGER PRIMARY KEY CHECK (id = 1), height INTEGER NOT NULL, state BLOB NOT NULL);
"""


class SimulatedCrash(Exception):
    """Raised inside a write to stand for the process dying there."""


class StorageError(Exception):
    """A node file that cannot be used (wrong chain, damaged, or diverging from its roots)."""


def _hexify(value):
    return "0x" + value.hex() if isinstance(value, bytes) else value


def header_to_json(header: BlockHeader) -> str:
    return json.dumps({k: _hexify(v) for k, v in header.to_json().items() if k != "hash"}, sort_keys=True)


def header_from_json(text: str) -> BlockHeader:
    d = json.loads(text)
    b = {k: bytes.fromhex(v[2:]) for k, v in d.items() if isinstance(v, str)}
    return BlockHeader(
        d["chain_id"],
        d["height"],
        d["round"],
        b["parent_hash"],
        b["tx_root"],
        b["event_root"],
        b["state_root"],
        d["timestamp"],
        b["validator_set_hash"],
        b["proposer"],
    )


_BODIES: OrderedDict[bytes, bytes] = OrderedDict()  # header hash -> encoded body, shared by the nodes of a run


def _body_to_bytes(block: Block, receipts: tuple[Receipt, ...]) -> bytes:
    cached = _BODIES.get(block.header.hash)
    if cached is None:
        cached = _BODIES[block.header.hash] = _encode_body(block, receipts)
        if len(_BODIES) > 64:
            _BODIES.popitem(last=False)
    return cached


def _encode_body(block: Block, receipts: tuple[Receipt, ...]) -> bytes:
    txs = [
        [tx.chain_id, tx.kind, tx.sender.hex(), tx.nonce, tx.payload, tx.signature.hex()] for tx in block.transactions
    ]
    rcs = [[r.ok, r.reason, [[e.kind, e.fields] for e in r.events]] for r in receipts]
    return json.dumps([txs, rcs], separators=(",", ":"), sort_keys=True).encode()


def _body_from_bytes(blob: bytes) -> tuple[tuple[Transaction, ...], list]:
    from rwasim.consortium.transactions import make_transaction

    txs, rcs = json.loads(blob)
    transactions = tuple(
        make_transaction(c, k, p, bytes.fromhex(s), n, bytes.fromhex(sig)) for c, k, s, n, p, sig in txs
    )
    return transactions, rcs


class NodeStore:
    """The SQLite file of one validator.

    Parameters
    ----------
    path : str or Path
        The database file, or ``":memory:"``.
    chain_id : int
        Refuses a file that belongs to another ledger.
    checkpoint_interval : int
        Blocks between full state snapshots (bounds the replay on restart).
    """

    def __init__(self, path: str | Path, chain_id: int, checkpoint_interval: int = 256) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.chain_id = chain_id
        self.checkpoint_interval = checkpoint_interval
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.executescript(_SCHEMA)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._crash_at: str | None = None
        found = self._meta("chain_id")
        if found is not None and int(found) != chain_id:
            raise StorageError(f"{self.path} belongs to consortium chain {found}, not {chain_id}")

    # ---- fault injection --------------------------------------------------------------------
    def crash_during_next_write(self, stage: str | None = "after_block") -> None:
        """Make the next :meth:`append` die at ``stage`` ("after_block" or "after_diff"); None disarms."""
        if stage is not None and stage not in ("after_block", "after_diff"):
            raise ValueError(f"unknown crash stage {stage!r}")
        self._crash_at = stage

    # ---- writing ----------------------------------------------------------------------------
    def initialise(self, genesis: LedgerState) -> None:
        """Write the genesis state once; a file that already has one is left alone."""
        if self._meta("chain_id") is not None:
            if self._meta("genesis_root") != genesis.state_root.hex():
                raise StorageError(f"{self.path} was started from another genesis state")
            return
        with self._transaction():
            self._db.execute("INSERT INTO meta VALUES ('chain_id', ?)", (str(self.chain_id),))
            self._db.execute("INSERT INTO meta VALUES ('genesis_root', ?)", (genesis.state_root.hex(),))
            self._write_snapshot(genesis)

    def append(self, committed: CommittedBlock, state_diff: bytes) -> None:
        """Persist a committed block and its state diff atomically."""
        header = committed.header
        crash_at, self._crash_at = self._crash_at, None
        with self._transaction():
            self._db.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
                (
                    header.height,
                    header.hash,
                    header_to_json(header),
                    _body_to_bytes(committed.block, committed.receipts),
                    json.dumps([[a.hex(), s.hex()] for a, s in committed.qc.signatures]),
                    b"",
                ),
            )
            if crash_at == "after_block":
                raise SimulatedCrash(f"crashed writing block {header.height}")
            self._db.execute("UPDATE blocks SET state_diff = ? WHERE height = ?", (state_diff, header.height))
            if crash_at == "after_diff":
                raise SimulatedCrash(f"crashed writing the state of block {header.height}")

    def save_votes(self, height: int, votes: dict) -> None:
        """Persist what this validator signed for the height it is deciding, before it sends it.

        A validator that restarts without it has amnesia: it could prepare or commit a block
        conflicting with one it already helped commit, which makes a crash count as a
        Byzantine fault (with n = 3 one crash and restart forked the chain). Pickled: the file
        is the validator's own, never read by anyone else.
        """
        self._db.execute("INSERT OR REPLACE INTO votes VALUES (1, ?, ?)", (height, pickle.dumps(votes)))

    def load_votes(self, height: int) -> dict | None:
        """The votes saved for ``height``, if the last ones saved are for it."""
        row = self._db.execute("SELECT height, state FROM votes WHERE id = 1").fetchone()
        return pickle.loads(row[1]) if row is not None and row[0] == height else None

    def checkpoint(self, state: LedgerState) -> None:
        """Store a full snapshot of ``state`` (its height must be stored already)."""
        with self._transaction():
            self._write_snapshot(state)

    def _write_snapshot(self, state: LedgerState) -> None:
        items = sorted((encode_key(k), v) for k, v in state.data.items())
        blob = json.dumps(items, separators=(",", ":"), sort_keys=True).encode()
        self._db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)", (state.height, state.state_root, blob))

    def _transaction(self):
        store = self

        class _Tx:
            def __enter__(self_inner):
                store._db.execute("BEGIN")

            def __exit__(self_inner, exc_type, exc, tb):
                store._db.execute("ROLLBACK" if exc_type else "COMMIT")
                return False

        return _Tx()

    # ---- reading ----------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def height(self) -> int:
        row = self._db.execute("SELECT MAX(height) FROM blocks").fetchone()
        return row[0] or 0

    def load_state(self, modules: LedgerModules | None = None) -> LedgerState:
        """The state after the last stored block: newest snapshot, then the diffs after it.

        ``modules`` is the ledger's module table the state executes with (default the base one).
        """
        row = self._db.execute(
            "SELECT height, state_root, state FROM snapshots ORDER BY height DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise StorageError(f"{self.path} has no genesis state")
        height, root, blob = row
        state = LedgerState(
            self.chain_id, {decode_key(k): v for k, v in json.loads(blob)}, bytes(root), height, modules
        )
        for h, header_json, diff in self._db.execute(
            "SELECT height, header, state_diff FROM blocks WHERE height > ? ORDER BY height", (height,)
        ):
            header = header_from_json(header_json)
            try:
                state.apply_encoded(bytes(diff), header.state_root, h)
            except ValueError as exc:
                raise StorageError(f"{self.path}: {exc}") from None
        return state

    def block(self, height: int) -> CommittedBlock | None:
        row = self._db.execute("SELECT header, body, qc FROM blocks WHERE height = ?", (height,)).fetchone()
        if row is None:
            return None
        header = header_from_json(row[0])
        transactions, rcs = _body_from_bytes(bytes(row[1]))
        receipts = tuple(
            Receipt(tx.hash, ok, reason, tuple(LedgerEvent(k, f) for k, f in events))
            for tx, (ok, reason, events) in zip(transactions, rcs)
        )
        qc = QuorumCertificate(header.hash, tuple((bytes.fromhex(a), bytes.fromhex(s)) for a, s in json.loads(row[2])))
        return CommittedBlock(Block(header, transactions), receipts, qc)

    def blocks(self, start: int = 1) -> list[CommittedBlock]:
        found = []
        for h in range(start, self.height + 1):
            block = self.block(h)
            if block is None:
                raise StorageError(f"{self.path} has no block at height {h} below its head {self.height}")
            found.append(block)
        return found

    def close(self) -> None:
        self._db.close()

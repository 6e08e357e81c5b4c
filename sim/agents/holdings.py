"""Holders of record: one snapshot across both chains that counts every unit exactly once.

At a record date some units are not where a naive reading of balances would find them:

- locked on the consortium for Ethereum but not yet minted there (they sit in the bridge
  escrow; the Ethereum receiver is their holder), or rejected and awaiting their refund
  (the consortium sender is);
- burned on Ethereum for the consortium but not yet released from the escrow (the
  consortium receiver is), or rejected and awaiting their refund on Ethereum (the Ethereum
  sender is);
- put up in a DvP trade or a hash time lock (the seller, or the locker, until it settles).

The escrow itself is nobody's holding: it backs the wrapped units and the units in flight.
:func:`holders_of_record` attributes every unit to one beneficial holder on one chain and
states how many came from each source, so a payment run from it pays each unit once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from rwasim.agents.note import IssuedNote
from rwasim.bridge.book import TO_ETHEREUM
from rwasim.bridge.ledger_module import ESCROW
from rwasim.consortium.state import DVP, HTLC


@dataclass(frozen=True)
class Position:
    """Units owed to one holder on one chain, and where the snapshot found them."""

    chain: str  # "consortium" or "ethereum"
    holder: str
    units: int
    source: str  # "balance", "in_flight", "refund_pending", "dvp", "htlc"


@dataclass(frozen=True)
class HoldersOfRecord:
    """The snapshot: positions sorted by chain and holder, with where the units were found."""

    asset_id: str
    taken_at: float
    positions: tuple[Position, ...]
    escrow: int
    wrapped_supply: int
    consortium_supply: int

    @property
    def total_units(self) -> int:
        return sum(p.units for p in self.positions)

    def by_holder(self) -> dict[tuple[str, str], int]:
        """``(chain, holder) -> units``, positions of one holder on one chain added up."""
        out: dict[tuple[str, str], int] = {}
        for p in self.positions:
            out[(p.chain, p.holder)] = out.get((p.chain, p.holder), 0) + p.units
        return dict(sorted(out.items()))

    def units_by_source(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.positions:
            out[p.source] = out.get(p.source, 0) + p.units
        return dict(sorted(out.items()))

    @property
    def units_in_flight(self) -> int:
        """Units on the bridge: sent and not yet delivered, or rejected and not yet refunded."""
        return sum(p.units for p in self.positions if p.source in ("in_flight", "refund_pending"))

    def reconciles(self) -> bool:
        """Every unit of the supply is attributed once, and the escrow backs wrapped plus in-flight units."""
        return self.total_units == self.consortium_supply and self.escrow == self.wrapped_supply + self.units_in_flight

    def to_json(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "taken_at": self.taken_at,
            "holders": len(self.by_holder()),
            "units": self.total_units,
            "by_source": self.units_by_source(),
            "escrow": self.escrow,
            "wrapped_supply": self.wrapped_supply,
            "consortium_supply": self.consortium_supply,
            "reconciles": self.reconciles(),
        }


def _eth(address: bytes) -> str:
    return to_checksum_address("0x" + address.hex())


def holders_of_record(note: IssuedNote) -> HoldersOfRecord:
    """Snapshot the note's holders on both chains now, units in flight counted once."""
    state = note.ledger.state
    positions: list[Position] = []
    for holder, units in note.consortium_holders().items():
        if holder not in (ESCROW, HTLC, DVP):
            positions.append(Position("consortium", holder, units, "balance"))
    for (kind, *_), record in sorted(_open_escrows(state, note.asset_id)):
        positions.append(
            Position("consortium", record["seller" if kind == "dvp" else "sender"], record["amount"], kind)
        )
    wrapped_supply = 0
    if note.bridge is not None:
        note.bridge.sync()
        for wallet, units in note.ethereum_holders().items():
            positions.append(Position("ethereum", wallet, units, "balance"))
        wrapped_supply = note.wrapped.call("totalSupply")
        for record in note.bridge.book.records.values():
            if record.final:
                continue
            message, pending = record.message, record.state == "rejected"
            to_ethereum = record.direction == TO_ETHEREUM
            if to_ethereum != pending:  # headed to Ethereum, or coming back to an Ethereum sender
                wallet = _eth(message.receiver if to_ethereum else message.sender)
                positions.append(
                    Position("ethereum", wallet, message.amount, "refund_pending" if pending else "in_flight")
                )
            else:
                holder = "0x" + (message.sender if pending else message.receiver).hex()
                positions.append(
                    Position("consortium", holder, message.amount, "refund_pending" if pending else "in_flight")
                )
    positions.sort(key=lambda p: (p.chain, p.holder, p.source))
    return HoldersOfRecord(
        note.asset_id,
        note.ledger.sim.now,
        tuple(positions),
        escrow=state.balance_of(note.asset_id, ESCROW),
        wrapped_supply=wrapped_supply,
        consortium_supply=state.total_supply(note.asset_id),
    )


def _open_escrows(state, asset_id: str):
    """Open DvP offers and HTLC locks of ``asset_id``: ``((kind, id), record)``."""
    for key, record in state.data.items():
        if (
            key[0] in ("dvp", "htlc")
            and isinstance(record, dict)
            and record.get("asset_id") == asset_id
            and record.get("state") in ("proposed", "locked")
        ):
            yield (key[0], key[1]), record

"""The bridge as the consortium ledger runs it: locks, releases, refunds and lane halts.

The consortium ledger knows nothing of bridges; :data:`BRIDGE_MODULE` teaches one these
transaction kinds when a lane is opened on it (:func:`install`), as a
:class:`~rwasim.consortium.modules.LedgerModule`:

* ``bridge.lock`` moves a holder's units into :data:`ESCROW` and records the lock; its event
  is proven by the bridge message id (:func:`rwasim.bridge.codec.message_id`), exactly what
  the Ethereum gateway checks with a Merkle path;
* ``bridge.release`` pays units out of escrow when a BFT quorum (ceil(2n/3)) of validators attest a burn on Ethereum
  (or records the message as rejected: its ``bridge.rejected`` event is proven by the
  message's rejection id, and refunds the burn on Ethereum);
* ``bridge.refund`` returns a lock the gateway refused, on a quorum of attestations;
* ``bridge.halt`` lets a regulator or the issuer stop (or reopen) new locks on a lane.

Every lane has its own escrow: the units sit in the one :data:`ESCROW` token account, but the
module books them per ``(lane, asset)`` (:func:`lane_escrow`), and a release or refund on a lane
is paid only out of that lane's share. A forged mint on one lane, burned back, can never be
paid with another lane's backing; each lane's monitor checks its own share.

Payloads are checked against :data:`SCHEMAS` at admission (uint256 lanes, chain ids and
nonces, positive amounts, 0x addresses, a registered asset), so a malformed lock is refused
with the reason instead of failing the block its event would be proven in.
"""

from __future__ import annotations

from rwasim.bridge.codec import address_bytes, attestation_digest, message_id, rejection_id
from rwasim.consortium.block import LedgerEvent, asset_key
from rwasim.consortium.crypto import InvalidSignature, recover_address
from rwasim.consortium.ledger import ConsortiumLedger
from rwasim.consortium.membership import OrgRole, bft_quorum
from rwasim.consortium.modules import Field, LedgerModule
from rwasim.consortium.state import (
    OK,
    LedgerState,
    Rejected,
    holder_of,
    hx,
    live_items,
    move,
    need,
    positive_amount,
    registered_asset,
    restriction,
)

ESCROW = "bridge-escrow"  # the account holding units locked for other chains
ESCROW_SHORT = 250  # a release's code when its lane's escrow holds fewer units (beside the restriction codes)


def lock_of(state: LedgerState, lane: int, nonce: int) -> dict | None:
    """The ``nonce``-th lock of ``lane`` (its state: locked, then refunded if the gateway refused it)."""
    return state.data.get(("lock", lane, nonce))


def lane_escrow(state: LedgerState, lane: int, asset_id: str) -> int:
    """Units of ``asset_id`` held in escrow for ``lane``: what backs that lane's wrapped supply."""
    return state.data.get(("bridge_escrow", lane, asset_id), 0)


def _book_escrow(s, lane: int, asset_id: str, delta: int) -> None:
    key = ("bridge_escrow", lane, asset_id)
    s[key] = s.get(key, 0) + delta


def lane_halted(state: LedgerState, lane: int) -> bool:
    """Whether new locks on ``lane`` are stopped."""
    return bool(state.data.get(("bridge_halted", lane), False))


def _bridge_lock(s, tx, p, events, ts):
    asset_id, amount, lane = p["asset_id"], positive_amount(p["amount"]), int(p["lane"])
    registered_asset(s, asset_id)
    need(not s.get(("bridge_halted", lane), False), f"lane {lane} is halted")
    receiver = p["receiver"]
    need(
        isinstance(receiver, str) and len(receiver) == 42 and receiver.startswith("0x"),
        f"receiver must be a 20-byte 0x address, not {receiver!r}",
    )
    sender = holder_of(tx.sender)
    code, message = restriction(s, asset_id, sender, ESCROW, amount, ts)
    need(code == OK, f"restricted ({code}): {message}")
    nonce = s.get(("lock_nonce", lane), 0) + 1
    s[("lock_nonce", lane)] = nonce
    move(s, asset_id, sender, ESCROW, amount, events)
    _book_escrow(s, lane, asset_id, amount)
    s[("lock", lane, nonce)] = {
        "asset_id": asset_id,
        "sender": sender,
        "receiver": receiver,
        "amount": amount,
        "destination_chain": int(p["destination_chain"]),
        "state": "locked",
    }
    events.append(
        LedgerEvent(
            "bridge.lock",
            {
                "lane": lane,
                "nonce": nonce,
                "asset_id": asset_id,
                "sender": sender,
                "receiver": receiver,
                "amount": amount,
                "destination_chain": int(p["destination_chain"]),
            },
        )
    )


def _verify_attestations(s, kind: str, mid: bytes, attestations) -> None:
    """At least ceil(2n/3) distinct current validators (the BFT quorum) signed that they saw ``kind`` for the message."""
    digest = attestation_digest(kind, mid)
    signers = set()
    for entry in attestations:
        try:
            signer = recover_address(digest, bytes.fromhex(entry[1][2:]))
        except (InvalidSignature, ValueError, IndexError, TypeError):
            raise Rejected("malformed attestation") from None
        need(s.get(("validator", signer)) is not None, f"attestation by 0x{signer.hex()}, not a validator")
        signers.add(signer)
    quorum = bft_quorum(len(live_items(s, "validator")))
    need(len(signers) >= quorum, f"{len(signers)} validator attestations, {quorum} needed")


def _bridge_release(s, tx, p, events, ts):
    """Units come back from Ethereum: a burn there, attested by a quorum (ceil(2n/3)) of validators who read it."""
    asset_id, to, amount, lane = p["asset_id"], p["receiver"], positive_amount(p["amount"]), int(p["lane"])
    registered_asset(s, asset_id)
    mid = message_id(
        int(p["source_chain"]),
        _chain_id_of(s),
        lane,
        int(p["nonce"]),
        asset_key(asset_id),
        address_bytes(p["sender"]),
        address_bytes(to),
        amount,
    )
    mid_hex = hx(mid)
    need(s.get(("processed", mid_hex)) is None, f"message {mid_hex} was already processed")
    _verify_attestations(s, "sent", mid, p["attestations"])
    held = s.get(("bridge_escrow", lane, asset_id), 0)
    if held < amount:  # units the lane never locked (a forged mint burned back): refused for good
        code, message = ESCROW_SHORT, f"lane {lane}'s escrow holds {held} units, fewer than the release of {amount}"
    else:
        code, message = restriction(s, asset_id, ESCROW, to, amount, ts)
    if code != OK:  # the message is final as rejected; its units can be refunded on Ethereum
        s[("processed", mid_hex)] = {"state": "rejected", "code": code, "reason": message}
        events.append(LedgerEvent("bridge.rejected", {"message_id": mid_hex, "code": code, "reason": message}))
        return
    s[("processed", mid_hex)] = {"state": "released"}
    move(s, asset_id, ESCROW, to, amount, events, "bridge.release")
    _book_escrow(s, lane, asset_id, -amount)
    events.append(LedgerEvent("bridge.released", {"message_id": mid_hex, "lane": lane, "amount": amount}))


def _bridge_refund(s, tx, p, events, ts):
    """A lock the gateway rejected (attested by a quorum of validators) goes back to its sender."""
    lane, nonce = int(p["lane"]), int(p["nonce"])
    lock = s.get(("lock", lane, nonce))
    need(lock is not None, f"no lock {nonce} on lane {lane}")
    need(lock["state"] == "locked", f"lock {nonce} on lane {lane} is {lock['state']}")
    mid = message_id(
        _chain_id_of(s),
        lock["destination_chain"],
        lane,
        nonce,
        asset_key(lock["asset_id"]),
        address_bytes(lock["sender"]),
        address_bytes(lock["receiver"]),
        lock["amount"],
    )
    _verify_attestations(s, "rejected", mid, p["attestations"])
    s[("lock", lane, nonce)] = {**lock, "state": "refunded", "reason": p.get("reason", "")}
    move(s, lock["asset_id"], ESCROW, lock["sender"], lock["amount"], events, "bridge.refund")
    _book_escrow(s, lane, lock["asset_id"], -lock["amount"])
    events.append(LedgerEvent("bridge.refunded", {"message_id": hx(mid), "lane": lane, "nonce": nonce}))


def _chain_id_of(s) -> int:
    return s.get(("chain_id",))


def _bridge_halt(s, tx, p, events, ts):
    """A regulator (or the issuer) stops, or reopens, new locks towards other chains on a lane."""
    lane, halted = int(p["lane"]), bool(p["halted"])
    client = s.get(("client", tx.sender))
    need(
        client["role"] in (OrgRole.REGULATOR.value, OrgRole.ISSUER.value),
        "only a regulator or an issuer may halt a bridge lane",
    )
    s[("bridge_halted", lane)] = halted
    events.append(
        LedgerEvent(
            "bridge.halted", {"lane": lane, "halted": halted, "by": client["org"], "reason": str(p.get("reason", ""))}
        )
    )


def _lock_id(chain_id: int, f: dict) -> bytes:
    """A ``bridge.lock`` event is proven by its message id: the gateway proves exactly this."""
    return message_id(
        chain_id,
        f["destination_chain"],
        f["lane"],
        f["nonce"],
        asset_key(f["asset_id"]),
        bytes.fromhex(f["sender"][2:]),
        bytes.fromhex(f["receiver"][2:]),
        f["amount"],
    )


def _rejected_id(chain_id: int, f: dict) -> bytes:
    """A ``bridge.rejected`` event is proven by the rejection id: it refunds a burn on the other chain."""
    return rejection_id(bytes.fromhex(f["message_id"][2:]))


def _attestations(value: list) -> str | None:
    ok = all(
        isinstance(entry, list)
        and len(entry) == 2
        and all(isinstance(x, str) and x.startswith("0x") and len(x) <= 200 for x in entry)
        for entry in value
    )
    return None if ok else "each attestation is [validator address, signature], two 0x strings"


UINT = Field("uint256")
SCHEMAS = {
    "bridge.lock": {
        "asset_id": Field("asset"),
        "amount": Field("amount"),
        "lane": UINT,
        "receiver": Field("address"),
        "destination_chain": UINT,
    },
    "bridge.release": {
        "source_chain": UINT,
        "lane": UINT,
        "nonce": UINT,
        "asset_id": Field("asset"),
        "sender": Field("address"),
        "receiver": Field("address"),
        "amount": Field("amount"),
        "attestations": Field("list", check=_attestations),
    },
    "bridge.refund": {
        "lane": UINT,
        "nonce": UINT,
        "reason": Field("text", optional=True),
        "attestations": Field("list", check=_attestations),
    },
    "bridge.halt": {"lane": UINT, "halted": Field("bool"), "reason": Field("text", optional=True)},
}

BRIDGE_MODULE = LedgerModule(
    "bridge",
    handlers={
        "bridge.lock": _bridge_lock,
        "bridge.release": _bridge_release,
        "bridge.refund": _bridge_refund,
        "bridge.halt": _bridge_halt,
    },
    permissions={
        OrgRole.ISSUER: frozenset({"bridge.lock", "bridge.halt"}),
        OrgRole.CUSTODIAN: frozenset({"bridge.lock"}),
        OrgRole.REGULATOR: frozenset({"bridge.halt"}),
        OrgRole.BRIDGE: frozenset({"bridge.release", "bridge.refund"}),
        OrgRole.INVESTOR: frozenset({"bridge.lock"}),
    },
    event_ids={"bridge.lock": _lock_id, "bridge.rejected": _rejected_id},
    system_accounts=frozenset({ESCROW}),
    escrow_accounts=frozenset({ESCROW}),
    schemas=SCHEMAS,
)


def install(ledger: ConsortiumLedger) -> None:
    """Teach ``ledger`` the bridge's transaction kinds (idempotent): done wherever a lane is opened."""
    ledger.install(BRIDGE_MODULE)

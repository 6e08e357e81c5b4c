"""The consortium ledger's state machine: membership, assets, tokens, HTLCs, DvP.

State is one flat dictionary of keys (tuples) to plain values, so a block executes against a
copy-on-write overlay and commits by merging its writes: the proposer and every validator
can execute a proposal, compare state roots, and only then apply it.

The token ledger has the Ethereum token's eligibility semantics and restriction codes
(0 ok, 1 paused, 2 sender frozen, 3 receiver frozen, 4 insufficient unfrozen balance,
5 receiver not verified, 6 a compliance rule, named in the reason).

The state root is a commitment chained block by block:
``root_h = keccak256(root_{h-1} || keccak256(canonical JSON of the block's sorted writes))``.
It proves that two nodes applied the same writes in the same order from the same genesis
(so divergence is caught at the next block), not the value of a single key; inclusion
proofs are given for transactions and events instead, which is what other chains need.

Other transaction kinds come from ledger modules installed on the ledger
(:mod:`rwasim.consortium.modules`); this module is the base every ledger has
(:data:`CORE_MODULE`), and its checks and moves are what a module's handlers build on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rwasim.consortium.block import LedgerEvent, Receipt
from rwasim.consortium.crypto import keccak
from rwasim.consortium.membership import GOVERNANCE_ROLES, ROLE_PERMISSIONS, OrgRole, ValidatorSet, governance_threshold
from rwasim.consortium.modules import Field, LedgerModule, LedgerModules, payload_problem
from rwasim.consortium.transactions import Transaction, verify_signature

HTLC = "htlc"  # the account holding units under hash time locks
DVP = "dvp-escrow"  # the account holding units a seller has put up for delivery versus payment
_DELETED = object()
CLASSES = ("retail", "accredited", "professional")


class Rejected(Exception):
    """A transaction that is kept in the block as rejected, with this reason."""


def hx(address: bytes) -> str:
    return "0x" + address.hex()


@dataclass
class BlockExecution:
    """The result of executing a block's transactions on top of a state, not yet applied."""

    receipts: tuple[Receipt, ...]
    writes: dict
    state_root: bytes
    height: int
    encoded_writes: bytes = b""
    event_root: bytes | None = None  # filled in once by whoever needs it first


class _Overlay:
    """Reads fall through to the base state; writes stay here until applied."""

    __slots__ = ("base", "writes", "system")

    def __init__(self, base: dict | _Overlay, system: frozenset[str]) -> None:
        self.base = base
        self.writes: dict = {}
        self.system = system  # the ledger's system accounts (its installed modules')

    def get(self, key, default=None):
        value = self.writes.get(key, _DELETED)
        if value is _DELETED:
            if key in self.writes:
                return default
            return self.base.get(key, default)
        return value

    def keys_with(self, prefix: str) -> set:
        """Keys (live or deleted here) whose first element is ``prefix``: a full scan, for rare use."""
        inner = (
            self.base.keys_with(prefix) if isinstance(self.base, _Overlay) else {k for k in self.base if k[0] == prefix}
        )
        return inner | {k for k in self.writes if k[0] == prefix}

    def __setitem__(self, key, value) -> None:
        self.writes[key] = value

    def delete(self, key) -> None:
        self.writes[key] = _DELETED


class _TxOverlay(_Overlay):
    """One transaction's writes over its block's overlay (reads flattened: the hot path)."""

    __slots__ = ("block_writes", "state")

    def __init__(self, block: _Overlay) -> None:
        super().__init__(block, block.system)
        self.block_writes = block.writes
        self.state = block.base

    def get(self, key, default=None):
        value = self.writes.get(key, _DELETED)
        if value is _DELETED:
            if key in self.writes:
                return default
            value = self.block_writes.get(key, _DELETED)
            if value is _DELETED:
                if key in self.block_writes:
                    return default
                return self.state.get(key, default)
        return value


class LedgerState:
    """The replicated state of one consortium ledger.

    Parameters
    ----------
    chain_id : int
        This ledger's chain id (transactions for other ids are rejected).
    data : dict, optional
        Initial state (from :func:`genesis_state` or storage).
    state_root : bytes
        The commitment of ``data``.
    modules : LedgerModules, optional
        The ledger's installed modules (shared by all its nodes); default the base state machine only.
    """

    def __init__(
        self,
        chain_id: int,
        data: dict | None = None,
        state_root: bytes = b"\0" * 32,
        height: int = 0,
        modules: LedgerModules | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.data: dict = data if data is not None else {}
        self.state_root = state_root
        self.height = height
        self.modules = modules if modules is not None else core_modules()

    # ---- queries -----------------------------------------------------------------------
    def nonce_of(self, address: bytes) -> int:
        return self.data.get(("nonce", address), 0)

    def balance_of(self, asset_id: str, holder: str) -> int:
        return self.data.get(("bal", asset_id, holder), 0)

    def frozen_of(self, asset_id: str, holder: str) -> int:
        return self.data.get(("frozen_amt", asset_id, holder), 0)

    def total_supply(self, asset_id: str) -> int:
        return self.data.get(("supply", asset_id), 0)

    def asset(self, asset_id: str) -> dict | None:
        return self.data.get(("asset", asset_id))

    def holders(self, asset_id: str) -> dict[str, int]:
        """Every account with a non-zero balance of ``asset_id`` (sorted)."""
        return dict(sorted((k[2], v) for k, v in self.data.items() if k[0] == "bal" and k[1] == asset_id and v))

    def identity(self, holder: str) -> dict | None:
        """The latest registration of ``holder`` by any organisation (``by`` names it), for lookups:
        eligibility never reads it, only the claims an asset trusts (:meth:`trusted_claim`)."""
        return self.data.get(("identity", holder))

    def claims(self, holder: str) -> dict[str, dict]:
        """Every organisation's claim on ``holder`` (organisation -> country, class, kyc), sorted."""
        return dict(sorted((k[2], v) for k, v in self.data.items() if k[0] == "claim" and k[1] == holder))

    def trusted_claim(self, asset_id: str, holder: str) -> dict | None:
        """The claim on ``holder`` that decides eligibility for ``asset_id``, or None."""
        asset = self.asset(asset_id)
        return None if asset is None else trusted_claim(self.view(), asset, holder)

    def htlc(self, lock_id: str) -> dict | None:
        return self.data.get(("htlc", lock_id))

    def organisations(self) -> dict[str, dict]:
        return dict(sorted((k[1], v) for k, v in self.data.items() if k[0] == "org"))

    def validator_set(self) -> ValidatorSet:
        return ValidatorSet(tuple(sorted(k[1] for k in self.data if k[0] == "validator")))

    def client(self, address: bytes) -> dict | None:
        return self.data.get(("client", address))

    # ---- admission and execution -----------------------------------------------------------
    def check_transaction(self, tx: Transaction) -> str | None:
        """Why ``tx`` cannot enter the mempool, or None (signature, membership, permission, nonce)."""
        return _admission(self.view(), self.chain_id, tx, self.modules, mempool=True)

    def execute_block(self, transactions: Iterable[Transaction], *, height: int, timestamp: int) -> BlockExecution:
        """Execute ``transactions`` in order on an overlay; this state is not changed."""
        overlay = _Overlay(self.data, self.modules.system_accounts)
        receipts = []
        for tx in transactions:
            receipts.append(_execute(overlay, self.chain_id, tx, timestamp, self.modules))
        writes = overlay.writes
        encoded = encode_writes(writes)
        return BlockExecution(tuple(receipts), writes, keccak(self.state_root + keccak(encoded)), height, encoded)

    def apply(self, execution: BlockExecution) -> None:
        """Commit an execution computed on this very state."""
        data = self.data
        for key, value in execution.writes.items():
            if value is _DELETED:
                data.pop(key, None)
            else:
                data[key] = value
        self.state_root = execution.state_root
        self.height = execution.height

    def apply_encoded(self, encoded_writes: bytes, expected_root: bytes, height: int) -> None:
        """Replay a stored block diff, checking that it chains to ``expected_root``."""
        root = keccak(self.state_root + keccak(encoded_writes))
        if root != expected_root:
            raise ValueError(f"stored diff of block {height} does not chain to its state root")
        self.apply(BlockExecution((), decode_writes(encoded_writes), root, height, encoded_writes))

    def copy(self) -> LedgerState:
        return LedgerState(self.chain_id, dict(self.data), self.state_root, self.height, self.modules)

    def view(self) -> _ReadOnly:
        """A read-only view that the checks below (:func:`restriction`, handlers' reads) accept."""
        return _ReadOnly(self.data, self.modules.system_accounts)

    def restriction(self, asset_id: str, sender: str, receiver: str, amount: int, timestamp: int) -> tuple[int, str]:
        """What a transfer would meet now: ``(code, message)``, as :func:`restriction`."""
        return restriction(self.view(), asset_id, sender, receiver, amount, timestamp)


class _ReadOnly:
    __slots__ = ("data", "system")

    def __init__(self, data: dict, system: frozenset[str]) -> None:
        self.data = data
        self.system = system

    def get(self, key, default=None):
        return self.data.get(key, default)


def encode_key(key: tuple) -> str:
    """A state key as a JSON list, bytes tagged ``"b:<hex>"`` and strings ``"s:<text>"`` (reversible)."""
    return json.dumps(
        [("b:" + k.hex()) if isinstance(k, bytes) else ("s:" + k) if isinstance(k, str) else k for k in key],
        separators=(",", ":"),
    )


def decode_key(text: str) -> tuple:
    return tuple(
        bytes.fromhex(k[2:]) if isinstance(k, str) and k[0] == "b" else k[2:] if isinstance(k, str) else k
        for k in json.loads(text)
    )


def encode_writes(writes: dict) -> bytes:
    """A block's writes, sorted by key: ``[[key, value], ...]`` with ``[key]`` for a deletion.

    This exact text is hashed into the state root and stored as the block's state diff, so a
    node replaying its file recomputes the same roots.
    """
    items = sorted((encode_key(k), v) for k, v in writes.items())
    return json.dumps(
        [[k] if v is _DELETED else [k, v] for k, v in items], separators=(",", ":"), sort_keys=True
    ).encode()


def decode_writes(blob: bytes) -> dict:
    return {decode_key(item[0]): (_DELETED if len(item) == 1 else item[1]) for item in json.loads(blob)}


# ---- genesis -----------------------------------------------------------------------------
def genesis_state(
    chain_id: int,
    organisations: list[tuple[str, OrgRole, bytes]],
    validators: list[tuple[bytes, str]],
    clients: Iterable[tuple[bytes, str, OrgRole]] = (),
) -> LedgerState:
    """The state at height 0: organisations (id, role, admin address), validators and clients."""
    data: dict = {("chain_id",): chain_id}
    for org_id, role, address in organisations:
        data[("org", org_id)] = {"role": role.value, "address": hx(address)}
        data[("client", address)] = {"org": org_id, "role": role.value, "admin": True}
    for address, org_id in validators:
        if ("org", org_id) not in data:
            raise ValueError(f"validator 0x{address.hex()} belongs to unknown organisation {org_id!r}")
        data[("validator", address)] = org_id
    for address, org_id, role in clients:
        data[("client", address)] = {"org": org_id, "role": role.value, "admin": False}
    root = keccak(b"rwasim.consortium.genesis" + chain_id.to_bytes(32, "big") + encode_writes(data))
    return LedgerState(chain_id, data, root, 0)


# ---- execution ---------------------------------------------------------------------------
def _admission(s, chain_id: int, tx: Transaction, modules: LedgerModules, mempool: bool) -> str | None:
    if tx.chain_id != chain_id:
        return f"wrong chain id {tx.chain_id} (this ledger is {chain_id})"
    if not verify_signature(tx):
        return "bad signature"
    client = s.get(("client", tx.sender))
    if client is None:
        return f"sender 0x{tx.sender.hex()} is not a member"
    if tx.kind not in modules.handlers:
        return modules.unknown_kind(tx.kind)
    if tx.kind not in modules.permitted[client["role"]] and not (
        tx.kind == "membership.add_client" and client.get("admin")
    ):
        return f"role {client['role']} may not {tx.kind}"
    if mempool:
        problem = modules.payload_problem(tx.kind, tx.payload)
        if problem is not None:
            return problem
    expected = s.get(("nonce", tx.sender), 0)
    if tx.nonce < expected:
        return f"nonce {tx.nonce} already used (next is {expected})"
    if not mempool and tx.nonce != expected:
        return f"nonce {tx.nonce} out of order (next is {expected})"
    return None


def _execute(block: _Overlay, chain_id: int, tx: Transaction, timestamp: int, modules: LedgerModules) -> Receipt:
    reason = _admission(block, chain_id, tx, modules, mempool=False)
    if reason is not None:
        return Receipt(tx.hash, False, reason)
    block[("nonce", tx.sender)] = tx.nonce + 1
    problem = modules.payload_problem(tx.kind, tx.payload, lambda asset_id: block.get(("asset", asset_id)) is not None)
    if problem is not None:  # the nonce is spent: a malformed transaction is final as rejected
        return Receipt(tx.hash, False, problem)
    s = _TxOverlay(block)  # the transaction's own writes, merged only if it succeeds
    events: list[LedgerEvent] = []
    try:
        modules.handlers[tx.kind](s, tx, tx.payload, events, timestamp)
        for event in events:  # an event that cannot be proven would fail the whole block later
            if event.kind in modules.event_ids:
                modules.event_ids[event.kind](chain_id, event.fields)
    except Rejected as exc:
        return Receipt(tx.hash, False, str(exc))
    except Exception as exc:  # noqa: BLE001 - a handler's bug must not crash a node; every node rejects alike
        return Receipt(tx.hash, False, f"malformed payload: {type(exc).__name__}: {str(exc)[:200]}")
    block.writes.update(s.writes)
    return Receipt(tx.hash, True, None, tuple(events))


def _need(condition: bool, reason: str) -> None:
    if not condition:
        raise Rejected(reason)


def _amount(value: Any) -> int:
    _need(
        isinstance(value, int) and not isinstance(value, bool) and value > 0,
        f"amount must be a positive integer, not {value!r}",
    )
    return value


def _asset(s, asset_id: str) -> dict:
    asset = s.get(("asset", asset_id))
    _need(asset is not None, f"unknown asset {asset_id!r}")
    return asset


def _org_of(s, sender: bytes) -> str:
    return s.get(("client", sender))["org"]


def _is_asset_agent(s, asset: dict, sender: bytes) -> bool:
    return _org_of(s, sender) == asset["issuer_org"]


def _holder(sender: bytes) -> str:
    return hx(sender)


# restriction codes, as on the Ethereum token
OK, PAUSED, SENDER_FROZEN, RECEIVER_FROZEN, INSUFFICIENT, NOT_VERIFIED, COMPLIANCE = range(7)
RESTRICTION_MESSAGES = {
    PAUSED: "token is paused",
    SENDER_FROZEN: "sender wallet is frozen",
    RECEIVER_FROZEN: "receiver wallet is frozen",
    INSUFFICIENT: "insufficient unfrozen balance",
    NOT_VERIFIED: "receiver identity is not verified",
}
SYSTEM_ACCOUNTS = frozenset({HTLC, DVP})  # the base state machine's; modules add theirs


def _system(s) -> frozenset[str]:
    """The system accounts of the ledger a view belongs to (a bare dict: the base ones)."""
    return getattr(s, "system", SYSTEM_ACCOUNTS)


def trusted_issuers(asset: dict) -> list[str]:
    """The organisations whose claims count for ``asset``, in priority order (ERC-3643's trusted issuers)."""
    return asset.get("trusted_claim_issuers") or [asset["issuer_org"]]


def trusted_claim(s, asset: dict, holder: str) -> dict | None:
    """The first valid (KYC passed) claim on ``holder`` by an organisation ``asset`` trusts, or None.

    Claims are kept per organisation, so one organisation cannot overwrite another's: the bank
    classing the issuer's retail investor as professional changes nothing for the issuer's note.
    """
    for org in trusted_issuers(asset):
        claim = s.get(("claim", holder, org))
        if claim is not None and claim["kyc"] and claim["class"] in CLASSES:
            return claim
    return None


def verified(s, holder: str, asset: dict) -> bool:
    """Whether ``holder`` may receive ``asset`` at all: a system account, or a trusted valid claim."""
    return holder in _system(s) or trusted_claim(s, asset, holder) is not None


def compliance_failure(
    s, asset_id: str, asset: dict, sender: str | None, receiver: str, amount: int, timestamp: int
) -> str | None:
    """The name of the rule that refuses the transfer, or None."""
    rules = asset["rules"]
    system = _system(s)
    if receiver in system:
        return None
    identity = trusted_claim(s, asset, receiver)
    if identity is None:  # route_restriction refuses unverified receivers first; a direct caller gets the rule
        return "IdentityRegistry"
    if rules.get("countries") and identity["country"] not in rules["countries"]:
        return "CountryAllowModule"
    if rules.get("investor_classes") and identity["class"] not in rules["investor_classes"]:
        return "InvestorClassModule"
    balance_to = s.get(("bal", asset_id, receiver), 0)
    if rules.get("max_balance") and receiver != sender and balance_to + amount > rules["max_balance"]:
        return "MaxBalanceModule"
    if rules.get("max_holders") and balance_to == 0 and amount > 0:
        leaves = sender is not None and sender not in system and s.get(("bal", asset_id, sender), 0) == amount
        if not leaves and s.get(("holders", asset_id), 0) >= rules["max_holders"]:
            return "MaxHoldersModule"
    if rules.get("locked_until") and sender is not None and sender not in system and timestamp < rules["locked_until"]:
        return "LockUpModule"
    return None


ROUTES = ("transfer", "mint", "recovery")


def route_restriction(
    s,
    asset_id: str,
    sender: str | None,
    receiver: str,
    amount: int,
    timestamp: int,
    *,
    route: str = "transfer",
    owner: str | None = None,
) -> tuple[int, str]:
    """The compliance rule on every route that moves units: ``(code, message)``, ``(0, "ok")`` if allowed.

    The one check every handler that moves units calls (transfers, mints, forced transfers, DvP
    delivery, HTLC claims, bridge locks and releases), so the rule is stated once: a frozen wallet
    neither sends nor receives, frozen units do not move, and a paused asset moves nothing but the
    issuer's recovery actions. ``route`` is ``"transfer"`` (the holder's own move, or an escrow's
    on the holder's behalf), ``"mint"`` (new units: ``sender`` is None) or ``"recovery"`` (the
    issuer's forced transfer: the pause and the sender's freeze flag do not stop it, frozen units
    and a frozen receiver still do). ``owner`` is whose units an escrow is delivering (the DvP
    seller), checked like a sender. The redemption burn is the one exception and does not call it.
    """
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}")
    asset = s.get(("asset", asset_id))
    if asset is None:
        return COMPLIANCE, f"unknown asset {asset_id!r}"
    if route != "recovery" and s.get(("paused", asset_id), False):
        return PAUSED, RESTRICTION_MESSAGES[PAUSED]
    if route == "transfer" and any(s.get(("frozen", asset_id, w), False) for w in (sender, owner) if w is not None):
        return SENDER_FROZEN, RESTRICTION_MESSAGES[SENDER_FROZEN]
    if s.get(("frozen", asset_id, receiver), False):
        return RECEIVER_FROZEN, RESTRICTION_MESSAGES[RECEIVER_FROZEN]
    if sender is not None and s.get(("bal", asset_id, sender), 0) < amount + s.get(("frozen_amt", asset_id, sender), 0):
        return INSUFFICIENT, RESTRICTION_MESSAGES[INSUFFICIENT]
    if not verified(s, receiver, asset):
        return NOT_VERIFIED, RESTRICTION_MESSAGES[NOT_VERIFIED]
    failing = compliance_failure(s, asset_id, asset, sender, receiver, amount, timestamp)
    if failing:
        return COMPLIANCE, f"compliance: {failing}"
    return OK, "ok"


def restriction(s, asset_id: str, sender: str, receiver: str, amount: int, timestamp: int) -> tuple[int, str]:
    """The Ethereum token's transfer pre-check on this ledger: ``(code, message)``."""
    return route_restriction(s, asset_id, sender, receiver, amount, timestamp)


def _need_route(s, asset_id: str, sender: str | None, receiver: str, amount: int, timestamp: int, **how) -> None:
    code, message = route_restriction(s, asset_id, sender, receiver, amount, timestamp, **how)
    _need(code == OK, f"restricted ({code}): {message}")


def _move(
    s, asset_id: str, sender: str, receiver: str, amount: int, events: list, kind: str = "token.transfer"
) -> None:
    before_to = s.get(("bal", asset_id, receiver), 0)
    after_from = s.get(("bal", asset_id, sender), 0) - amount
    s[("bal", asset_id, sender)] = after_from
    s[("bal", asset_id, receiver)] = before_to + amount
    holders = s.get(("holders", asset_id), 0)
    system = _system(s)
    if before_to == 0 and amount > 0 and receiver not in system:
        holders += 1
    if after_from == 0 and sender not in system:
        holders -= 1
    s[("holders", asset_id)] = holders
    events.append(LedgerEvent(kind, {"asset_id": asset_id, "from": sender, "to": receiver, "amount": amount}))


def _transfer_checked(
    s,
    asset_id: str,
    sender: str,
    receiver: str,
    amount: int,
    timestamp: int,
    events: list,
    kind: str = "token.transfer",
    owner: str | None = None,
) -> None:
    _need_route(s, asset_id, sender, receiver, amount, timestamp, owner=owner)
    _move(s, asset_id, sender, receiver, amount, events, kind)


# ---- handlers ----------------------------------------------------------------------------
def _membership_add_client(s, tx, p, events, ts):
    role = OrgRole(p["role"])
    _need(
        role in (OrgRole.INVESTOR, s.get(("client", tx.sender)) and OrgRole(s.get(("client", tx.sender))["role"])),
        f"an organisation may add clients with its own role or as investors, not {role.value}",
    )
    address = bytes.fromhex(p["address"][2:])
    _need(s.get(("client", address)) is None, f"{p['address']} is already a member")
    s[("client", address)] = {"org": _org_of(s, tx.sender), "role": role.value, "admin": False}
    events.append(
        LedgerEvent(
            "membership.client_added", {"address": p["address"], "org": _org_of(s, tx.sender), "role": role.value}
        )
    )


GOVERNANCE_ACTIONS = ("add_organisation", "remove_organisation", "add_validator", "remove_validator")


def _governance_propose(s, tx, p, events, ts):
    action = p["action"]
    _need(action in GOVERNANCE_ACTIONS, f"unknown governance action {action!r}")
    problem = payload_problem(GOVERNANCE_ARGS[action], p.get("args", {}))
    _need(problem is None, f"governance args: {problem}")
    _need(s.get(("client", tx.sender))["admin"], "only an organisation's admin key may propose")
    proposal_id = "0x" + tx.hash.hex()
    s[("proposal", proposal_id)] = {"action": action, "args": p.get("args", {}), "approvals": [], "done": False}
    events.append(LedgerEvent("governance.proposed", {"proposal": proposal_id, "action": action}))
    _governance_vote(s, tx, {"proposal": proposal_id}, events, ts)


def _governance_vote(s, tx, p, events, ts):
    proposal = s.get(("proposal", p["proposal"]))
    _need(proposal is not None, f"unknown proposal {p['proposal']}")
    _need(not proposal["done"], "proposal already decided")
    _need(s.get(("client", tx.sender))["admin"], "only an organisation's admin key may vote")
    org = _org_of(s, tx.sender)
    _need(org not in proposal["approvals"], f"{org} already approved")
    members = sorted(k[1] for k, v in _items(s, "org") if OrgRole(v["role"]) in GOVERNANCE_ROLES)
    approvals = sorted(proposal["approvals"] + [org])
    proposal = {**proposal, "approvals": approvals}
    needed = governance_threshold(len(members))
    events.append(
        LedgerEvent(
            "governance.voted", {"proposal": p["proposal"], "org": org, "approvals": len(approvals), "needed": needed}
        )
    )
    if len([a for a in approvals if a in members]) >= needed:
        proposal["done"] = True
        _enact(s, proposal["action"], proposal["args"], events)
    s[("proposal", p["proposal"])] = proposal


def _items(s, prefix: str):
    """Live ``(key, value)`` pairs under ``prefix``, in a stable order."""
    return [(k, s.get(k)) for k in sorted(s.keys_with(prefix), key=repr) if s.get(k) is not None]


def _enact(s, action: str, args: dict, events: list) -> None:
    if action == "add_organisation":
        address = bytes.fromhex(args["address"][2:])
        _need(s.get(("org", args["org_id"])) is None, f"organisation {args['org_id']} exists")
        s[("org", args["org_id"])] = {"role": OrgRole(args["role"]).value, "address": args["address"]}
        s[("client", address)] = {"org": args["org_id"], "role": OrgRole(args["role"]).value, "admin": True}
    elif action == "remove_organisation":
        _need(s.get(("org", args["org_id"])) is not None, f"unknown organisation {args['org_id']}")
        s.delete(("org", args["org_id"]))
        for key, value in _items(s, "client"):
            if value["org"] == args["org_id"]:
                s.delete(key)
        removed = []
        for key, value in _items(s, "validator"):
            if value == args["org_id"]:
                s.delete(key)
                removed.append(hx(key[1]))
    elif action == "add_validator":
        _need(s.get(("org", args["org_id"])) is not None, f"unknown organisation {args['org_id']}")
        s[("validator", bytes.fromhex(args["address"][2:]))] = args["org_id"]
    elif action == "remove_validator":
        key = ("validator", bytes.fromhex(args["address"][2:]))
        _need(s.get(key) is not None, f"{args['address']} is not a validator")
        s.delete(key)
    fields = {"action": action, "args": args}
    if action == "remove_organisation":
        fields["validators_removed"] = removed
    if action in (
        "add_validator",
        "remove_validator",
        "remove_organisation",
    ):  # light clients hand over to the new set with this
        fields["validator_set_hash"] = (
            "0x" + ValidatorSet(tuple(sorted(k[1] for k, _ in _items(s, "validator")))).hash.hex()
        )
    events.append(LedgerEvent("governance.enacted", fields))


def _identity_register(s, tx, p, events, ts):
    """The sending organisation's claim on a holder: kept under its name, never over another's."""
    _need(p["investor_class"] in CLASSES, f"unknown investor class {p['investor_class']!r}")
    org = _org_of(s, tx.sender)
    claim = {"country": int(p["country"]), "class": p["investor_class"], "kyc": bool(p.get("kyc", True))}
    s[("claim", p["holder"], org)] = claim
    s[("identity", p["holder"])] = {**claim, "by": org}
    events.append(LedgerEvent("identity.registered", {"holder": p["holder"], **claim, "by": org}))


def _asset_register(s, tx, p, events, ts):
    asset_id = p["asset_id"]
    _need(s.get(("asset", asset_id)) is None, f"asset {asset_id!r} is already registered")
    rules = dict(p.get("rules", {}))
    unknown = sorted(set(rules) - {"countries", "investor_classes", "max_holders", "max_balance", "locked_until"})
    _need(not unknown, f"unknown compliance rules {unknown}")
    trusted = p.get("trusted_claim_issuers", [_org_of(s, tx.sender)])
    _need(
        isinstance(trusted, list) and trusted and all(isinstance(o, str) for o in trusted),
        "trusted_claim_issuers must be a non-empty list of organisations",
    )
    for org in trusted:
        _need(s.get(("org", org)) is not None, f"unknown organisation {org!r} in trusted_claim_issuers")
    s[("asset", asset_id)] = {
        "issuer_org": _org_of(s, tx.sender),
        "trusted_claim_issuers": list(trusted),
        "name": p.get("name", asset_id),
        "term_sheet_hash": p["term_sheet_hash"],
        "rules": rules,
        "documents": {d[0]: {"uri": d[1], "hash": d[2]} for d in p.get("documents", [])},
    }
    events.append(
        LedgerEvent(
            "asset.registered",
            {"asset_id": asset_id, "issuer": _org_of(s, tx.sender), "term_sheet_hash": p["term_sheet_hash"]},
        )
    )


def _asset_document(s, tx, p, events, ts):
    asset = _asset(s, p["asset_id"])
    _need(_is_asset_agent(s, asset, tx.sender), "only the asset's issuer may change its documents")
    documents = {**asset["documents"], p["name"]: {"uri": p["uri"], "hash": p["hash"]}}
    s[("asset", p["asset_id"])] = {**asset, "documents": documents}
    events.append(LedgerEvent("asset.document", {"asset_id": p["asset_id"], "name": p["name"], "hash": p["hash"]}))


def _asset_fixing(s, tx, p, events, ts):
    """The calculation agent publishes the underlying's close, so every member sees the same fixings."""
    asset = _asset(s, p["asset_id"])
    _need(_is_asset_agent(s, asset, tx.sender), "only the asset's issuer may publish fixings")
    key = ("fixing", p["asset_id"], str(p["date"]))
    _need(s.get(key) is None, f"the fixing of {p['date']} is already published")
    s[key] = str(p["close"])
    events.append(
        LedgerEvent("asset.fixing", {"asset_id": p["asset_id"], "date": str(p["date"]), "close": str(p["close"])})
    )


def _asset_corporate_action(s, tx, p, events, ts):
    """A lifecycle event (knock-in, knock-out, coupon, redemption) announced on the ledger."""
    asset = _asset(s, p["asset_id"])
    _need(_is_asset_agent(s, asset, tx.sender), "only the asset's issuer may announce corporate actions")
    fields = {
        "asset_id": p["asset_id"],
        "action": str(p["action"]),
        "date": str(p["date"]),
        "detail": dict(p.get("detail", {})),
    }
    events.append(LedgerEvent("asset.corporate_action", fields))


def _token_mint(s, tx, p, events, ts):
    asset_id, to, amount = p["asset_id"], p["to"], _amount(p["amount"])
    asset = _asset(s, asset_id)
    _need(_is_asset_agent(s, asset, tx.sender), "only the asset's issuer may mint")
    _need_route(s, asset_id, None, to, amount, ts, route="mint")
    before = s.get(("bal", asset_id, to), 0)
    s[("bal", asset_id, to)] = before + amount
    s[("supply", asset_id)] = s.get(("supply", asset_id), 0) + amount
    if before == 0 and to not in _system(s):
        s[("holders", asset_id)] = s.get(("holders", asset_id), 0) + 1
    events.append(LedgerEvent("token.mint", {"asset_id": asset_id, "to": to, "amount": amount}))


def _token_burn(s, tx, p, events, ts):
    asset_id, holder, amount = p["asset_id"], p["from"], _amount(p["amount"])
    asset = _asset(s, asset_id)
    _need(_is_asset_agent(s, asset, tx.sender), "only the asset's issuer may burn")
    balance = s.get(("bal", asset_id, holder), 0)
    _need(balance >= amount, f"insufficient balance {balance} < {amount}")
    frozen = s.get(("frozen_amt", asset_id, holder), 0)
    if amount > balance - frozen:  # as on Ethereum: a redemption releases frozen units if it must
        s[("frozen_amt", asset_id, holder)] = frozen - (amount - (balance - frozen))
    s[("bal", asset_id, holder)] = balance - amount
    s[("supply", asset_id)] = s.get(("supply", asset_id), 0) - amount
    if balance == amount and holder not in _system(s):
        s[("holders", asset_id)] = s.get(("holders", asset_id), 0) - 1
    events.append(LedgerEvent("token.burn", {"asset_id": asset_id, "from": holder, "amount": amount}))


def _token_transfer(s, tx, p, events, ts):
    _asset(s, p["asset_id"])
    _transfer_checked(s, p["asset_id"], _holder(tx.sender), p["to"], _amount(p["amount"]), ts, events)


def _may_enforce(s, asset: dict, sender: bytes) -> bool:
    client = s.get(("client", sender))
    return client["org"] == asset["issuer_org"] or client["role"] == OrgRole.REGULATOR.value


def _token_pause(s, tx, p, events, ts):
    asset = _asset(s, p["asset_id"])
    _need(_may_enforce(s, asset, tx.sender), "only the issuer or a regulator may pause")
    s[("paused", p["asset_id"])] = bool(p["paused"])
    events.append(LedgerEvent("token.paused", {"asset_id": p["asset_id"], "paused": bool(p["paused"])}))


def _token_freeze(s, tx, p, events, ts):
    asset = _asset(s, p["asset_id"])
    _need(_may_enforce(s, asset, tx.sender), "only the issuer or a regulator may freeze")
    s[("frozen", p["asset_id"], p["holder"])] = bool(p["frozen"])
    events.append(
        LedgerEvent("token.frozen", {"asset_id": p["asset_id"], "holder": p["holder"], "frozen": bool(p["frozen"])})
    )


def _token_freeze_partial(s, tx, p, events, ts):
    asset_id, holder, delta = p["asset_id"], p["holder"], int(p["amount"])
    asset = _asset(s, asset_id)
    _need(_is_asset_agent(s, asset, tx.sender), "only the asset's issuer may freeze units")
    frozen = s.get(("frozen_amt", asset_id, holder), 0) + delta
    _need(frozen >= 0, f"cannot unfreeze {-delta}: only {frozen - delta} frozen")
    _need(frozen <= s.get(("bal", asset_id, holder), 0), "cannot freeze more than the balance")
    s[("frozen_amt", asset_id, holder)] = frozen
    events.append(LedgerEvent("token.frozen_amount", {"asset_id": asset_id, "holder": holder, "frozen": frozen}))


def _token_forced_transfer(s, tx, p, events, ts):
    asset_id, source, to, amount = p["asset_id"], p["from"], p["to"], _amount(p["amount"])
    asset = _asset(s, asset_id)
    _need(_is_asset_agent(s, asset, tx.sender), "only the asset's issuer may force a transfer")
    _need_route(s, asset_id, source, to, amount, ts, route="recovery")  # a recovery action
    _move(s, asset_id, source, to, amount, events, "token.forced_transfer")


def _htlc_lock(s, tx, p, events, ts):
    asset_id, amount, expiry = p["asset_id"], _amount(p["amount"]), int(p["expiry"])
    _asset(s, asset_id)
    _need(expiry > ts, f"expiry {expiry} is not after the block time {ts}")
    hashlock = p["hashlock"]
    _need(isinstance(hashlock, str) and len(hashlock) == 66, "hashlock must be a 32-byte 0x hex string")
    sender = _holder(tx.sender)
    code, message = restriction(s, asset_id, sender, HTLC, amount, ts)
    _need(code == OK, f"restricted ({code}): {message}")
    lock_id = "0x" + tx.hash.hex()
    _move(s, asset_id, sender, HTLC, amount, events)
    s[("htlc", lock_id)] = {
        "asset_id": asset_id,
        "sender": sender,
        "receiver": p["receiver"],
        "amount": amount,
        "hashlock": hashlock,
        "expiry": expiry,
        "state": "locked",
    }
    events.append(
        LedgerEvent(
            "htlc.locked",
            {
                "lock_id": lock_id,
                "asset_id": asset_id,
                "sender": sender,
                "receiver": p["receiver"],
                "amount": amount,
                "hashlock": hashlock,
                "expiry": expiry,
            },
        )
    )


def _htlc_claim(s, tx, p, events, ts):
    lock = s.get(("htlc", p["lock_id"]))
    _need(lock is not None, f"unknown HTLC lock {p['lock_id']}")
    _need(lock["state"] == "locked", f"HTLC lock is {lock['state']}")
    preimage = bytes.fromhex(p["preimage"][2:])
    _need("0x" + hashlib.sha256(preimage).hexdigest() == lock["hashlock"], "wrong preimage")
    _need(ts < lock["expiry"], f"HTLC expired at {lock['expiry']} (block time {ts})")
    _transfer_checked(s, lock["asset_id"], HTLC, lock["receiver"], lock["amount"], ts, events, "htlc.claim")
    s[("htlc", p["lock_id"])] = {**lock, "state": "claimed", "preimage": p["preimage"]}


def _htlc_refund(s, tx, p, events, ts):
    lock = s.get(("htlc", p["lock_id"]))
    _need(lock is not None, f"unknown HTLC lock {p['lock_id']}")
    _need(lock["state"] == "locked", f"HTLC lock is {lock['state']}")
    _need(ts >= lock["expiry"], f"HTLC not expired before {lock['expiry']} (block time {ts})")
    _move(s, lock["asset_id"], HTLC, lock["sender"], lock["amount"], events, "htlc.refund")
    s[("htlc", p["lock_id"])] = {**lock, "state": "refunded"}


def _dvp_propose(s, tx, p, events, ts):
    """The seller puts units up against cash: they wait in the DvP escrow until the buyer pays."""
    asset_id, cash_asset = p["asset_id"], p["cash_asset"]
    amount, cash_amount, deadline = _amount(p["amount"]), _amount(p["cash_amount"]), int(p["deadline"])
    _asset(s, asset_id)
    _asset(s, cash_asset)
    _need(asset_id != cash_asset, "the delivery and the payment must be different assets")
    _need(deadline > ts, f"deadline {deadline} is not after the block time {ts}")
    buyer, seller = p["buyer"], _holder(tx.sender)
    _need(buyer != seller, "a trade needs two parties")
    code, message = restriction(s, asset_id, seller, DVP, amount, ts)
    _need(code == OK, f"restricted ({code}): {message}")
    trade_id = "0x" + tx.hash.hex()
    _move(s, asset_id, seller, DVP, amount, events)
    s[("dvp", trade_id)] = {
        "asset_id": asset_id,
        "amount": amount,
        "cash_asset": cash_asset,
        "cash_amount": cash_amount,
        "seller": seller,
        "buyer": buyer,
        "deadline": deadline,
        "state": "proposed",
    }
    events.append(
        LedgerEvent(
            "dvp.proposed",
            {
                "trade_id": trade_id,
                "asset_id": asset_id,
                "amount": amount,
                "cash_asset": cash_asset,
                "cash_amount": cash_amount,
                "seller": seller,
                "buyer": buyer,
                "deadline": deadline,
            },
        )
    )


def _open_trade(s, trade_id: str) -> dict:
    trade = s.get(("dvp", trade_id))
    _need(trade is not None, f"unknown trade {trade_id}")
    _need(trade["state"] == "proposed", f"trade {trade_id} is {trade['state']}")
    return trade


def _dvp_accept(s, tx, p, events, ts):
    """Both legs in one transaction: if either is refused, neither moves and the trade stays open."""
    trade_id = p["trade_id"]
    trade = _open_trade(s, trade_id)
    buyer = _holder(tx.sender)
    _need(buyer == trade["buyer"], "only the named buyer may accept")
    _need(ts < trade["deadline"], f"trade expired at {trade['deadline']} (block time {ts})")
    _transfer_checked(s, trade["cash_asset"], buyer, trade["seller"], trade["cash_amount"], ts, events)
    _transfer_checked(  # the seller's units wait in escrow, but the delivery is still the seller's send
        s, trade["asset_id"], DVP, buyer, trade["amount"], ts, events, "dvp.delivery", owner=trade["seller"]
    )
    s[("dvp", trade_id)] = {**trade, "state": "settled"}
    events.append(LedgerEvent("dvp.settled", {"trade_id": trade_id}))


def _dvp_cancel(s, tx, p, events, ts):
    """The seller may withdraw an open offer; either party may end one that has expired."""
    trade_id = p["trade_id"]
    trade = _open_trade(s, trade_id)
    party = _holder(tx.sender)
    _need(party in (trade["seller"], trade["buyer"]), "only the seller or the buyer may cancel")
    _need(
        party == trade["seller"] or ts >= trade["deadline"],
        f"the buyer may cancel only after the deadline {trade['deadline']}",
    )
    _move(s, trade["asset_id"], DVP, trade["seller"], trade["amount"], events, "dvp.return")
    s[("dvp", trade_id)] = {**trade, "state": "cancelled"}
    events.append(LedgerEvent("dvp.cancelled", {"trade_id": trade_id, "by": party}))


HANDLERS: dict[str, Callable] = {
    "membership.add_client": _membership_add_client,
    "governance.propose": _governance_propose,
    "governance.vote": _governance_vote,
    "identity.register": _identity_register,
    "asset.register": _asset_register,
    "asset.document": _asset_document,
    "asset.fixing": _asset_fixing,
    "asset.corporate_action": _asset_corporate_action,
    "token.mint": _token_mint,
    "token.burn": _token_burn,
    "token.transfer": _token_transfer,
    "token.pause": _token_pause,
    "token.freeze": _token_freeze,
    "token.freeze_partial": _token_freeze_partial,
    "token.forced_transfer": _token_forced_transfer,
    "htlc.lock": _htlc_lock,
    "htlc.claim": _htlc_claim,
    "htlc.refund": _htlc_refund,
    "dvp.propose": _dvp_propose,
    "dvp.accept": _dvp_accept,
    "dvp.cancel": _dvp_cancel,
}


# ---- payload schemas: what admission checks before any handler runs ---------------------------
def _documents(value: list) -> str | None:
    ok = all(
        isinstance(d, list) and len(d) == 3 and all(isinstance(x, str) and len(x) <= 256 for x in d) for d in value
    )
    return None if ok else "each document is [name, uri, hash], three strings"


def _rules(value: dict) -> str | None:
    counts = ("max_holders", "max_balance", "locked_until")
    for name in counts:
        v = value.get(name)
        if v is not None and not (isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 256):
            return f"rule {name} must be a non-negative integer"
    countries = value.get("countries")
    if countries is not None and not (
        isinstance(countries, list) and all(isinstance(c, int) and not isinstance(c, bool) for c in countries)
    ):
        return "rule countries must be a list of country codes"
    classes = value.get("investor_classes")
    if classes is not None and not (isinstance(classes, list) and all(c in CLASSES for c in classes)):
        return f"rule investor_classes must be a list of {', '.join(CLASSES)}"
    return None


_ROLES = tuple(role.value for role in OrgRole)
AMOUNT, ASSET, ACCOUNT = Field("amount"), Field("asset"), Field("name")
GOVERNANCE_ARGS = {
    "add_organisation": {"org_id": Field("name"), "role": Field("choice", choices=_ROLES), "address": Field("address")},
    "remove_organisation": {"org_id": Field("name")},
    "add_validator": {"org_id": Field("name"), "address": Field("address")},
    "remove_validator": {"address": Field("address")},
}
SCHEMAS = {
    "membership.add_client": {"role": Field("choice", choices=_ROLES), "address": Field("address")},
    "governance.propose": {
        "action": Field("choice", choices=GOVERNANCE_ACTIONS),
        "args": Field("dict", optional=True),
    },
    "governance.vote": {"proposal": Field("bytes32")},
    "identity.register": {
        "holder": ACCOUNT,
        "country": Field("uint64"),
        "investor_class": Field("choice", choices=CLASSES),
        "kyc": Field("bool", optional=True),
    },
    "asset.register": {
        "asset_id": Field("name"),
        "term_sheet_hash": Field("text"),
        "name": Field("text", optional=True),
        "rules": Field("dict", optional=True, check=_rules),
        "documents": Field("list", optional=True, check=_documents),
    },
    "asset.document": {"asset_id": ASSET, "name": Field("name"), "uri": Field("text"), "hash": Field("text")},
    "asset.fixing": {"asset_id": ASSET, "date": Field("scalar"), "close": Field("scalar")},
    "asset.corporate_action": {
        "asset_id": ASSET,
        "action": Field("scalar"),
        "date": Field("scalar"),
        "detail": Field("dict", optional=True),
    },
    "token.mint": {"asset_id": ASSET, "to": ACCOUNT, "amount": AMOUNT},
    "token.burn": {"asset_id": ASSET, "from": ACCOUNT, "amount": AMOUNT},
    "token.transfer": {"asset_id": ASSET, "to": ACCOUNT, "amount": AMOUNT},
    "token.pause": {"asset_id": ASSET, "paused": Field("bool")},
    "token.freeze": {"asset_id": ASSET, "holder": ACCOUNT, "frozen": Field("bool")},
    "token.freeze_partial": {"asset_id": ASSET, "holder": ACCOUNT, "amount": Field("int256")},
    "token.forced_transfer": {"asset_id": ASSET, "from": ACCOUNT, "to": ACCOUNT, "amount": AMOUNT},
    "htlc.lock": {
        "asset_id": ASSET,
        "amount": AMOUNT,
        "expiry": Field("uint64"),
        "hashlock": Field("bytes32"),
        "receiver": ACCOUNT,
    },
    "htlc.claim": {"lock_id": Field("bytes32"), "preimage": Field("hex")},
    "htlc.refund": {"lock_id": Field("bytes32")},
    "dvp.propose": {
        "asset_id": ASSET,
        "cash_asset": ASSET,
        "amount": AMOUNT,
        "cash_amount": AMOUNT,
        "deadline": Field("uint64"),
        "buyer": ACCOUNT,
    },
    "dvp.accept": {"trade_id": Field("bytes32")},
    "dvp.cancel": {"trade_id": Field("bytes32")},
}

# The base state machine every ledger has, as the first entry of its module table.
CORE_MODULE = LedgerModule(
    "consortium", HANDLERS, dict(ROLE_PERMISSIONS), system_accounts=SYSTEM_ACCOUNTS, schemas=SCHEMAS
)


def core_modules() -> LedgerModules:
    """A fresh module table holding only the base state machine (a ledger then installs more)."""
    return LedgerModules(CORE_MODULE)


# ---- what ledger modules' handlers build on ----------------------------------------------------
need = _need
positive_amount = _amount
registered_asset = _asset
holder_of = _holder
move = _move
live_items = _items

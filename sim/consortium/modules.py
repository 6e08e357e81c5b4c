"""Ledger modules: how other packages teach a consortium ledger new transaction kinds.

The ledger's own state machine (:mod:`rwasim.consortium.state`) knows membership, governance,
identities, assets, tokens, HTLCs and DvP. Anything else — a bridge's escrow, for instance —
comes as a :class:`LedgerModule` that its owner installs on a ledger
(:meth:`~rwasim.consortium.ledger.ConsortiumLedger.install`). The ledger never imports the
package a module comes from; it only looks kinds up in the :class:`LedgerModules` it holds,
which every validator's state machine, the proofs and any light client of that ledger share.

A module gives:

* ``handlers``: transaction kind -> ``handler(state, tx, payload, events, timestamp)``; a
  handler raises :class:`~rwasim.consortium.state.Rejected` to keep its transaction in the
  block as rejected;
* ``permissions``: organisation role -> the kinds of this module that role may submit;
* ``event_ids``: event kind -> ``event_id(chain_id, fields)``, the 32-byte payload hash an
  event of that kind is proven by (other chains verify exactly that id), instead of
  :meth:`~rwasim.consortium.block.LedgerEvent.content_hash`;
* ``system_accounts``: accounts that hold units on behalf of the module (always eligible,
  never counted as holders);
* ``escrow_accounts``: the system accounts whose units back supply on other chains (reported
  as ``escrow_delta`` on ``consortium.tx`` events);
* ``schemas``: transaction kind -> ``{field name: Field}``, the shape of its payload. A
  payload that does not fit (a wrong type, a number out of its uint256 range, an address or
  bytes32 that is not 0x-hex of the right length, an unknown asset) is refused at the mempool
  and rejected with the reason at execution, before any handler sees it: nothing a client
  signs may crash a node. Fields not named in a schema are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rwasim.consortium.block import LedgerEvent, Receipt
from rwasim.consortium.membership import OrgRole
from rwasim.consortium.merkle import leaf_hash

Handler = Callable[..., None]
EventId = Callable[[int, dict], bytes]

UINT256 = 1 << 256
_HEX = re.compile(r"0x[0-9a-fA-F]*\Z")
MAX_TEXT = 256  # characters of a free-text field
MAX_ITEMS = 1024  # entries of a list or mapping field


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _hex(v: Any, digits: int | None) -> bool:
    return (
        isinstance(v, str)
        and (len(v) == digits + 2 if digits is not None else len(v) % 2 == 0 and len(v) <= 2 + 2 * 4096)
        and _HEX.match(v) is not None
    )


def _text(v: Any) -> bool:
    return isinstance(v, str) and len(v) <= MAX_TEXT


# type name -> (check, what a value of the type is, for the reason)
FIELD_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "uint256": (lambda v: _int(v) and 0 <= v < UINT256, "an integer in [0, 2**256)"),
    "amount": (lambda v: _int(v) and 0 < v < UINT256, "a positive integer below 2**256"),
    "int256": (lambda v: _int(v) and -(UINT256 >> 1) <= v < UINT256 >> 1, "an integer in [-2**255, 2**255)"),
    "uint64": (lambda v: _int(v) and 0 <= v < 1 << 64, "an integer in [0, 2**64)"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "address": (lambda v: _hex(v, 40), "a 20-byte 0x-hex address"),
    "bytes32": (lambda v: _hex(v, 64), "32 bytes as 0x-hex"),
    "hex": (lambda v: _hex(v, None), "0x-hex bytes (at most 4096)"),
    "text": (_text, f"a string of at most {MAX_TEXT} characters"),
    "name": (lambda v: _text(v) and v != "", f"a non-empty string of at most {MAX_TEXT} characters"),
    "asset": (lambda v: _text(v) and v != "", "a registered asset id"),
    "scalar": (lambda v: _text(v) or (_int(v) and -UINT256 < v < UINT256), "a string or an integer"),
    "list": (lambda v: isinstance(v, list) and len(v) <= MAX_ITEMS, f"a list of at most {MAX_ITEMS} items"),
    "dict": (lambda v: isinstance(v, dict) and len(v) <= MAX_ITEMS, f"a mapping of at most {MAX_ITEMS} entries"),
    "choice": (lambda v: True, "one of the listed values"),  # checked against Field.choices
}


@dataclass(frozen=True, slots=True)
class Field:
    """One payload field: its type (a :data:`FIELD_TYPES` name), whether it may be absent, the
    values it may take (``choice``) and a further check of its content (``check(value)`` -> why
    not, or None: lists of entries, nested mappings)."""

    type: str
    optional: bool = False
    choices: tuple = ()
    check: Callable[[Any], str | None] | None = None

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown field type {self.type!r}; known: {', '.join(FIELD_TYPES)}")


Schema = Mapping[str, Field]


def payload_problem(schema: Schema, payload: Any, known_asset: Callable[[str], bool] | None = None) -> str | None:
    """Why ``payload`` does not fit ``schema``, or None.

    ``known_asset`` (given at execution, where the state is final for this transaction)
    also checks that ``asset`` fields name a registered asset; the mempool leaves that to
    execution, since an asset may be registered by a transaction still pending.
    """
    if not isinstance(payload, dict):
        return f"malformed payload: a mapping, not {type(payload).__name__}"
    for name, spec in schema.items():
        if name not in payload:
            if spec.optional:
                continue
            return f"malformed payload: field {name!r} is missing"
        value = payload[name]
        check, what = FIELD_TYPES[spec.type]
        if spec.choices:
            ok = any(value == c and type(value) is type(c) for c in spec.choices)
            what = "one of " + ", ".join(repr(c) for c in spec.choices)
        else:
            ok = check(value)
        if not ok:
            shown = repr(value)
            return f"malformed payload: field {name!r} must be {what}, not {shown[:80]}"
        if spec.check is not None:
            why = spec.check(value)
            if why is not None:
                return f"malformed payload: field {name!r}: {why}"
        if known_asset is not None and spec.type == "asset" and not known_asset(value):
            return f"unknown asset {value!r}"
    return None


@dataclass(frozen=True)
class LedgerModule:
    """Transaction kinds, who may submit them, and how their events are proven."""

    name: str
    handlers: Mapping[str, Handler]
    permissions: Mapping[OrgRole, frozenset[str]] = field(default_factory=dict)
    event_ids: Mapping[str, EventId] = field(default_factory=dict)
    system_accounts: frozenset[str] = frozenset()
    escrow_accounts: frozenset[str] = frozenset()
    schemas: Mapping[str, Schema] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for role, kinds in self.permissions.items():
            stray = set(kinds) - set(self.handlers)
            if stray:
                raise ValueError(f"module {self.name!r} grants {role.value} kinds it does not handle: {sorted(stray)}")
        if not self.escrow_accounts <= self.system_accounts:
            raise ValueError(f"module {self.name!r}: escrow accounts must be system accounts")
        stray = set(self.schemas) - set(self.handlers)
        if stray:
            raise ValueError(f"module {self.name!r} describes payloads of kinds it does not handle: {sorted(stray)}")


class LedgerModules:
    """The modules installed on one ledger, merged into the lookup tables execution uses.

    Parameters
    ----------
    base : LedgerModule
        The ledger's own state machine, always present.
    """

    def __init__(self, base: LedgerModule) -> None:
        self._installed: dict[str, LedgerModule] = {}
        self.handlers: dict[str, Handler] = {}
        self.permitted: dict[str, frozenset[str]] = {role.value: frozenset() for role in OrgRole}
        self.event_ids: dict[str, EventId] = {}
        self.system_accounts: frozenset[str] = frozenset()
        self.escrow_accounts: frozenset[str] = frozenset()
        self.schemas: dict[str, Schema] = {}
        self.install(base)

    @property
    def names(self) -> tuple[str, ...]:
        """Installed module names, in installation order (the base first)."""
        return tuple(self._installed)

    def __contains__(self, name: object) -> bool:
        return name in self._installed

    def install(self, module: LedgerModule) -> bool:
        """Add ``module``; False if it is already installed (installing twice is harmless).

        Raises ValueError for another module of the same name, or one claiming a transaction
        or event kind that an installed module already handles.
        """
        present = self._installed.get(module.name)
        if present is not None:
            if present is not module:
                raise ValueError(f"another ledger module named {module.name!r} is already installed")
            return False
        clash = sorted(set(module.handlers) & set(self.handlers) | set(module.event_ids) & set(self.event_ids))
        if clash:
            raise ValueError(f"ledger module {module.name!r} claims kinds already handled: {clash}")
        self._installed[module.name] = module
        self.handlers.update(module.handlers)
        for role, kinds in module.permissions.items():
            self.permitted[role.value] = self.permitted[role.value] | frozenset(kinds)
        self.event_ids.update(module.event_ids)
        self.system_accounts = self.system_accounts | module.system_accounts
        self.escrow_accounts = self.escrow_accounts | module.escrow_accounts
        self.schemas.update(module.schemas)
        return True

    def payload_problem(self, kind: str, payload: Any, known_asset: Callable[[str], bool] | None = None) -> str | None:
        """Why a ``kind`` payload does not fit its schema, or None (a kind without one: any mapping)."""
        schema = self.schemas.get(kind)
        if schema is None:
            return None if isinstance(payload, dict) else "malformed payload: not a mapping"
        return payload_problem(schema, payload, known_asset)

    def unknown_kind(self, kind: str) -> str:
        """Why a transaction of an unhandled ``kind`` is refused."""
        return f"unknown transaction kind {kind!r}: no module installed on this ledger handles it (installed: {', '.join(self.names)})"

    def event_id(self, event: LedgerEvent, chain_id: int) -> bytes:
        """The payload hash ``event`` is proven by on the chain ``chain_id``."""
        custom = self.event_ids.get(event.kind)
        return custom(chain_id, event.fields) if custom is not None else event.content_hash()

    def event_leaves(self, chain_id: int, receipts: Iterable[Receipt]) -> list[bytes]:
        """Leaves of a block's event tree: every event of every receipt, in order."""
        ids = self.event_ids
        return [
            leaf_hash(ids[e.kind](chain_id, e.fields) if e.kind in ids else e.content_hash())
            for r in receipts
            for e in r.events
        ]

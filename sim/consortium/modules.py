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
  as ``escrow_delta`` on ``consortium.tx`` events).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rwasim.consortium.block import LedgerEvent, Receipt
from rwasim.consortium.membership import OrgRole
from rwasim.consortium.merkle import leaf_hash

Handler = Callable[..., None]
EventId = Callable[[int, dict], bytes]


@dataclass(frozen=True)
class LedgerModule:
    """Transaction kinds, who may submit them, and how their events are proven."""

    name: str
    handlers: Mapping[str, Handler]
    permissions: Mapping[OrgRole, frozenset[str]] = field(default_factory=dict)
    event_ids: Mapping[str, EventId] = field(default_factory=dict)
    system_accounts: frozenset[str] = frozenset()
    escrow_accounts: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for role, kinds in self.permissions.items():
            stray = set(kinds) - set(self.handlers)
            if stray:
                raise ValueError(f"module {self.name!r} grants {role.value} kinds it does not handle: {sorted(stray)}")
        if not self.escrow_accounts <= self.system_accounts:
            raise ValueError(f"module {self.name!r}: escrow accounts must be system accounts")


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
        return True

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

"""A note as it exists on the chains: its term sheet, its consortium asset, its wrapped token.

The licensed issuer registers the note on the consortium ledger (term-sheet hash, document
hash, eligibility rules taken from the term sheet) and, when it is bridged, the wrapped
ERC-3643 token on Ethereum carries the same document hash and the same eligibility as
compliance modules. Everything else (the offer, the lifecycle, the regulator) works on an
:class:`IssuedNote`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from rwasim.consortium.ledger import ConsortiumLedger
from rwasim.products import TermSheet, term_sheet_to_dict


def term_sheet_hash(term_sheet: TermSheet) -> str:
    """SHA-256 of the canonical JSON of the term sheet: what both chains record as its fingerprint."""
    canonical = json.dumps(term_sheet_to_dict(term_sheet), sort_keys=True, separators=(",", ":"), default=str)
    return "0x" + hashlib.sha256(canonical.encode()).hexdigest()


def eligibility_rules(term_sheet: TermSheet) -> dict[str, list]:
    """The term sheet's eligible classes and countries as consortium compliance rules."""
    rules: dict[str, list] = {"investor_classes": sorted(term_sheet.eligible_investor_classes)}
    if term_sheet.eligible_countries:
        rules["countries"] = sorted(term_sheet.eligible_countries)
    return rules


def wrapped_token_config(term_sheet: TermSheet) -> dict[str, Any]:
    """Name, symbol and compliance modules of the note's wrapped token on Ethereum (for ``ctx.bridge``)."""
    symbol = "w" + "".join(ch for ch in term_sheet.id if ch.isalnum())[:11].upper()
    return {"name": f"Wrapped {term_sheet.id}", "symbol": symbol, "modules": eligibility_rules(term_sheet)}


class EthereumHolderIndex:
    """Balances of an ERC-20 rebuilt from its Transfer logs, as an indexer (or a regulator's node) sees them.

    Reading logs rather than asking the issuer which wallets exist is the point: a holder the
    issuer does not know about still shows up.
    """

    def __init__(self, chain: Any, token: Any) -> None:
        self.chain = chain
        self.token = token
        self.balances: dict[str, int] = {}
        self.transfers: list[dict[str, Any]] = []
        self._next_block = 0

    def refresh(self) -> dict[str, int]:
        """Read new Transfer logs up to the head; return holders with a non-zero balance (sorted)."""
        head = self.chain.block_number
        if head >= self._next_block:
            for log in self.chain.get_logs(self.token, "Transfer", self._next_block, head):
                source, dest, amount = (
                    to_checksum_address(log["from"]),
                    to_checksum_address(log["to"]),
                    int(log["value"]),
                )
                self.transfers.append(
                    {"block": log["_block"], "tx": log["_tx"], "from": source, "to": dest, "amount": amount}
                )
                if int(source, 16):
                    self.balances[source] = self.balances.get(source, 0) - amount
                if int(dest, 16):
                    self.balances[dest] = self.balances.get(dest, 0) + amount
            self._next_block = head + 1
        return dict(sorted((k, v) for k, v in self.balances.items() if v))


@dataclass
class IssuedNote:
    """One note across the chains it lives on.

    Attributes
    ----------
    term_sheet : TermSheet
    asset_id : str
        The consortium asset (the note's id).
    ledger : ConsortiumLedger
    bridge : Bridge or None
        The lane carrying units to Ethereum, if the note is bridged.
    """

    term_sheet: TermSheet
    asset_id: str
    ledger: ConsortiumLedger
    bridge: Any = None
    ethereum_index: EthereumHolderIndex | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.bridge is not None and self.ethereum_index is None:
            self.ethereum_index = EthereumHolderIndex(self.bridge.chain, self.bridge.end.token)

    @property
    def chain(self) -> Any:
        return self.bridge.chain if self.bridge is not None else None

    @property
    def wrapped(self) -> Any:
        """The wrapped token on Ethereum (None when the note is not bridged)."""
        return self.bridge.end.token if self.bridge is not None else None

    def consortium_holders(self) -> dict[str, int]:
        """Consortium balances, system accounts (bridge escrow, HTLC, DvP escrow) included."""
        return self.ledger.state.holders(self.asset_id)

    def ethereum_holders(self) -> dict[str, int]:
        """Wrapped-token balances on Ethereum, from its Transfer logs."""
        return self.ethereum_index.refresh() if self.ethereum_index is not None else {}

    def units_issued(self) -> int:
        """Units in existence: the consortium supply (wrapped units are backed by the escrow)."""
        return self.ledger.state.total_supply(self.asset_id)

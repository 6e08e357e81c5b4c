"""Fixtures for the consortium ledger: real validators, real signatures, real SQLite."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rwasim.consortium import ConsortiumLedger, LedgerClient
from rwasim.engine import Simulation

ASSET = "HK-NOTE-1"


@dataclass
class Market:
    """A ledger with one registered note and four verified, funded investors."""

    sim: Simulation
    ledger: ConsortiumLedger
    issuer: LedgerClient
    investors: list[LedgerClient]

    def transfers(self, count: int, amount: int = 1):
        """``count`` transfers round the ring of investors."""
        n = len(self.investors)
        return [
            self.investors[i % n].submit(
                "token.transfer", {"asset_id": ASSET, "amount": amount, "to": self.investors[(i + 1) % n].holder}
            )
            for i in range(count)
        ]

    def total_supply_held(self) -> int:
        return sum(self.ledger.state.holders(ASSET).values())


def build_market(
    seed: int = 7, n_validators: int = 4, investors: int = 4, rules: dict | None = None, **ledger_args
) -> Market:
    sim = Simulation(seed=seed)
    ledger = ConsortiumLedger(sim, n_validators=n_validators, **ledger_args)
    issuer = ledger.org_client("issuer")
    handles = [
        issuer.submit(
            "asset.register",
            {
                "asset_id": ASSET,
                "term_sheet_hash": "0x" + "ab" * 32,
                "rules": rules if rules is not None else {"countries": [344, 702]},
                "documents": [["term-sheet", "ipfs://term-sheet", "0x" + "ab" * 32]],
            },
        )
    ]
    clients = []
    for i in range(investors):
        client, handle = ledger.add_client(f"investor-{i}", "issuer")
        clients.append(client)
        handles.append(handle)
    for client in clients:
        handles.append(
            issuer.submit(
                "identity.register", {"holder": client.holder, "country": 344, "investor_class": "professional"}
            )
        )
        handles.append(issuer.submit("token.mint", {"asset_id": ASSET, "to": client.holder, "amount": 1000}))
    ledger.settle(*handles)
    assert [h.reason for h in handles if not h.ok] == []
    return Market(sim, ledger, issuer, clients)


@pytest.fixture
def market() -> Market:
    return build_market()


def assert_nodes_agree(ledger: ConsortiumLedger) -> None:
    """Every online validator has the same chain and the same state."""
    nodes = [n for n in ledger.nodes.values() if n.online]
    heights = {n.height for n in nodes}
    assert len(heights) == 1, {n.name: n.height for n in nodes}
    assert len({n.state.state_root for n in nodes}) == 1
    assert len({n.head_hash for n in nodes}) == 1
    reference = nodes[0].state.data
    for node in nodes[1:]:
        assert node.state.data == reference, node.name

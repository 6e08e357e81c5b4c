"""A bridged market on the real consortium ledger and the real EVM."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rwasim.bridge.bridge import Bridge
from rwasim.bridge.gateway import EthereumEnd, deploy_ethereum_end
from rwasim.consortium import ConsortiumLedger, LedgerClient
from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain
from rwasim.ethereum.suite import register_investor

ASSET = "HKSN-2027"


@dataclass
class Bridged:
    sim: Simulation
    ledger: ConsortiumLedger
    chain: EthereumChain
    end: EthereumEnd
    bridge: Bridge
    issuer: LedgerClient
    carol: LedgerClient  # a consortium member with no identity: not eligible there
    alice: str  # eligible on Ethereum
    bob: str  # not registered on Ethereum
    mule: str  # eligible on Ethereum, controlled by the attacker

    def escrow(self) -> int:
        return self.ledger.state.balance_of(ASSET, "bridge-escrow")

    def wrapped(self, account: str) -> int:
        return self.end.token.call("balanceOf", account)


def build_bridged(
    verifier: str = "quorum",
    seed: int = 5,
    confirmations: int = 3,
    relayers: int = 1,
    batch_size: int = 1,
    checkpoint_dir=None,
    fraud_window: int = 300,
    **bridge_args,
) -> Bridged:
    sim = Simulation(seed=seed)
    ledger = ConsortiumLedger(sim)
    chain = EthereumChain(sim)
    issuer_eth, guardian, watcher = chain.accounts[0], chain.accounts[1], chain.accounts[2]
    end = deploy_ethereum_end(
        chain,
        ledger,
        asset_id=ASSET,
        lane=1,
        issuer=issuer_eth,
        guardian=guardian,
        verifier=verifier,
        watchers=[watcher],
        fraud_window=fraud_window,
        modules={"investor_classes": ["professional"]},
    )
    bridge = Bridge(
        sim,
        ledger,
        chain,
        end,
        confirmations=confirmations,
        relayers=relayers,
        batch_size=batch_size,
        checkpoint_dir=checkpoint_dir,
        watchers=[watcher],
        **bridge_args,
    )
    alice, bob, mule = chain.new_account("alice"), chain.new_account("bob"), chain.new_account("mule")
    register_investor(chain, end.suite, alice, country=344, investor_class="professional")
    register_investor(chain, end.suite, mule, country=344, investor_class="professional")
    issuer = ledger.org_client("issuer")
    carol, joined = ledger.add_client("carol", "issuer")
    handles = [
        joined,
        issuer.submit("asset.register", {"asset_id": ASSET, "term_sheet_hash": "0x" + "ab" * 32, "rules": {}}),
        issuer.submit("identity.register", {"holder": issuer.holder, "country": 344, "investor_class": "professional"}),
        issuer.submit("token.mint", {"asset_id": ASSET, "to": issuer.holder, "amount": 10_000}),
    ]
    ledger.settle(*handles)
    assert all(h.ok for h in handles)
    return Bridged(sim, ledger, chain, end, bridge, issuer, carol, alice, bob, mule)


@pytest.fixture
def bridged() -> Bridged:
    return build_bridged()

"""Fixtures for the Ethereum side: chains on every backend, a probe contract, the token suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import solcx

from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain
from rwasim.ethereum.backends import AnvilBackend, find_anvil
from rwasim.ethereum.compiler import SETTINGS, solc_binary
from rwasim.ethereum.errors import ChainError

PROBE_SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Probe {
    error TooBig(uint256 value, uint256 limit);
    event Bumped(address indexed by, uint256 value);
    uint256 public value;
    function bump(uint256 by) external {
        if (value + by > 100) revert TooBig(value + by, 100);
        value += by;
        emit Bumped(msg.sender, value);
    }
    function fail(string calldata why) external pure { require(false, why); }
    function divide(uint256 d) external pure returns (uint256) { return 1 / d; }
    function stamp() external view returns (uint256) { return block.timestamp; }
}
"""

BACKENDS = [
    "eth-tester",
    "revm",
    pytest.param("anvil", marks=pytest.mark.anvil),
    pytest.param("url", marks=pytest.mark.anvil),
]


@pytest.fixture(scope="session")
def probe_artifacts(tmp_path_factory) -> Path:
    """The probe contract compiled by the pinned compiler into an artifacts folder."""
    out = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"Probe.sol": {"content": PROBE_SOURCE}},
            "settings": {**SETTINGS, "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
        },
        solc_binary=solc_binary(),
    )
    compiled = out["contracts"]["Probe.sol"]["Probe"]
    folder = tmp_path_factory.mktemp("probe-artifacts")
    (folder / "Probe.json").write_text(
        json.dumps(
            {
                "contractName": "Probe",
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
            }
        )
    )
    return folder


def require_anvil() -> Path:
    """anvil's path; a missing anvil FAILS the test with the install command (never a silent skip)."""
    try:
        return find_anvil()
    except ChainError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def anvil_url():
    """A separate anvil node for the URL backend, stopped after the module."""
    require_anvil()
    node = AnvilBackend()
    node.start(Simulation().timestamp(), [], 0)
    yield node.url
    node.close()


@pytest.fixture(params=BACKENDS)
def make_chain(request, probe_artifacts):
    """A factory of chains on the parametrised backend; every chain it made is closed after the test."""
    made: list[EthereumChain] = []

    def factory(sim: Simulation | None = None, artifacts_dir: Path | None = None) -> EthereumChain:
        if request.param == "anvil":
            require_anvil()
            backend = "anvil"
        elif request.param == "url":
            backend = request.getfixturevalue("anvil_url")
        else:
            backend = request.param
        chain = EthereumChain(sim or Simulation(seed=1), backend, artifacts_dir=artifacts_dir or probe_artifacts)
        made.append(chain)
        return chain

    factory.backend = request.param
    yield factory
    for chain in made:
        chain.close()


@pytest.fixture
def chain() -> EthereumChain:
    """A fresh eth-tester chain with the committed artifacts."""
    with EthereumChain(Simulation(seed=1)) as c:
        yield c


HK, SG, US = 344, 702, 840


class Market:
    """A deployed token suite with registered investors, shared by a test module and reset by
    snapshot/revert around every test (so each test starts from the same state)."""

    def __init__(self) -> None:
        from rwasim.ethereum.suite import deploy_cash_token, deploy_settlement, deploy_token_suite, register_investor

        self.sim = Simulation(seed=3)
        self.chain = EthereumChain(self.sim)
        c = self.chain
        self.issuer, self.agent, self.bank = c.accounts[0], c.accounts[1], c.accounts[2]
        self.suite = deploy_token_suite(c, name="Note", symbol="NOTE", issuer=self.issuer, agents=[self.agent])
        self.token = self.suite.token
        self.alice = c.new_account("alice")
        self.bob = c.new_account("bob")
        self.carol = c.new_account("carol")
        self.retail = c.new_account("retail")
        self.stranger = c.new_account("stranger")  # never registered
        register_investor(c, self.suite, self.issuer, country=HK, investor_class="professional")
        register_investor(c, self.suite, self.alice, country=HK, investor_class="professional")
        register_investor(c, self.suite, self.bob, country=SG, investor_class="accredited")
        register_investor(c, self.suite, self.carol, country=US, investor_class="professional")
        register_investor(c, self.suite, self.retail, country=HK, investor_class="retail")
        self.cash = deploy_cash_token(c, symbol="HKD", bank=self.bank)
        self.settlement = deploy_settlement(c)
        c.transact(
            self.suite.identity_registry, "registerSystemIdentity", self.settlement.htlc.address, sender=self.issuer
        )
        for who in (self.issuer, self.alice, self.bob, self.carol, self.settlement.htlc.address):
            c.transact(self.cash, "setAllowed", who, True, sender=self.bank)
        c.transact(self.token, "batchMint", [self.alice, self.bob], [1000, 500], sender=self.issuer)

    def add_module(self, key, value):
        from rwasim.ethereum.suite import _deploy_module

        module = _deploy_module(self.chain, self.suite, key, value)
        self.chain.transact(self.suite.compliance, "addModule", module.address, sender=self.issuer)
        return module

    def _slot_stamped(self, timestamp: int, before: bool) -> int:
        """The slot whose block is stamped at or after ``timestamp`` (or the last one before it)."""
        c = self.chain
        offset = timestamp - self.sim.epoch - c.time_offset - c.casper.genesis_time
        slot = -(-offset // int(c.slot_seconds))  # ceil: the first slot stamped >= timestamp
        return int(slot) - 1 if before else int(slot)

    def advance_to(self, timestamp: int, *, before: bool = False) -> int:
        """Move simulated time so that the next block is the first slot stamped at or after
        ``timestamp`` (``before``: the last slot stamped before it); return that stamp.

        Blocks come only at slot starts, 12 s apart, so a boundary is tested slot by slot.
        """
        c = self.chain
        slot = self._slot_stamped(timestamp, before)
        ready = c.slot_time(slot - 1) + 0.5  # inside the previous slot: the next block is ``slot``'s
        if ready > self.sim.now:
            self.sim.run(until=ready)
        stamp = c.next_timestamp()
        assert stamp == self.sim.epoch + c.time_offset + int(c.slot_time(slot)), "that slot has passed already"
        return stamp


@pytest.fixture(scope="module")
def market_base():
    market = Market()
    yield market
    market.chain.close()


@pytest.fixture
def market(market_base):
    """The shared market, reverted to its starting state after the test (titanoboa's anchor)."""
    snapshot = market_base.chain.snapshot()
    now = market_base.sim.env.now
    yield market_base
    market_base.chain.revert(snapshot)
    # Simulated time only moves forward; later tests see later timestamps, which they compute from.
    assert market_base.sim.env.now >= now

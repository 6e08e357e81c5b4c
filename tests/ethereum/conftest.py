"""Fixtures for the Ethereum side: chains on every backend, a probe contract, the token suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import solcx

from sim.engine import Simulation
from sim.ethereum import EthereumChain
from sim.ethereum.backends import AnvilBackend, find_anvil
from sim.ethereum.compiler import SETTINGS, solc_binary
from sim.ethereum.errors import ChainError

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

BACKENDS = ["eth-tester", pytest.param("anvil", marks=pytest.mark.anvil), pytest.param("url", marks=pytest.mark.anvil)]


@pytest.fixture(scope="session")
def probe_artifacts(tmp_path_factory) -> Path:
    """The probe contract compiled by the pinned compiler into an artifacts folder."""
    out = solcx.compile_standard(
        {"language": "Solidity", "sources": {"Probe.sol": {"content": PROBE_SOURCE}},
         "settings": {**SETTINGS, "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}}},
        solc_binary=solc_binary(),
    )
    compiled = out["contracts"]["Probe.sol"]["Probe"]
    folder = tmp_path_factory.mktemp("probe-artifacts")
    (folder / "Probe.json").write_text(json.dumps({
        "contractName": "Probe", "abi": compiled["abi"], "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
    }))
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
            backend = "eth-tester"
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

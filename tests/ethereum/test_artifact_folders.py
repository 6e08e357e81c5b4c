"""A team's artifact folders are searched in order, rwasim's own always last."""

from __future__ import annotations

import shutil

import pytest

from rwasim.engine import Simulation
from rwasim.ethereum import ChainError, EthereumChain
from rwasim.ethereum.artifacts import DEFAULT_ARTIFACTS_DIR


def test_folders_are_searched_in_order_and_rwasims_own_last(tmp_path, probe_artifacts):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    # "CashToken" in the first folder is the probe: a team's artifact wins over rwasim's of the same name.
    shutil.copyfile(probe_artifacts / "Probe.json", first / "CashToken.json")
    shutil.copyfile(probe_artifacts / "Probe.json", second / "Probe.json")
    with EthereumChain(Simulation(seed=1), artifacts_dir=[first, str(second)]) as chain:
        assert chain.artifacts_dirs == (first, second, DEFAULT_ARTIFACTS_DIR)
        probe = chain.deploy("Probe")
        chain.transact(probe, "bump", 5, sender=chain.accounts[0])
        assert probe.call("value") == 5
        assert "bump" in chain.artifact("CashToken").abi.functions
        token = chain.deploy("SecurityToken", "N", "N", 0, chain.accounts[1], chain.accounts[2])
        assert token.call("symbol") == "N"  # from rwasim's folder, searched last


def test_one_folder_and_the_missing_artifact_error_lists_where_it_looked(tmp_path, probe_artifacts):
    with EthereumChain(Simulation(seed=1), artifacts_dir=probe_artifacts) as chain:
        assert chain.artifacts_dirs == (probe_artifacts, DEFAULT_ARTIFACTS_DIR)
        with pytest.raises(ChainError) as missing:
            chain.deploy("Vault")
    assert str(missing.value) == (
        f"no artifact for contract 'Vault': looked in {probe_artifacts}, {DEFAULT_ARTIFACTS_DIR}"
        " (build yours with `rwasim contracts build --src DIR --out DIR`)"
    )

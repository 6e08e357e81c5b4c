"""The committed artifacts are what the pinned compiler makes of the sources, and the build
says which contract is wrong when they drift apart."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rwasim.cli import main
from rwasim.ethereum.compiler import CONTRACTS_DIR, CompilerError, build_contracts


@pytest.fixture
def contracts_copy(tmp_path) -> Path:
    """A copy of contracts/ (sources, artifacts, the compiler front end and its node_modules link)."""
    copy = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, copy, ignore=shutil.ignore_patterns("node_modules"))
    (copy / "node_modules").symlink_to(CONTRACTS_DIR / "node_modules")
    return copy


def test_committed_artifacts_match_the_sources(capsys):
    assert main(["contracts", "build", "--check"]) == 0
    assert "artifacts match their sources (solc 0.8.28+commit.7893614a)" in capsys.readouterr().out


def test_a_rebuild_is_byte_identical(tmp_path):
    result = build_contracts(out_dir=tmp_path / "build")
    assert "SecurityToken" in result.written and result.compiler.startswith("0.8.28+commit.")
    for name in result.written:
        assert (tmp_path / "build" / f"{name}.json").read_bytes() == (
            CONTRACTS_DIR / "build" / f"{name}.json"
        ).read_bytes()
    # Interfaces and abstract contracts have no bytecode and get no artifact.
    assert not (tmp_path / "build" / "IERC20.json").exists()
    assert not (tmp_path / "build" / "ComplianceModule.json").exists()


def test_editing_an_import_makes_its_dependants_stale(contracts_copy):
    registry = contracts_copy / "interfaces" / "IIdentityRegistry.sol"
    registry.write_text(registry.read_text() + "\n// an edit\n")
    (contracts_copy / "build" / "HashedTimelock.json").unlink()
    result = build_contracts(check=True, contracts_dir=contracts_copy)
    assert not result.ok
    problems = "\n".join(result.problems)
    assert "SecurityToken: artifact is stale" in problems
    assert "CountryAllowModule: artifact is stale" in problems
    assert "HashedTimelock: no artifact" in problems
    assert "CashToken" not in problems  # does not import the registry


def test_an_artifact_without_a_source_is_named(contracts_copy):
    (contracts_copy / "CashToken.sol").unlink()
    result = build_contracts(check=True, contracts_dir=contracts_copy)
    assert "CashToken: artifact has no contract in the sources any more" in result.problems


def test_a_syntax_error_is_reported_with_the_compiler_message(contracts_copy):
    (contracts_copy / "Broken.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\ncontract Broken { function }\n"
    )
    with pytest.raises(CompilerError, match=r"compilation failed:\n.*ParserError"):
        build_contracts(contracts_dir=contracts_copy)


def test_a_missing_compiler_says_how_to_install_it(tmp_path):
    bare = tmp_path / "contracts"
    bare.mkdir()
    (bare / "A.sol").write_text("pragma solidity ^0.8.24; contract A {}")
    with pytest.raises(CompilerError, match="npm ci --prefix contracts"):
        build_contracts(contracts_dir=bare)

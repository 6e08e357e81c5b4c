"""The committed artifacts are what the pinned compiler makes of the sources, and the build
says which contract is wrong when they drift apart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rwasim.cli import main
from rwasim.ethereum.compiler import CONTRACTS_DIR, CompilerError, build_contracts, compile_all, find_compiler

TINY = "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\ncontract Tiny { uint256 public x = 7; }\n"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "user_project"
NODE = shutil.which("node")  # looked up before any test empties PATH


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


def test_a_team_folder_builds_with_src_and_out_and_out_defaults_to_src_build(tmp_path, capsys):
    src = tmp_path / "mine"
    src.mkdir()
    (src / "Tiny.sol").write_text(TINY)
    assert main(["contracts", "build", "--src", str(src), "--out", str(tmp_path / "arts")]) == 0
    assert json.loads((tmp_path / "arts" / "Tiny.json").read_text())["sourceName"] == "Tiny.sol"
    assert main(["contracts", "build", "--src", str(src)]) == 0
    assert (src / "build" / "Tiny.json").read_bytes() == (tmp_path / "arts" / "Tiny.json").read_bytes()
    assert "compiler: solc 0.8.28 (npm solc-js in" in capsys.readouterr().err
    assert main(["contracts", "build", "--src", str(src), "--check"]) == 0


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("missing", "rwasim: no contracts folder at {src}"),
        ("empty", "rwasim: no Solidity sources (*.sol) in {src}"),
        ("out-under-a-file", "rwasim: cannot write artifacts to {out}: Not a directory"),
    ],
)
def test_build_mistakes_are_one_line_and_exit_2(tmp_path, capsys, layout, message):
    src, out = tmp_path / "src", tmp_path / "out"
    if layout != "missing":
        src.mkdir()
    if layout == "out-under-a-file":
        (src / "Tiny.sol").write_text(TINY)
        (tmp_path / "a-file").write_text("")
        out = tmp_path / "a-file" / "build"
    assert main(["contracts", "build", "--src", str(src), "--out", str(out)]) == 2
    assert capsys.readouterr().err == message.format(src=src, out=out) + "\n"


def test_the_example_project_imports_rwasim_contracts_and_its_artifacts_are_current(capsys):
    """``import "rwasim/..."`` resolves to rwasim's contracts, which count in the source hash but get no artifact."""
    args = ["contracts", "build", "--src", str(EXAMPLE / "contracts"), "--out", str(EXAMPLE / "build"), "--check"]
    assert main(args) == 0, capsys.readouterr().out
    assert "1 artifacts match their sources" in capsys.readouterr().out
    assert sorted(p.name for p in (EXAMPLE / "build").iterdir()) == ["WhitelistedVault.json"]


# -- which compiler: each case in a real environment (PATH, py-solc-x's folder, rwasim's cache) --


def _solcx_folder(tmp_path: Path, version: str) -> Path:
    """A py-solc-x install folder holding one working solc (the pinned solc-js, run by an absolute node)."""
    assert NODE, "these tests need Node, as the suite does"
    folder = tmp_path / "solcx"
    folder.mkdir()
    binary = folder / f"solc-v{version}"
    binary.write_text(f'#!/bin/sh\nexec {NODE} {CONTRACTS_DIR / "solc-js"} "$@"\n')
    binary.chmod(0o755)
    return folder


@pytest.fixture
def no_node(tmp_path, monkeypatch):
    """PATH without node or npm, an empty rwasim cache; py-solc-x's folder set per test."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("RWASIM_CACHE_DIR", str(tmp_path / "cache"))
    return monkeypatch


def test_the_checkout_npm_compiler_comes_first_and_nothing_is_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("RWASIM_CACHE_DIR", str(tmp_path / "cache"))
    compiler = find_compiler()
    assert compiler.binary == CONTRACTS_DIR / "solc-js"
    assert compiler.describe() == f"compiler: solc 0.8.28 (npm solc-js in {CONTRACTS_DIR / 'node_modules'})"
    assert not (tmp_path / "cache").exists()


def test_without_node_the_pinned_solc_of_py_solc_x_is_used(tmp_path, no_node):
    no_node.setenv("SOLCX_BINARY_PATH", str(_solcx_folder(tmp_path, "0.8.28")))
    compiler = find_compiler()
    assert (compiler.origin, compiler.version, compiler.note) == ("installed by py-solc-x", "0.8.28", "")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "Tiny.sol").write_text(TINY)
    artifacts, version = compile_all(tmp_path / "mine", compiler)
    assert list(artifacts) == ["Tiny"] and version == "0.8.28+commit.7893614a"


def test_another_py_solc_x_version_is_used_and_says_check_needs_the_pinned_one(tmp_path, no_node):
    no_node.setenv("SOLCX_BINARY_PATH", str(_solcx_folder(tmp_path, "0.8.27")))
    compiler = find_compiler()
    assert compiler.version == "0.8.27"
    assert "rwasim pins solc 0.8.28: `--check` against rwasim's own artifacts needs that version" in compiler.describe()


def test_with_neither_node_nor_py_solc_x_the_error_is_one_line_naming_both_ways(tmp_path, no_node, capsys):
    (tmp_path / "solcx").mkdir()
    no_node.setenv("SOLCX_BINARY_PATH", str(tmp_path / "solcx"))
    with pytest.raises(CompilerError) as missing:
        find_compiler()
    assert "\n" not in str(missing.value)
    assert "install Node 20 with npm" in str(missing.value)
    assert "python -c \"import solcx; solcx.install_solc('0.8.28')\"" in str(missing.value)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "Tiny.sol").write_text(TINY)
    assert main(["contracts", "build", "--src", str(tmp_path / "mine")]) == 2
    assert capsys.readouterr().err == f"rwasim: {missing.value}\n"


@pytest.mark.slow
def test_a_wheel_layout_installs_the_pinned_solc_js_into_the_cache_once(tmp_path, monkeypatch, capfd):
    """rwasim's contracts folder as a wheel ships it (no node_modules): npm installs the pinned solc, once."""
    home = tmp_path / "site-packages-contracts"
    shutil.copytree(CONTRACTS_DIR, home, ignore=shutil.ignore_patterns("node_modules", "build", "*.sol"))
    cache = tmp_path / "xdg" / "rwasim"
    monkeypatch.delenv("RWASIM_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    compiler = find_compiler(home)
    target = cache / "solc-js-0.8.28"
    assert compiler.binary == target / "solc-js" and compiler.origin == f"npm solc-js in {target}"
    assert capfd.readouterr().err == (
        f"rwasim: installing the pinned Solidity compiler (npm solc 0.8.28) into {target} (once)\n"
    )
    assert json.loads((target / "node_modules" / "solc" / "package.json").read_text())["version"] == "0.8.28"
    assert not (target / "node_modules" / "@foundry-rs").exists()  # anvil is optional and left out
    assert find_compiler(home).binary == compiler.binary
    assert capfd.readouterr().err == ""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "Tiny.sol").write_text(TINY)
    artifacts, version = compile_all(tmp_path / "mine", compiler)
    assert list(artifacts) == ["Tiny"] and version == "0.8.28+commit.7893614a"

"""Compile ``contracts/`` with py-solc-x through the pinned solc-js, and check the artifacts.

The compiler is the npm package ``solc`` pinned in ``contracts/package-lock.json``, driven
through ``contracts/solc-js`` (a solc-compatible front end), because py-solc-x cannot
download native compilers here. Artifacts are committed, so running a scenario needs no
Node; :func:`build_contracts` with ``check=True`` proves they still match their sources.

One artifact is written per contract with bytecode (interfaces and abstract contracts have
none and get none). Its ``sourceHash`` is the keccak256 of the contract's file and of every
file it imports, directly or not, so editing an import makes the artifact stale too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from rwasim.packaged import contracts_folder

CONTRACTS_DIR = contracts_folder()
SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 200},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"], "": ["ast"]},
    },
}


class CompilerError(Exception):
    """The compiler is missing or the sources do not compile."""


@dataclass
class BuildResult:
    """What a build or check did: artifacts written or checked, and problems found."""

    written: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    compiler: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.problems:
            return "contracts check FAILED:\n" + "\n".join(f"  - {p}" for p in self.problems)
        if self.checked:
            return f"{len(self.checked)} artifacts match their sources (solc {self.compiler})"
        return f"wrote {len(self.written)} artifacts with solc {self.compiler}: {', '.join(self.written)}"


def solc_binary(contracts_dir: Path = CONTRACTS_DIR) -> Path:
    """The solc-js front end, or CompilerError saying how to install the pinned compiler."""
    binary = contracts_dir / "solc-js"
    if not (contracts_dir / "node_modules" / "solc" / "package.json").is_file():
        raise CompilerError(
            f"the pinned Solidity compiler is not installed in {contracts_dir}/node_modules: "
            "run `npm ci --prefix contracts` (or `make test`, which does)"
        )
    return binary


def _sources(contracts_dir: Path) -> dict[str, str]:
    paths = sorted(p for p in contracts_dir.rglob("*.sol") if "node_modules" not in p.parts)
    return {p.relative_to(contracts_dir).as_posix(): p.read_text(encoding="utf-8") for p in paths}


def _imports_closure(source: str, ast_by_source: dict[str, Any]) -> list[str]:
    """``source`` and every file it imports, transitively, sorted."""
    seen: set[str] = set()
    pending = [source]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for node in ast_by_source[current].get("nodes", []):
            if node.get("nodeType") == "ImportDirective":
                pending.append(node["absolutePath"])
    return sorted(seen)


def _source_hash(files: list[str], sources: dict[str, str]) -> str:
    material = b"".join(name.encode() + b"\0" + sources[name].encode() + b"\0" for name in files)
    return "0x" + keccak(material).hex()


def compile_all(contracts_dir: Path = CONTRACTS_DIR) -> tuple[dict[str, dict[str, Any]], str]:
    """Compile every source; returns ``(artifacts by contract name, compiler version)``."""
    import solcx

    binary = solc_binary(contracts_dir)
    sources = _sources(contracts_dir)
    if not sources:
        raise CompilerError(f"no Solidity sources in {contracts_dir}")
    standard_input = {
        "language": "Solidity",
        "sources": {k: {"content": v} for k, v in sources.items()},
        "settings": SETTINGS,
    }
    try:
        output = solcx.compile_standard(standard_input, solc_binary=binary, allow_empty=True)
    except solcx.exceptions.SolcError as exc:
        raise CompilerError(_format_errors(getattr(exc, "stdout_data", "") or str(exc))) from None
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompilerError("compilation failed:\n" + "\n".join(e["formattedMessage"] for e in errors))
    # py-solc-x 2.x's get_solc_version has no solc_binary parameter; _accepts_binary() checks at run time
    version = (
        str(solcx.get_solc_version(with_commit_hash=True, solc_binary=binary))  # type: ignore[call-arg]
        if _accepts_binary()
        else ""
    )
    if not version:
        version = _version_via_binary(binary)
    ast_by_source = {name: output["sources"][name]["ast"] for name in sources}
    artifacts: dict[str, dict[str, Any]] = {}
    for source_name in sorted(output["contracts"]):
        for contract_name, compiled in sorted(output["contracts"][source_name].items()):
            bytecode = compiled["evm"]["bytecode"]["object"]
            if not bytecode:
                continue  # interfaces and abstract contracts cannot be deployed
            if contract_name in artifacts:
                raise CompilerError(f"two contracts are named {contract_name}: artifact names must be unique")
            settings = {k: v for k, v in SETTINGS.items() if k != "outputSelection"}
            artifacts[contract_name] = {
                "contractName": contract_name,
                "sourceName": source_name,
                "abi": compiled["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "methodIdentifiers": compiled["evm"].get("methodIdentifiers", {}),
                "compiler": version,
                "settings": settings,
                "sourceHash": _source_hash(_imports_closure(source_name, ast_by_source), sources),
            }
    return artifacts, version


def _accepts_binary() -> bool:
    import inspect

    import solcx

    return "solc_binary" in inspect.signature(solcx.get_solc_version).parameters


def _version_via_binary(binary: Path) -> str:
    import re
    import subprocess

    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Version: (\S+)", out)
    return match.group(1) if match else "unknown"


def _format_errors(text: str) -> str:
    try:
        data = json.loads(text)
        return "compilation failed:\n" + "\n".join(e["formattedMessage"] for e in data.get("errors", []))
    except (ValueError, TypeError):
        return f"compilation failed: {text}"


def artifact_text(artifact: dict[str, Any]) -> str:
    """The exact bytes an artifact is committed as: sorted keys, indent 2, trailing newline."""
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def build_contracts(
    check: bool = False, contracts_dir: Path = CONTRACTS_DIR, out_dir: Path | None = None
) -> BuildResult:
    """Compile ``contracts_dir`` and write (or, with ``check``, verify) ``out_dir`` artifacts.

    With ``check=True`` nothing is written; every contract whose artifact is missing, stale
    (its source hash differs) or different (ABI or bytecode), and every artifact whose
    contract is gone, is named in ``problems``.
    """
    out_dir = Path(out_dir) if out_dir is not None else contracts_dir / "build"
    artifacts, version = compile_all(contracts_dir)
    result = BuildResult(compiler=version)
    if check:
        for name, artifact in artifacts.items():
            path = out_dir / f"{name}.json"
            if not path.is_file():
                result.problems.append(f"{name}: no artifact at {path} (run `rwasim contracts build`)")
                continue
            committed = json.loads(path.read_text(encoding="utf-8"))
            if committed.get("sourceHash") != artifact["sourceHash"]:
                result.problems.append(f"{name}: artifact is stale, {artifact['sourceName']} (or an import) changed")
            elif committed.get("bytecode") != artifact["bytecode"] or committed.get("abi") != artifact["abi"]:
                result.problems.append(f"{name}: artifact bytecode or ABI differs from a fresh compile")
            elif path.read_text(encoding="utf-8") != artifact_text(artifact):
                result.problems.append(f"{name}: artifact file differs from a fresh build (compiler or settings)")
            result.checked.append(name)
        for path in sorted(out_dir.glob("*.json")):
            if path.stem not in artifacts:
                result.problems.append(f"{path.stem}: artifact has no contract in the sources any more")
        return result
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, artifact in artifacts.items():
        (out_dir / f"{name}.json").write_text(artifact_text(artifact), encoding="utf-8")
        result.written.append(name)
    for path in sorted(out_dir.glob("*.json")):
        if path.stem not in artifacts:
            path.unlink()
    return result

"""Compile Solidity sources (rwasim's own or a team's) and check the committed artifacts.

The compiler is the npm package ``solc`` pinned in rwasim's ``contracts/package-lock.json``,
driven through ``contracts/solc-js`` (a solc-compatible front end) by py-solc-x, because
py-solc-x cannot download native compilers everywhere. :func:`find_compiler` picks one and
says which: the checkout's ``contracts/node_modules``, else the same pinned package installed
once with npm into rwasim's per-user cache (a wheel install), else a solc py-solc-x has
installed, else a one-line error naming both ways to get one.

Artifacts are committed, so running a scenario needs no compiler; :func:`build_contracts`
with ``check=True`` proves they still match their sources. One artifact is written per
contract with bytecode (interfaces and abstract contracts have none and get none). Its
``sourceHash`` is the keccak256 of the contract's file and of every file it imports,
directly or not, so editing an import makes the artifact stale too. A team's sources may
``import "rwasim/..."``: those names resolve to rwasim's own contracts folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from rwasim.packaged import cache_folder, contracts_folder

CONTRACTS_DIR = contracts_folder()
SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 200},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"], "": ["ast"]},
    },
}


RWASIM_IMPORT_PREFIX = "rwasim/"
_RWASIM_IMPORT = re.compile(r"""import\s[^;]*?["']rwasim/""")


class CompilerError(Exception):
    """The compiler is missing or the sources do not compile."""


@dataclass(frozen=True)
class Compiler:
    """A solc the build runs, where it came from, and anything the user should know about it."""

    binary: Path
    origin: str
    version: str
    note: str = ""

    def describe(self) -> str:
        """One line for stderr: which compiler, and the note if there is one."""
        line = f"compiler: solc {self.version} ({self.origin})"
        return f"{line}; {self.note}" if self.note else line


def _pinned_solc(home: Path) -> str:
    manifest = json.loads((home / "package.json").read_text(encoding="utf-8"))
    return str(manifest["dependencies"]["solc"])


def _solc_js_ready(folder: Path) -> bool:
    return (folder / "node_modules" / "solc" / "package.json").is_file() and (folder / "solc-js").is_file()


def _install_solc_js(home: Path, target: Path, npm: str, version: str) -> None:
    """``npm ci`` the pinned solc from ``home``'s package.json and lock into ``target``, with the front end.

    Installed into a staging folder and renamed into place, so an interrupted install is
    never mistaken for a finished one.
    """
    print(f"rwasim: installing the pinned Solidity compiler (npm solc {version}) into {target} (once)", file=sys.stderr)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError as exc:
        raise CompilerError(f"cannot create rwasim's cache folder {target.parent}: {exc.strerror}") from None
    try:
        for name in ("package.json", "package-lock.json", "solc-js"):
            shutil.copyfile(home / name, staging / name)
        (staging / "solc-js").chmod(0o755)
        done = subprocess.run(
            [npm, "ci", "--omit=optional", "--no-audit", "--no-fund"],
            cwd=staging,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            reason = lines[-1].strip() if lines else f"exit status {done.returncode}"
            raise CompilerError(f"`npm ci` of the pinned Solidity compiler into {target} failed: {reason}")
        try:
            staging.rename(target)
        except OSError:
            if not _solc_js_ready(target):  # another process may have finished first; otherwise it is ours to report
                raise CompilerError(f"cannot move the installed compiler into {target}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def find_compiler(home: Path | None = None, *, install: bool = True) -> Compiler:
    """The Solidity compiler to build with, chosen in this order (the first that exists wins).

    1. the pinned npm solc-js in ``home/node_modules`` (a checkout after ``npm ci --prefix contracts``);
    2. with Node and npm on PATH: the same pinned solc-js in rwasim's cache
       (``<cache>/solc-js-<version>``, see :func:`rwasim.packaged.cache_folder`), installed
       there from the shipped package.json and lock file on first use (``install=False`` skips that);
    3. a solc installed by py-solc-x, the pinned version if present, else the newest (with a note);
    4. otherwise CompilerError, one line naming both ways to get a compiler.

    ``home`` is rwasim's contracts folder (package.json, package-lock.json, solc-js).
    """
    home = CONTRACTS_DIR if home is None else Path(home)
    pinned = _pinned_solc(home)
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and _solc_js_ready(home):
        return Compiler(home / "solc-js", f"npm solc-js in {home / 'node_modules'}", pinned)
    npm_failure = ""
    if node and npm:
        target = cache_folder() / f"solc-js-{pinned}"
        if not _solc_js_ready(target) and install:
            try:
                _install_solc_js(home, target, npm, pinned)
            except CompilerError as exc:
                npm_failure = str(exc)
        if _solc_js_ready(target):
            return Compiler(target / "solc-js", f"npm solc-js in {target}", pinned)
    import solcx

    installed = [str(v) for v in solcx.get_installed_solc_versions()]
    if installed:
        chosen = pinned if pinned in installed else installed[0]
        note = (
            ""
            if chosen == pinned
            else (f"rwasim pins solc {pinned}: `--check` against rwasim's own artifacts needs that version")
        )
        return Compiler(Path(solcx.install.get_executable(chosen)), "installed by py-solc-x", chosen, note)
    if npm_failure:
        raise CompilerError(npm_failure)
    raise CompilerError(
        f"no Solidity compiler: install Node 20 with npm (rwasim then installs the pinned solc {pinned} itself), "
        f"or run `python -c \"import solcx; solcx.install_solc('{pinned}')\"`"
    )


@dataclass
class BuildResult:
    """What a build or check did: artifacts written or checked, and problems found."""

    written: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    compiler: str = ""
    compiler_origin: str = ""  # Compiler.describe(): which compiler was picked, and why it matters

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.problems:
            return "contracts check FAILED:\n" + "\n".join(f"  - {p}" for p in self.problems)
        if self.checked:
            return f"{len(self.checked)} artifacts match their sources (solc {self.compiler})"
        return f"wrote {len(self.written)} artifacts with solc {self.compiler}: {', '.join(self.written)}"


def solc_binary(home: Path | None = None) -> Path:
    """The binary :func:`find_compiler` picks (for code that drives py-solc-x itself)."""
    return find_compiler(home).binary


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


def _library_for(contracts_dir: Path, sources: dict[str, str]) -> dict[str, str]:
    """rwasim's own sources as ``rwasim/<path>``, when a team's sources import them that way."""
    if contracts_dir.resolve() == CONTRACTS_DIR.resolve():
        return {}
    if not any(_RWASIM_IMPORT.search(text) for text in sources.values()):
        return {}
    return {RWASIM_IMPORT_PREFIX + name: text for name, text in _sources(CONTRACTS_DIR).items()}


def compile_all(
    contracts_dir: Path = CONTRACTS_DIR, compiler: Compiler | None = None
) -> tuple[dict[str, dict[str, Any]], str]:
    """Compile every source in ``contracts_dir``; returns ``(artifacts by contract name, compiler version)``.

    Contracts of rwasim's own that a team's sources import as ``rwasim/...`` are compiled
    with them (and count in their source hash) but get no artifact in the team's folder.
    """
    import solcx

    contracts_dir = Path(contracts_dir)
    if not contracts_dir.is_dir():
        raise CompilerError(f"no contracts folder at {contracts_dir}")
    own = _sources(contracts_dir)
    if not own:
        raise CompilerError(f"no Solidity sources (*.sol) in {contracts_dir}")
    binary = (compiler or find_compiler()).binary
    library = {name: text for name, text in _library_for(contracts_dir, own).items() if name not in own}
    sources = {**own, **library}
    full = SETTINGS["outputSelection"]["*"]
    selection = {name: (full if name in own else {"": ["ast"]}) for name in sources}
    standard_input = {
        "language": "Solidity",
        "sources": {k: {"content": v} for k, v in sources.items()},
        "settings": {**SETTINGS, "outputSelection": selection},
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
    for source_name in sorted(output.get("contracts", {})):
        if source_name not in own:
            continue
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


def _writable_folder(out_dir: Path) -> None:
    """Create ``out_dir`` or say in one line why artifacts cannot be written there (before compiling)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CompilerError(f"cannot write artifacts to {out_dir}: {exc.strerror or exc}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise CompilerError(f"cannot write artifacts to {out_dir}: permission denied")


def build_contracts(
    check: bool = False,
    contracts_dir: Path = CONTRACTS_DIR,
    out_dir: Path | None = None,
    compiler: Compiler | None = None,
) -> BuildResult:
    """Compile ``contracts_dir`` and write (or, with ``check``, verify) ``out_dir`` artifacts.

    ``out_dir`` defaults to ``contracts_dir/build``; ``compiler`` to :func:`find_compiler`'s
    choice. With ``check=True`` nothing is written; every contract whose artifact is missing,
    stale (its source hash differs) or different (ABI or bytecode), and every artifact whose
    contract is gone, is named in ``problems``.
    """
    contracts_dir = Path(contracts_dir)
    out_dir = Path(out_dir) if out_dir is not None else contracts_dir / "build"
    if not contracts_dir.is_dir():
        raise CompilerError(f"no contracts folder at {contracts_dir}")
    if not _sources(contracts_dir):
        raise CompilerError(f"no Solidity sources (*.sol) in {contracts_dir}")
    if not check:
        _writable_folder(out_dir)
    compiler = compiler or find_compiler()
    artifacts, version = compile_all(contracts_dir, compiler)
    result = BuildResult(compiler=version, compiler_origin=compiler.describe())
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
    for name, artifact in artifacts.items():
        (out_dir / f"{name}.json").write_text(artifact_text(artifact), encoding="utf-8")
        result.written.append(name)
    for path in sorted(out_dir.glob("*.json")):
        if path.stem not in artifacts:
            path.unlink()
    return result

"""Compiled contract artifacts (``contracts/build/<Name>.json``) and ABI encoding with caches.

Encoding goes straight through ``eth_abi`` with selectors and types computed once per
function, which keeps the chain interface's overhead over the raw EVM small.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeAlias

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from rwasim.ethereum.errors import ChainError
from rwasim.packaged import artifacts_folder

DEFAULT_ARTIFACTS_DIR = artifacts_folder()

ArtifactDirs: TypeAlias = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def artifact_search_path(dirs: ArtifactDirs = None) -> tuple[Path, ...]:
    """The folders an artifact is looked up in, in order: ``dirs`` (one or several), then rwasim's own.

    A team's folders come first so its contracts (and any it names like rwasim's) are found
    there; rwasim's artifacts are always searched last, so the token suite and the bridge
    deploy next to the team's contracts without copying anything.
    """
    given = [] if dirs is None else [dirs] if isinstance(dirs, (str, os.PathLike)) else list(dirs)
    folders: list[Path] = []
    for folder in [*(Path(d) for d in given), DEFAULT_ARTIFACTS_DIR]:
        if folder not in folders:
            folders.append(folder)
    return tuple(folders)


def abi_type(param: dict[str, Any]) -> str:
    """The canonical type string of an ABI parameter, expanding tuples."""
    kind = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


@lru_cache(maxsize=1 << 16)
def _checksum(address: str) -> str:
    """EIP-55 checksum of an address, remembered: a run decodes the same few thousand addresses
    in every Transfer log, and each checksum costs a keccak."""
    return to_checksum_address(address)


def _normalise(value: Any, kind: str) -> Any:
    """Make decoded values plain: checksum addresses, nested tuples as tuples."""
    if kind == "address":
        return _checksum(value)
    if kind.endswith("]") and isinstance(value, (list, tuple)):
        inner = kind[: kind.rindex("[")]
        return [_normalise(v, inner) for v in value]
    return value


@dataclass(frozen=True)
class FunctionABI:
    name: str
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]
    mutability: str

    def encode(self, args: tuple[Any, ...]) -> bytes:
        if len(args) != len(self.input_types):
            raise ChainError(f"{self.name} takes {len(self.input_types)} arguments, got {len(args)}")
        return self.selector + abi_encode(self.input_types, args)

    def decode_output(self, data: bytes) -> Any:
        values = abi_decode(self.output_types, data)
        values = tuple(_normalise(v, t) for v, t in zip(values, self.output_types))
        return values[0] if len(values) == 1 else values


@dataclass(frozen=True)
class EventABI:
    name: str
    topic: bytes
    indexed: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]
    order: tuple[str, ...]

    def decode(self, topics: list[bytes], data: bytes) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for (name, kind), topic in zip(self.indexed, topics[1:]):
            if kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("("):
                values[name] = "0x" + bytes(topic).hex()  # dynamic indexed values are hashed
            elif kind == "address":  # one word, the address in its last 20 bytes
                values[name] = _checksum("0x" + bytes(topic[12:]).hex())
            elif kind.startswith("uint"):
                values[name] = int.from_bytes(topic, "big")
            else:
                values[name] = _normalise(abi_decode([kind], bytes(topic))[0], kind)
        decoded = abi_decode([k for _, k in self.data], data) if self.data else ()
        for (name, kind), value in zip(self.data, decoded):
            values[name] = _normalise(value, kind)
        return {name: values[name] for name in self.order}


@dataclass
class ContractABI:
    """An ABI indexed for fast encoding: functions by name, events by topic, errors by selector."""

    abi: list[dict[str, Any]]
    functions: dict[str, list[FunctionABI]] = field(default_factory=dict)
    events_by_topic: dict[bytes, EventABI] = field(default_factory=dict)
    events_by_name: dict[str, EventABI] = field(default_factory=dict)
    errors: dict[bytes, tuple[str, list[str], list[str]]] = field(default_factory=dict)
    constructor_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for item in self.abi:
            kind = item.get("type")
            if kind == "function":
                types = tuple(abi_type(p) for p in item["inputs"])
                selector = keccak(f"{item['name']}({','.join(types)})".encode())[:4]
                fn = FunctionABI(
                    item["name"],
                    selector,
                    types,
                    tuple(abi_type(p) for p in item["outputs"]),
                    item.get("stateMutability", "nonpayable"),
                )
                self.functions.setdefault(item["name"], []).append(fn)
            elif kind == "event":
                signature = f"{item['name']}({','.join(abi_type(p) for p in item['inputs'])})"
                event = EventABI(
                    item["name"],
                    keccak(signature.encode()),
                    tuple((p["name"], abi_type(p)) for p in item["inputs"] if p.get("indexed")),
                    tuple((p["name"], abi_type(p)) for p in item["inputs"] if not p.get("indexed")),
                    tuple(p["name"] for p in item["inputs"]),
                )
                self.events_by_topic[event.topic] = event
                self.events_by_name[event.name] = event
            elif kind == "error":
                error_types = [abi_type(p) for p in item["inputs"]]
                selector = keccak(f"{item['name']}({','.join(error_types)})".encode())[:4]
                self.errors[selector] = (item["name"], [p["name"] for p in item["inputs"]], error_types)
            elif kind == "constructor":
                self.constructor_types = tuple(abi_type(p) for p in item["inputs"])

    def function(self, name: str, arg_count: int) -> FunctionABI:
        candidates = self.functions.get(name)
        if not candidates:
            raise ChainError(f"no function {name!r} in this contract's ABI")
        for fn in candidates:
            if len(fn.input_types) == arg_count:
                return fn
        raise ChainError(f"{name} takes {len(candidates[0].input_types)} arguments, got {arg_count}")


@dataclass(frozen=True)
class Artifact:
    """One compiled contract as committed in ``contracts/build``."""

    name: str
    abi: ContractABI
    bytecode: bytes
    deployed_bytecode: bytes
    compiler: str

    @classmethod
    def load(cls, name: str, artifacts_dir: ArtifactDirs = None) -> Artifact:
        """``name``'s artifact from the first folder of :func:`artifact_search_path` that has it."""
        folders = artifact_search_path(artifacts_dir)
        path = next((f / f"{name}.json" for f in folders if (f / f"{name}.json").is_file()), None)
        if path is None:
            raise ChainError(
                f"no artifact for contract {name!r}: looked in {', '.join(str(f) for f in folders)}"
                " (build yours with `rwasim contracts build --src DIR --out DIR`)"
            )
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            name=data.get("contractName", name),
            abi=ContractABI(data["abi"]),
            bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
            deployed_bytecode=bytes.fromhex(data.get("deployedBytecode", "").removeprefix("0x")),
            compiler=data.get("compiler", ""),
        )

    def deploy_data(self, args: tuple[Any, ...]) -> bytes:
        if len(args) != len(self.abi.constructor_types):
            raise ChainError(
                f"{self.name}'s constructor takes {len(self.abi.constructor_types)} arguments, got {len(args)}"
            )
        return self.bytecode + (abi_encode(self.abi.constructor_types, args) if args else b"")

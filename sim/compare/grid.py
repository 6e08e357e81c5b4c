"""The sweep's grid: topologies x parameter values x seeds, each point with its own run seed.

Every point's seed is :func:`replicate_seed`, ``derive_seed(base_seed, "compare", "replicate", r)``
with its top bit cleared so it fits a signed 64-bit integer (pandas, Arrow and SQL columns
overflow above 2**63; ``rwasim run --seed`` takes any seed below 2**64). The r-th seed is
the same for every topology and parameter point, so topologies are compared on the same
investor population and the same trade stream (common random numbers, a paired design),
and any point can be rerun alone with ``rwasim run topology_study --seed ...``.
"""

from __future__ import annotations

import itertools
import shlex
from dataclasses import dataclass
from typing import Any

from rwasim.defaults import DEFAULT_BACKEND
from rwasim.engine import derive_seed

SCENARIO = "topology_study"
#: Every seed a sweep produces is below this (int64's largest value + 1).
SEED_LIMIT = 2**63
#: Seeds per point; more is a typo (each seed is a full run per topology and parameter point).
MAX_SEEDS = 10_000


class CompareError(Exception):
    """A mistake in how the sweep was asked for; printed as one line, exit status 2."""


@dataclass(frozen=True)
class GridPoint:
    """One run of the sweep."""

    index: int
    topology: str
    params: tuple[tuple[str, str], ...]  # the swept parameters, as given (raw strings), in --set order
    replicate: int
    seed: int

    @property
    def overrides(self) -> dict[str, str]:
        """What ``run_scenario`` gets: the topology and the swept parameters."""
        return {"topology": self.topology, **dict(self.params)}

    def label(self) -> str:
        """``bridged`` or ``bridged investors=200`` (the group a summary row belongs to)."""
        return " ".join([self.topology, *(f"{k}={v}" for k, v in self.params)])

    def rerun_command(self, backend: str = DEFAULT_BACKEND) -> str:
        """The command that reruns this point alone and gives the same row."""
        words = ["rwasim", "run", SCENARIO, "--seed", str(self.seed)]
        for key, value in self.overrides.items():
            words += ["--set", f"{key}={value}"]
        if backend != DEFAULT_BACKEND:
            words += ["--backend", backend]
        return shlex.join(words)


def replicate_seed(base_seed: int, replicate: int) -> int:
    """The run seed of the ``replicate``-th seed of a sweep, in [0, 2**63)."""
    return derive_seed(base_seed, "compare", "replicate", replicate) % SEED_LIMIT


def split_values(raw: str) -> list[str]:
    """``"1,2"`` -> ``["1", "2"]``; commas inside brackets belong to a list value
    (``"[344,702],[344]"`` -> two values)."""
    values, depth, current = [], 0, ""
    for char in raw:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    if depth != 0 or any(v == "" for v in values):
        raise CompareError(f"bad --set value list {raw!r}: expected v1,v2,... (lists as [a,b])")
    return values


def parse_sets(pairs: list[str], params: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """``["investors=40,200"]`` -> ``[("investors", ["40", "200"])]``, each value checked
    against the scenario's parameter types before anything runs."""
    from rwasim.runner import ScenarioError, apply_overrides

    parsed: list[tuple[str, list[str]]] = []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CompareError(f"bad --set {pair!r}: expected KEY=V1[,V2...]")
        if key == "topology":
            raise CompareError("give topologies with --topology NAME (repeatable), not --set topology=")
        if any(key == k for k, _ in parsed):
            raise CompareError(f"bad --set {key}: given twice; list its values once, separated by commas")
        values = split_values(raw)
        for value in values:
            try:
                apply_overrides(params, {key: value})
            except ScenarioError as exc:
                raise CompareError(str(exc)) from None
        parsed.append((key, values))
    return parsed


def build_grid(
    topologies: list[str], sets: list[tuple[str, list[str]]], seeds: int, base_seed: int = 0
) -> list[GridPoint]:
    """The full cross product, in a fixed order: topology, then parameter values, then seed."""
    from rwasim.topology import TOPOLOGIES

    if not topologies:
        raise CompareError("name at least one topology with --topology (one of " + ", ".join(TOPOLOGIES) + ")")
    for name in topologies:
        if name not in TOPOLOGIES:
            raise CompareError(f"bad --topology: unknown topology {name!r} (choose one of {', '.join(TOPOLOGIES)})")
    if len(set(topologies)) != len(topologies):
        raise CompareError("a topology is named twice")
    if not 1 <= seeds <= MAX_SEEDS:
        raise CompareError(f"--seeds must be an integer from 1 to {MAX_SEEDS}, not {seeds}")
    keys = [key for key, _ in sets]
    points: list[GridPoint] = []
    for topology in topologies:
        for values in itertools.product(*(vals for _, vals in sets)):
            for replicate in range(seeds):
                seed = replicate_seed(base_seed, replicate)
                points.append(GridPoint(len(points), topology, tuple(zip(keys, values)), replicate, seed))
    return points


def describe_grid(
    topologies: list[str], sets: list[tuple[str, list[str]]], seeds: int, base_seed: int, n_points: int
) -> str:
    """One line stating the cross product, e.g. ``3 topologies x 2 investors values x 5 seeds = 30 runs``."""
    parts = [f"{len(topologies)} topologies ({', '.join(topologies)})"]
    parts += [f"{len(values)} {key} values ({', '.join(values)})" for key, values in sets]
    parts.append(f"{seeds} seeds (base seed {base_seed})")
    return "grid: " + " x ".join(parts) + f" = {n_points} runs"

"""Load and run scenario scripts, and write their outputs (``report.json``, ``events.jsonl``).

A scenario is a Python file in ``scenarios/`` (or any path) that defines

``PARAMS``
    a dict of the parameters ``--set key=value`` may override: each value a
    :class:`rwasim.params.Param` (default, range or choices, one-line help) or a plain default
    (type only); a value of the wrong type or outside its range is refused before the run;
``PARAM_RULES`` (optional)
    :class:`rwasim.params.Rule` conditions between parameters, checked with them;
``run(ctx)``
    the script itself, written against :class:`RunContext` and the public API;
``ARTIFACTS`` (optional)
    folders of the team's own contract artifacts, relative to the scenario's file, searched
    before rwasim's own when ``ctx.ethereum`` deploys by name;

and whose module docstring's first line is its one-line summary for ``rwasim list``. While
the file is loaded, its own folder and then its project's folder (the nearest one above it
with a ``pyproject.toml`` or ``pytest.ini``) are first on ``sys.path``, so it can import
helper modules kept beside it or in its project, whatever folder it is run from.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from rich.console import RenderableType

from rwasim.defaults import DEFAULT_BACKEND
from rwasim.engine import Simulation
from rwasim.engine.events import _jsonable
from rwasim.metrics import MetricsCollector
from rwasim.packaged import scenarios_folder
from rwasim.params import SEED_MAX, Param, ParamError, Rule, param_specs
from rwasim.progress import RunProgress
from rwasim.report import build_topology_graph, write_html
from rwasim.summary import PLAIN_WIDTH, summary_renderable, summary_text


class ScenarioError(Exception):
    """A scenario could not be found, loaded, configured or run (one line for the user)."""


@dataclass(frozen=True)
class ScenarioInfo:
    """What ``rwasim list`` shows of a scenario file."""

    name: str
    path: Path
    summary: str


def discover_scenarios(folder: Path | None = None) -> dict[str, ScenarioInfo]:
    """Every scenario file in ``folder`` (rwasim's own by default) by name, sorted, read without importing it."""
    folder = scenarios_folder() if folder is None else Path(folder)
    found: dict[str, ScenarioInfo] = {}
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        except SyntaxError as exc:
            found[path.stem] = ScenarioInfo(path.stem, path, f"(does not parse: line {exc.lineno}: {exc.msg})")
            continue
        summary = doc.strip().splitlines()[0] if doc.strip() else "(no description)"
        found[path.stem] = ScenarioInfo(path.stem, path, summary)
    return found


def resolve_scenario(name_or_path: str) -> Path:
    """The file of a scenario given by name (``issuance``) or by path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".py" or "/" in name_or_path:
        if not candidate.is_file():
            raise ScenarioError(f"scenario file not found: {name_or_path}")
        return candidate
    known = discover_scenarios()
    if name_or_path not in known:
        names = ", ".join(known) or "none"
        raise ScenarioError(f"unknown scenario {name_or_path!r} (known: {names})")
    return known[name_or_path].path


@dataclass(frozen=True)
class ScenarioDescription:
    """What ``rwasim show`` prints of a scenario: its docstring, declared parameters and rules."""

    name: str
    path: Path
    doc: str
    params: dict[str, Param]
    rules: tuple[Rule, ...]


def describe_scenario(name_or_path: str) -> ScenarioDescription:
    """Load a scenario (without running it) and read its docstring, PARAMS and PARAM_RULES."""
    path = resolve_scenario(name_or_path)
    module = load_scenario(path)
    return ScenarioDescription(
        name=path.stem,
        path=path,
        doc=(module.__doc__ or "").strip(),
        params=param_specs(dict(getattr(module, "PARAMS", {}))),
        rules=tuple(getattr(module, "PARAM_RULES", ())),
    )


PROJECT_MARKERS = ("pyproject.toml", "pytest.ini")


def scenario_import_path(path: Path) -> list[str]:
    """Folders a scenario file may import helpers from: its own, then its project's (if any)."""
    folder = Path(path).resolve().parent
    if folder == scenarios_folder().resolve():
        return []  # rwasim's own scenarios import only rwasim
    found = [str(folder)]
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).is_file() for marker in PROJECT_MARKERS):
            if candidate != folder:
                found.append(str(candidate))
            break
    return found


def load_scenario(path: Path) -> ModuleType:
    """Import a scenario file as a module, turning any import-time failure into ScenarioError."""
    spec = importlib.util.spec_from_file_location(f"rwasim_scenario_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ScenarioError(f"cannot load scenario file {path}")
    module = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    sys.path[:0] = scenario_import_path(path)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a scenario that fails to import is a user error, not a crash
        raise ScenarioError(f"scenario {path.name} failed to load: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path[:] = saved
    if not callable(getattr(module, "run", None)):
        raise ScenarioError(f"scenario {path.name} defines no run(ctx) function")
    return module


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; values are typed later against PARAMS."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"bad --set {pair!r}: expected KEY=VALUE")
        parsed[key.strip()] = value.strip()
    return parsed


def apply_overrides(declared: dict[str, Any], overrides: dict[str, str], rules: Sequence[Rule] = ()) -> dict[str, Any]:
    """Scenario parameters: the defaults of ``declared`` (a PARAMS dict of Param objects or plain
    defaults) with each ``--set`` value parsed and checked against its declaration, then the
    scenario's ``rules`` between parameters checked on the result."""
    specs = param_specs(declared)
    params = {name: spec.default for name, spec in specs.items()}
    for key, raw in overrides.items():
        if key not in specs:
            known = ", ".join(sorted(specs)) or "none"
            raise ScenarioError(f"bad --set {key}={raw}: unknown parameter (this scenario takes: {known})")
        try:
            params[key] = specs[key].parse(key, raw)
        except ParamError as exc:
            raise ScenarioError(f"bad --set {key}={raw}: {exc}") from None
    for rule in rules:
        if not rule.holds(params):
            names = rule.names(params)
            given = " ".join(f"{k}={overrides[k]}" for k in names if k in overrides) or "(defaults)"
            here = ", ".join(f"{k}={_jsonable(params[k])}" for k in names)
            raise ScenarioError(f"bad --set {given}: needs {rule.text} (here {here})")
    return params


#: Backend names ``make_backend`` knows (kept here so checking one needs no Ethereum import).
BACKEND_NAMES = ("eth-tester", "ethtester", "py-evm", "revm", "anvil")


def check_backend(spec: str) -> str:
    """``spec`` if it names a backend (eth-tester, revm, anvil, or an http(s):// URL with a host).

    Checked before the run, because a scenario that never touches Ethereum would otherwise
    accept any spelling silently; whether the URL answers is found out when the chain starts.
    """
    if spec in BACKEND_NAMES:
        return spec
    parts = urlsplit(spec)
    if parts.scheme in ("http", "https") and parts.hostname:
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number in 0..65535
        except ValueError:
            pass
        else:
            return spec
    raise ScenarioError(
        f"bad --backend {spec!r}: choose eth-tester, revm, anvil or an http(s)://HOST[:PORT] JSON-RPC URL"
    )


def check_seed(seed: int) -> int:
    """``seed`` if it is an integer 0 <= seed < 2**64 (what every random stream is derived from)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise ScenarioError(f"bad --seed {seed!r}: must be an integer from 0 to 2**64-1")
    return seed


def prepare_out_dir(path: Path, option: str = "--out") -> Path:
    """Create the output folder and prove it takes files, before any work is done.

    An existing file, a path under a file, or a place this user cannot write would
    otherwise fail only when the first output is written, with a traceback.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ScenarioError(f"bad {option} {str(path)!r}: it is an existing file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError(f"bad {option} {str(path)!r}: cannot create or write a folder there ({reason})") from None
    return path


@dataclass
class TrackedToken:
    """A token whose balances and supply the report lists (chain -> account -> amount)."""

    chain: str
    symbol: str
    holders: Callable[[], dict[str, int]]
    total_supply: Callable[[], int]


class RunContext:
    """What a scenario script gets: the clock, its parameters, the chains and the report's hooks.

    Parameters
    ----------
    sim : Simulation
        The run's clock, randomness and event log.
    params : dict
        Scenario parameters after ``--set`` overrides.
    backend : str
        Ethereum backend name or URL.
    out_dir : Path
        Where the run writes its outputs.
    say : callable
        Prints a line of progress for the person watching (never part of the results).
    artifacts : sequence of paths, optional
        Folders of a team's contract artifacts for ``ethereum``, searched before rwasim's own.
    """

    def __init__(
        self,
        sim: Simulation,
        params: dict[str, Any],
        backend: str,
        out_dir: Path,
        say: Callable[[str], None] = lambda _: None,
        *,
        ethereum: Any = None,
        artifacts: Sequence[Path] = (),
    ) -> None:
        self.sim = sim
        self.artifacts = tuple(Path(a) for a in artifacts)
        self.params = params
        self.backend = backend
        self.out_dir = out_dir
        self.topology: str | None = None  # a scenario may name it; otherwise inferred from the chains it used
        self.invariants: dict[str, bool] = {}
        self.alerts: list[dict[str, Any]] = []
        self.metrics = MetricsCollector()
        self.tracked: list[TrackedToken] = []
        self.extra: dict[str, Any] = {}
        self._say = say
        self._closers: list[Callable[[], None]] = []
        self._ethereum = ethereum  # a chain given here belongs to the caller and is not closed by close()
        self._consortia: dict[str, Any] = {}
        self._bridges: list[Any] = []
        sim.log.subscribe(self.metrics.on_event)

    @property
    def ethereum(self):
        """The run's Ethereum chain on the chosen backend, created on first use and closed at the end."""
        if self._ethereum is None:
            from rwasim.ethereum import ChainError, EthereumChain

            try:
                self._ethereum = EthereumChain(self.sim, self.backend, artifacts_dir=self.artifacts)
            except ChainError as exc:
                raise ScenarioError(str(exc)) from exc
            self._closers.append(self._ethereum.close)
        return self._ethereum

    def consortium(self, name: str = "consortium", **options: Any):
        """A consortium ledger in this run (validators keep SQLite files under ``out_dir``).

        ``options`` go to :class:`rwasim.consortium.ConsortiumLedger` (``n_validators``, ``shape``,
        ``latency``, ``config`` ...); ``storage_dir=None`` keeps the files in memory. Its
        figures (height, messages, equivocations) go into the report under ``consortium``.
        """
        from rwasim.consortium import ConsortiumLedger

        if name in self._consortia:
            raise ScenarioError(f"this run already has a consortium ledger named {name!r}")
        options.setdefault("storage_dir", self.out_dir / "consortium")
        ledger = ConsortiumLedger(self.sim, name=name, **options)
        self._consortia[name] = ledger
        self._closers.append(ledger.close)
        return ledger

    def bridge(
        self,
        ledger,
        *,
        asset_id: str,
        lane: int = 1,
        issuer: str | None = None,
        guardian: str | None = None,
        verifier: str = "quorum",
        token: dict | None = None,
        **options: Any,
    ):
        """A bridge lane between ``ledger`` and this run's Ethereum chain.

        Deploys the gateway, the ``verifier`` and the wrapped token (``token``: name, symbol,
        modules for :func:`rwasim.bridge.gateway.deploy_ethereum_end`), then starts attestors,
        relayers (checkpoints under ``out_dir``) and the monitor, whose alerts go into the
        report. ``options`` go to :class:`rwasim.bridge.bridge.Bridge`.
        """
        from rwasim.bridge.bridge import open_lane

        options.setdefault("checkpoint_dir", self.out_dir / "relayers" / f"lane-{lane}")
        bridge = open_lane(
            self.sim,
            ledger,
            self.ethereum,
            asset_id=asset_id,
            lane=lane,
            issuer=issuer,
            guardian=guardian,
            verifier=verifier,
            token=token,
            on_alert=self.alert,
            **options,
        )
        self._bridges.append(bridge)
        self._closers.append(bridge.close)
        return bridge

    def chain_stats(self) -> dict[str, Any]:
        """Figures of the run's consortium ledgers and bridges (read before the chains close)."""
        stats: dict[str, Any] = {}
        if self._ethereum is not None:
            chain = self._ethereum
            stats["ethereum"] = {
                "blocks": chain.block_number,
                "transactions": len(chain.receipts),
                "reverted": sum(1 for r in chain.receipts if not r.status),
                "gas_used": chain.gas_used_total,
            }
        if self._consortia:
            stats["consortium"] = {name: ledger.stats() for name, ledger in sorted(self._consortia.items())}
        if self._bridges:
            stats["bridge"] = {f"lane-{b.end.lane}": b.stats() for b in self._bridges}
        return stats

    def inferred_topology(self) -> str:
        """``bridged``, ``consortium-only`` or ``public-only``, from the chains the run created."""
        if self._consortia and self._ethereum is not None:
            return "bridged" if len(self._consortia) == 1 else "hub"
        return "consortium-only" if self._consortia else "public-only"

    def say(self, message: str) -> None:
        """Narrate a step: shown as progress and kept in the event log as ``scenario.step``."""
        self.sim.record("scenario.step", "scenario", message=message)
        self._say(message)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Count the transactions of this block of the script under phase ``name``."""
        self.metrics.open_phase(name, self.sim.now)
        self.sim.record("scenario.phase", "scenario", phase=name, state="start")
        try:
            yield
        finally:
            self.metrics.close_phase(self.sim.now)
            self.sim.record("scenario.phase", "scenario", phase=name, state="end")

    def check(self, name: str, holds: bool, detail: str = "") -> bool:
        """Record an invariant by name; a false one makes ``rwasim run`` exit non-zero."""
        holds = bool(holds)
        self.invariants[name] = self.invariants.get(name, True) and holds
        self.sim.record("scenario.invariant", "scenario", name=name, holds=holds, detail=detail)
        return holds

    def alert(self, name: str, **data: Any) -> None:
        """Record an alert (a monitor's finding) for the report."""
        entry = {"name": name, "time": self.sim.now, **data}
        self.alerts.append(entry)
        self.sim.record("monitor.alert", "monitor", name=name, **data)

    def track_token(
        self, chain: str, symbol: str, holders: Callable[[], dict[str, int]], total_supply: Callable[[], int]
    ) -> None:
        """List this token's balances and supply in the report."""
        self.tracked.append(TrackedToken(chain, symbol, holders, total_supply))

    def stop(self) -> None:
        """Stop the bridges' and ledgers' processes (a test that shares one clock across runs needs this)."""
        for bridge in self._bridges:
            bridge.stop()
        for ledger in self._consortia.values():
            ledger.stop()

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


@dataclass
class RunResult:
    """The outcome of one run: its report (as written) and where the files are."""

    report: dict[str, Any]
    out_dir: Path
    events_path: Path
    report_path: Path
    html_path: Path | None = None
    invariants_hold: bool = field(init=False)

    def __post_init__(self) -> None:
        self.invariants_hold = all(self.report["invariants"].values())

    def files(self) -> dict[str, Path]:
        """The run's files by the name the summary gives them."""
        files = {"report": self.report_path}
        if self.html_path is not None:
            files["html"] = self.html_path
        return files

    def summary(self, width: int = PLAIN_WIDTH) -> str:
        """The one-screen summary as plain text (see :mod:`rwasim.summary`; on a terminal the
        command prints :meth:`summary_renderable` in colour instead)."""
        return summary_text(self.report, self.files(), width)

    def summary_renderable(self, width: int = PLAIN_WIDTH) -> RenderableType:
        """The summary for a rich console ``width`` columns wide (coloured on a terminal, plain elsewhere)."""
        return summary_renderable(self.report, self.files(), width)


def _balances_and_supply(ctx: RunContext) -> tuple[dict, dict]:
    balances: dict[str, dict[str, dict[str, int]]] = {}
    supply: dict[str, dict[str, int]] = {}
    for token in ctx.tracked:
        for account, amount in sorted(token.holders().items()):
            balances.setdefault(token.chain, {}).setdefault(account, {})[token.symbol] = int(amount)
        supply.setdefault(token.chain, {})[token.symbol] = int(token.total_supply())
    return balances, supply


def run_scenario(
    scenario: str,
    *,
    seed: int = 0,
    out_dir: Path | None = None,
    backend: str = DEFAULT_BACKEND,
    overrides: dict[str, str] | None = None,
    progress: bool = False,
    artifacts: Sequence[Path] = (),
) -> RunResult:
    """Run a scenario end to end and write ``report.json``, ``events.jsonl`` and ``report.html`` to ``out_dir``.

    ``artifacts`` are folders of contract artifacts searched after the scenario's own
    ``ARTIFACTS`` and before rwasim's. ``progress`` shows a live status line and the scenario's narration on stderr (see
    :mod:`rwasim.progress`); it never changes what is written.

    Raises
    ------
    ScenarioError
        The scenario is unknown, fails to load, gets a bad ``--set``, names a backend that
        cannot be used, or raises while running (the message names the exception).
    """
    check_seed(seed)
    check_backend(backend)
    path = resolve_scenario(scenario)
    module = load_scenario(path)
    params = apply_overrides(dict(getattr(module, "PARAMS", {})), overrides or {}, getattr(module, "PARAM_RULES", ()))
    out_dir = prepare_out_dir(Path(out_dir) if out_dir is not None else Path("runs") / f"{path.stem}-seed{seed}")

    display = RunProgress(path.stem) if progress else None
    say = display.say if display is not None else (lambda _: None)
    sim = Simulation(seed=seed)
    declared = getattr(module, "ARTIFACTS", ())
    declared = [declared] if isinstance(declared, (str, Path)) else list(declared)
    own = [path.resolve().parent / folder for folder in declared]
    ctx = RunContext(sim, params, backend, out_dir, say, artifacts=[*own, *artifacts])
    sim.record("scenario.start", "scenario", scenario=path.stem, seed=seed, params=params)
    if display is not None:
        display.start(sim)
    try:
        module.run(ctx)
        balances, supply = _balances_and_supply(ctx)
        chain_stats = ctx.chain_stats()
        chain_stats["topology_graph"] = build_topology_graph(ctx)
    except ScenarioError:
        raise
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        raise ScenarioError(
            f"scenario {path.stem} raised {type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"
        ) from exc
    finally:
        ctx.close()
        if display is not None:
            display.stop()
    sim.record("scenario.end", "scenario", scenario=path.stem)

    report = {
        "scenario": path.stem,
        "seed": seed,
        "topology": ctx.topology or ctx.inferred_topology(),
        "backend": backend,
        "params": params,
        "simulated_seconds": sim.now,
        "event_count": len(sim.log),
        "sim_events_scheduled": sim.events_scheduled,  # the run's work in SimPy events (idle time adds none)
        "metrics": ctx.metrics.to_json(),
        "invariants": dict(sorted(ctx.invariants.items())),
        "balances": balances,
        "supply": supply,
        "alerts": ctx.alerts,
        **ctx.extra,
    }
    report.update(chain_stats)
    events_path = sim.log.write(out_dir / "events.jsonl")
    report_path = out_dir / "report.json"
    report_path.write_text(json.dumps(_jsonable(report), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    html_path = write_html(out_dir)
    return RunResult(report, out_dir, events_path, report_path, html_path)

"""pytest fixtures for teams that test their own contracts or policies against rwasim.

Registered through the ``pytest11`` entry point, so installing rwasim is enough:

* ``rwasim_seed`` — the run seed (``--rwasim-seed N``, default 0);
* ``rwasim_artifacts`` — the folders of the team's own contract artifacts: every
  ``--rwasim-artifacts DIR`` (relative to the current folder), then the ini option
  ``rwasim_artifacts`` (relative to the file that sets it, the rootdir); rwasim's own
  artifacts are searched after them by every fixture that deploys by name;
* ``rwasim_chain`` — an Ethereum chain (``--rwasim-backend``: eth-tester, anvil or a URL),
  created once per session and isolated per test by snapshot and revert (titanoboa's
  ``anchor()``): whatever a test deploys or changes is gone for the next one;
* ``rwasim_ledger`` — a factory of consortium ledgers on the same simulation clock, each
  stopped after its test;
* ``rwasim_bridge`` — a factory that joins a ledger and the chain on a lane (gateway,
  verifier, wrapped token, relayers, monitor), stopped after its test;
* ``rwasim_market`` — a factory of a licensed issuer with a product: the note registered
  on a fresh consortium ledger and listed on ``rwasim_chain`` over a bridge lane, a seeded
  investor population onboarded and funded, a custodian and the regulator
  (:class:`~rwasim.agents.market.NoteMarket`); everything is stopped after the test and the
  chain reverted;
* ``rwasim_scenario`` — runs a scenario (by name or by path) into the test's temporary
  folder and returns its :class:`~rwasim.runner.RunResult` (report, events, invariants).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rwasim.engine import Simulation


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rwasim")
    group.addoption("--rwasim-seed", type=int, default=0, help="seed of the rwasim fixtures' simulation (default 0)")
    group.addoption(
        "--rwasim-backend",
        default="revm",
        help="Ethereum backend of rwasim_chain: revm (default), eth-tester, anvil, or a JSON-RPC URL",
    )
    group.addoption(
        "--rwasim-artifacts",
        action="append",
        default=[],
        metavar="DIR",
        help="folder of your contract artifacts, searched before rwasim's own (repeatable)",
    )
    parser.addini(
        "rwasim_artifacts",
        type="paths",
        default=[],
        help="folders of your contract artifacts (relative to this file), searched after --rwasim-artifacts",
    )


def _artifact_folders(config: pytest.Config) -> tuple[Path, ...]:
    given = [Path(d).resolve() for d in config.getoption("--rwasim-artifacts")]
    configured = [Path(d) for d in config.getini("rwasim_artifacts")]
    return tuple(dict.fromkeys([*given, *configured]))


def pytest_configure(config: pytest.Config) -> None:
    """A configured artifacts folder that does not exist stops the run before any test, in one line."""
    for folder in _artifact_folders(config):
        if not folder.is_dir():
            raise pytest.UsageError(
                f"rwasim artifacts folder {folder} does not exist (build it with `rwasim contracts build --out`)"
            )


@pytest.fixture(scope="session")
def rwasim_artifacts(request: pytest.FixtureRequest) -> tuple[Path, ...]:
    """The team's artifact folders in search order (rwasim's own are searched after them)."""
    return _artifact_folders(request.config)


@pytest.fixture(scope="session")
def rwasim_seed(request: pytest.FixtureRequest) -> int:
    return int(request.config.getoption("--rwasim-seed"))


@pytest.fixture(scope="session")
def rwasim_sim(rwasim_seed: int) -> Simulation:
    """The session's simulation: one clock for the chain and every ledger built on it."""
    return Simulation(seed=rwasim_seed)


@pytest.fixture(scope="session")
def _rwasim_session_chain(
    rwasim_sim: Simulation, rwasim_artifacts: tuple[Path, ...], request: pytest.FixtureRequest
) -> Iterator[Any]:
    from rwasim.ethereum import EthereumChain

    chain = EthereumChain(rwasim_sim, request.config.getoption("--rwasim-backend"), artifacts_dir=rwasim_artifacts)
    yield chain
    chain.close()


@pytest.fixture
def rwasim_chain(_rwasim_session_chain) -> Iterator[Any]:
    """The session's chain, reverted after the test to where the test found it."""
    chain = _rwasim_session_chain
    chain.mine()  # anything queued before the test is in a block of its own
    snapshot = chain.snapshot()
    yield chain
    chain.revert(snapshot)


@pytest.fixture
def rwasim_ledger(rwasim_sim: Simulation, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``rwasim_ledger(**options)`` builds a :class:`~rwasim.consortium.ConsortiumLedger` (in-memory
    storage by default); every ledger made is stopped after the test."""
    from rwasim.consortium import ConsortiumLedger

    made: list[ConsortiumLedger] = []

    def factory(**options: Any) -> ConsortiumLedger:
        name = options.pop("name", f"consortium-{request.node.name}-{len(made)}")
        ledger = ConsortiumLedger(rwasim_sim, name=name, **options)
        made.append(ledger)
        return ledger

    yield factory
    for ledger in made:
        ledger.stop()
        ledger.close()


@pytest.fixture
def rwasim_bridge(rwasim_sim: Simulation, rwasim_chain) -> Iterator[Callable[..., Any]]:
    """``rwasim_bridge(ledger, asset_id=..., verifier="quorum", **options)`` deploys a lane on the
    chain (reverted after the test) and starts its bridge; every bridge made is stopped after."""
    from rwasim.bridge.bridge import Bridge, open_lane

    made: list[Bridge] = []

    def factory(ledger, *, asset_id: str, **options: Any) -> Bridge:
        bridge = open_lane(rwasim_sim, ledger, rwasim_chain, asset_id=asset_id, **options)
        made.append(bridge)
        return bridge

    yield factory
    for bridge in made:
        bridge.stop()
        bridge.close()


@pytest.fixture
def rwasim_market(
    rwasim_sim: Simulation, rwasim_chain, rwasim_artifacts: tuple[Path, ...], tmp_path: Path
) -> Iterator[Callable[..., Any]]:
    """``rwasim_market(term_sheet, investors=8, **options)`` opens a note's market (options as
    :func:`rwasim.agents.market.open_note_market`); ``term_sheet`` is a dict or a TermSheet."""
    from rwasim.agents.market import open_note_market
    from rwasim.products import TermSheet, load_term_sheet
    from rwasim.runner import RunContext

    contexts: list[RunContext] = []

    def factory(term_sheet: Any, *, investors: int = 8, **options: Any):
        sheet = term_sheet if isinstance(term_sheet, TermSheet) else load_term_sheet(term_sheet)
        ctx = RunContext(
            rwasim_sim,
            {},
            "given",
            tmp_path / f"market-{len(contexts)}",
            ethereum=rwasim_chain,
            artifacts=rwasim_artifacts,
        )
        contexts.append(ctx)
        return open_note_market(ctx, sheet, investors=investors, **options)

    yield factory
    for ctx in contexts:
        ctx.stop()
        ctx.close()


@pytest.fixture
def rwasim_scenario(
    tmp_path: Path, rwasim_seed: int, rwasim_artifacts: tuple[Path, ...], request: pytest.FixtureRequest
) -> Callable[..., Any]:
    """``rwasim_scenario(name_or_path, **params)`` runs a scenario into ``tmp_path`` and returns
    its RunResult (``.report``, ``.events_path``, ``.invariants_hold``).

    A relative path is taken from the rootdir, so a test finds the project's scenario file
    whatever folder pytest was started in."""
    from rwasim.runner import run_scenario

    def run(scenario: str | Path, *, seed: int | None = None, backend: str = "revm", **params: Any):
        name = str(scenario)
        if isinstance(scenario, Path) or name.endswith(".py") or "/" in name:
            path = Path(scenario)
            name = str(path if path.is_absolute() else request.config.rootpath / path)
        runs = len(list(tmp_path.glob("run*")))
        return run_scenario(
            name,
            seed=rwasim_seed if seed is None else seed,
            out_dir=tmp_path / ("run" if runs == 0 else f"run{runs}"),
            backend=backend,
            overrides={k: str(v) for k, v in params.items()},
            artifacts=rwasim_artifacts,
        )

    return run

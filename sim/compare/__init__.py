"""``rwasim compare``: one workload on several topologies, over parameter values and seeds.

The grid is the full cross product (topologies x ``--set`` values x seeds, :mod:`.grid`); its
points run in local processes or on Dask (:mod:`.executors`); the results are written in grid
order as runs.csv, summary.csv (mean and a 95% CI inside each metric's domain, :mod:`.stats`),
compare.html (:mod:`.output`) and, with ``parquet=True``, runs.parquet and summary.parquet.
Nothing in runs.csv or summary.csv depends on the executor, the number of workers or the wall
clock: wall time goes to timings.csv only.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rwasim.compare.executors import EXECUTORS, MAX_WORKERS, check_executor, execute_point, run_dir, run_points
from rwasim.compare.grid import (
    MAX_SEEDS,
    SCENARIO,
    SEED_LIMIT,
    CompareError,
    GridPoint,
    build_grid,
    describe_grid,
    parse_sets,
    replicate_seed,
    split_values,
)
from rwasim.compare.output import run_rows, summary_rows, write_csv, write_html
from rwasim.compare.stats import mean_ci, t_quantile
from rwasim.defaults import DEFAULT_BACKEND
from rwasim.params import int_option, seed_option

#: The examples ``rwasim compare --help`` ends with.
COMPARE_EXAMPLES = """examples:
  rwasim compare --topology bridged --topology hub --out runs/cmp
  rwasim compare --topology bridged --topology dual-space --seeds 5 --set investors=20,40 --out runs/sweep
  rwasim compare --topology hub --executor dask --scheduler tcp://10.0.0.5:8786 --out runs/big

Each run's folder is under --out; runs.csv, summary.csv, timings.csv and compare.html sum them up.
Parameters to sweep: rwasim show topology_study. Exit status: 0 every run holds its invariants,
1 one does not (or raised), 2 a mistake in the command."""

__all__ = [
    "CompareError",
    "CompareResult",
    "GridPoint",
    "build_grid",
    "execute_point",
    "mean_ci",
    "replicate_seed",
    "SEED_LIMIT",
    "run_compare",
    "run_dir",
    "split_values",
    "t_quantile",
    "add_compare_arguments",
    "cli_compare",
    "EXECUTORS",
]


@dataclass
class CompareResult:
    """What a sweep produced: its points and results (grid order) and the files written."""

    grid_line: str
    points: list[GridPoint]
    results: list[dict[str, Any]]
    files: dict[str, Path]
    wall_s: float

    @property
    def all_ok(self) -> bool:
        return all(not r["error"] and r["invariants_hold"] for r in self.results)


def run_compare(
    topologies: list[str],
    *,
    seeds: int,
    out_dir: Path,
    sets: list[str] | None = None,
    base_seed: int = 0,
    executor: str = "local",
    workers: int = 2,
    scheduler: str | None = None,
    backend: str = DEFAULT_BACKEND,
    progress: bool = False,
    parquet: bool = False,
    say=print,
) -> CompareResult:
    """Run the sweep and write its files into ``out_dir``.

    Raises
    ------
    CompareError
        An unknown topology or executor, a bad ``--set``, an unreachable scheduler, or
        ``parquet`` without pandas and pyarrow installed.
    """
    import time

    from rwasim.analysis import AnalysisUnavailable, load_sweep, require_analysis
    from rwasim.runner import (
        ScenarioError,
        apply_overrides,
        check_backend,
        check_seed,
        load_scenario,
        prepare_out_dir,
        resolve_scenario,
    )

    check_executor(executor, workers, scheduler)
    if parquet:
        try:
            require_analysis("--parquet", parquet=True)
        except AnalysisUnavailable as exc:
            raise CompareError(str(exc)) from None
    try:  # everything the command names is checked before the first run starts
        check_seed(base_seed)
        check_backend(backend)
        module = load_scenario(resolve_scenario(SCENARIO))
        params, rules = dict(getattr(module, "PARAMS", {})), getattr(module, "PARAM_RULES", ())
        parsed = parse_sets(list(sets or []), params)
        points = build_grid(list(topologies), parsed, seeds, base_seed)
        for overrides in {point.label(): point.overrides for point in points}.values():
            apply_overrides(params, overrides, rules)  # each combination of swept values, with the rules
        out_dir = prepare_out_dir(Path(out_dir))
    except ScenarioError as exc:
        raise CompareError(str(exc).replace("--seed", "--base-seed")) from None
    grid_line = describe_grid(list(topologies), parsed, seeds, base_seed, len(points))
    say(grid_line)
    started = time.perf_counter()
    bar = _progress.on_terminal(len(points)) if progress else None
    try:
        results = run_points(
            points,
            out_dir,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            backend=backend,
            on_result=bar.advance if bar else None,
        )
    finally:
        if bar is not None:
            bar.stop()
    wall = time.perf_counter() - started
    files = {"grid": out_dir / "grid.txt"}
    files["grid"].write_text(grid_line + "\n", encoding="utf-8")
    files["runs"] = write_csv(out_dir / "runs.csv", *run_rows(points, results, backend))
    files["summary"] = write_csv(out_dir / "summary.csv", *summary_rows(points, results))
    files["timings"] = write_csv(
        out_dir / "timings.csv",
        ["index", "wall_s"],
        [[str(r["index"]), f"{r['wall_s']:.3f}"] for r in results] + [["total", f"{wall:.3f}"]],
    )
    files["html"] = write_html(out_dir / "compare.html", grid_line, points, results, backend)
    if parquet:
        files.update(load_sweep(out_dir).to_parquet())
    return CompareResult(grid_line, points, results, files, wall)


class _progress:
    """A rich progress bar over the runs (on stderr, and only when stderr is a terminal)."""

    @classmethod
    def on_terminal(cls, total: int) -> _progress | None:
        """A started bar, or None off a terminal: a CI log or a file would keep every redraw of it."""
        from rich.console import Console

        console = Console(stderr=True)
        return cls(total, console) if console.is_interactive else None

    def __init__(self, total: int, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("runs"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
        )
        self._task = self._progress.add_task("", total=total)
        self._progress.start()

    def advance(self, result: dict[str, Any]) -> None:
        state = "error" if result["error"] else ("ok" if result["invariants_hold"] else "invariants failed")
        self._progress.update(self._task, advance=1, description=f"run {result['index']}: {state}")

    def stop(self) -> None:
        self._progress.stop()


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``rwasim compare``."""
    parser.add_argument(
        "--topology",
        dest="topologies",
        action="append",
        default=[],
        metavar="NAME",
        help="a topology to compare (repeatable): consortium-only, public-only, bridged, dual-space, hub",
    )
    parser.add_argument(
        "--seeds",
        type=int_option(1, MAX_SEEDS),
        default=3,
        help=f"seeds per topology and parameter point, 1 to {MAX_SEEDS} (default %(default)s)",
    )
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=V1[,V2...]",
        help="sweep a topology_study parameter over values (repeatable; lists as [a,b])",
    )
    parser.add_argument(
        "--workers",
        type=int_option(1, MAX_WORKERS),
        default=2,
        help=f"worker processes, 1 to {MAX_WORKERS} (default %(default)s)",
    )
    parser.add_argument(
        "--executor",
        default="local",
        metavar="{local,dask}",
        help="local (processes on this machine) or dask (default %(default)s)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a Dask scheduler address (tcp://host:8786); default: a local Dask cluster",
    )
    parser.add_argument(
        "--base-seed",
        type=seed_option,
        default=0,
        help="base seed the run seeds derive from, 0 <= seed < 2**64 (default %(default)s)",
    )
    parser.add_argument(
        "--backend",
        default=DEFAULT_BACKEND,
        metavar="{revm,eth-tester,anvil,URL}",
        help="Ethereum backend of every run (default %(default)s)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar (there is none off a terminal either)")
    parser.add_argument(
        "--parquet",
        action="store_true",
        help="also write runs.parquet and summary.parquet (needs the extra rwasim[analysis])",
    )


def cli_compare(args: argparse.Namespace) -> int:
    """Handler of ``rwasim compare``: 0 when every run holds its invariants, 1 when one does
    not or raised, 2 for a mistake in the command (one line on stderr)."""
    try:
        result = run_compare(
            args.topologies,
            seeds=args.seeds,
            out_dir=args.out,
            sets=args.sets,
            base_seed=args.base_seed,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            backend=args.backend,
            progress=not args.quiet,
            parquet=args.parquet,
        )
    except CompareError as exc:
        print(f"rwasim: {exc}", file=sys.stderr)
        return 2
    for point, res in zip(result.points, result.results):
        state = res["error"] or ("ok" if res["invariants_hold"] else "invariants failed")
        print(f"{point.index:>4}  {point.label():<32} seed {point.seed:<20} {state}")
        print(f"      rerun: {point.rerun_command(args.backend)}")
    for name, path in result.files.items():
        print(f"{name + ':':<9} {path}")
    print(f"wall clock: {result.wall_s:.1f} s with {args.workers} {args.executor} worker(s)")
    return 0 if result.all_ok else 1

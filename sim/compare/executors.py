"""Running the grid's points: in local processes, or on a Dask cluster (local or remote).

A point is run by :func:`execute_point` in a worker process: it calls the same
``run_scenario`` as ``rwasim run``, so a row of the sweep and a run by hand are the same
computation. Results come back in completion order and are put back in grid order by index;
the only wall-clock figure (``wall_s``) is kept apart from the results.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rwasim.compare.grid import SCENARIO, CompareError, GridPoint
from rwasim.defaults import DEFAULT_BACKEND

EXECUTORS = ("local", "dask")
#: More worker processes than this is a typo, not a machine (each holds a whole EVM).
MAX_WORKERS = 256


def check_executor(executor: str, workers: int, scheduler: str | None) -> None:
    """Refuse an executor set-up that cannot run, before any output is written."""
    if executor not in EXECUTORS:
        raise CompareError(f"unknown executor {executor!r} (choose local or dask)")
    if not 1 <= workers <= MAX_WORKERS:
        raise CompareError(f"--workers must be an integer from 1 to {MAX_WORKERS}, not {workers}")
    if scheduler is not None and executor != "dask":
        raise CompareError("--scheduler needs --executor dask")
    if executor == "dask":
        require_dask()


def run_dir(out_dir: Path, point: GridPoint) -> Path:
    """Where one run keeps its report.json and events.jsonl."""
    return Path(out_dir) / "runs" / f"{point.index:04d}-{point.topology}-r{point.replicate}"


def execute_point(point: GridPoint, out_dir: str, backend: str = DEFAULT_BACKEND) -> dict[str, Any]:
    """Run one point (in a worker process) and return what the tables need.

    Returns
    -------
    dict
        ``index``, ``metrics`` (the workload's figures), ``invariants_hold``, ``events_sha256``
        (the event log's hash: equal logs, equal runs), ``error`` (one line, or None) and
        ``wall_s`` (wall-clock seconds; never part of runs.csv).
    """
    from rwasim.runner import ScenarioError, run_scenario

    started = time.perf_counter()
    result: dict[str, Any] = {
        "index": point.index,
        "metrics": {},
        "invariants_hold": False,
        "events_sha256": "",
        "error": None,
    }
    try:
        run = run_scenario(
            SCENARIO, seed=point.seed, out_dir=run_dir(Path(out_dir), point), backend=backend, overrides=point.overrides
        )
        result["metrics"] = run.report.get("topology_study", {}).get("metrics", {})
        result["invariants_hold"] = run.invariants_hold
        result["events_sha256"] = hashlib.sha256(run.events_path.read_bytes()).hexdigest()
    except ScenarioError as exc:
        result["error"] = str(exc)
    except Exception as exc:  # a worker must always answer, or the sweep would hang on it
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["wall_s"] = time.perf_counter() - started
    return result


def _local(points: list[GridPoint], out_dir: Path, backend: str, workers: int) -> Iterator[dict[str, Any]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("forkserver")  # fresh interpreters: no state inherited from this one
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(execute_point, point, str(out_dir), backend) for point in points]
        for future in as_completed(futures):
            yield future.result()


def require_dask() -> None:
    """Dask is the optional extra ``rwasim[dask]``; without it say how to install it, in one line."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise CompareError("--executor dask needs the extra rwasim[dask]: pip install 'rwasim[dask]'") from None


def to_stderr(line: str) -> None:
    """Print one line to stderr (where the command's messages go, never into its results)."""
    print(line, file=sys.stderr, flush=True)


def dashboard_line(cluster: Any) -> str:
    """The one line said when a local cluster starts: its dashboard's address, or why there is none."""
    link = getattr(cluster, "dashboard_link", "") if "dashboard" in cluster.scheduler.services else ""
    if link:
        return f"dask dashboard: {link}"
    return "dask: local cluster started without a dashboard (it needs bokeh, part of rwasim[dask])"


def _dask(
    points: list[GridPoint],
    out_dir: Path,
    backend: str,
    workers: int,
    scheduler: str | None,
    announce: Callable[[str], None] = to_stderr,
) -> Iterator[dict[str, Any]]:
    import logging

    require_dask()
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    try:
        if scheduler is None:
            has_bokeh = importlib.util.find_spec("bokeh") is not None
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                # a free port on this machine only: two sweeps at once never collide on :8787
                dashboard_address="127.0.0.1:0" if has_bokeh else None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
            announce(dashboard_line(cluster))
        else:
            client = Client(scheduler, timeout="5s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
        raise CompareError(f"cannot reach {where}: {type(exc).__name__}: {exc}".rstrip(": ")) from None
    try:
        futures = [client.submit(execute_point, point, str(out_dir), backend, pure=False) for point in points]
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_points(
    points: list[GridPoint],
    out_dir: Path,
    *,
    executor: str = "local",
    workers: int = 2,
    scheduler: str | None = None,
    backend: str = DEFAULT_BACKEND,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    announce: Callable[[str], None] = to_stderr,
) -> list[dict[str, Any]]:
    """Run every point and return the results in grid order (whatever order they finished in).

    A local Dask cluster's dashboard address is passed to ``announce`` (one line on stderr by
    default) as soon as the cluster is up, so the sweep can be watched while it runs.
    """
    check_executor(executor, workers, scheduler)
    stream = (
        _local(points, out_dir, backend, workers)
        if executor == "local"
        else _dask(points, out_dir, backend, workers, scheduler, announce)
    )
    results: dict[int, dict[str, Any]] = {}
    for result in stream:
        results[result["index"]] = result
        if on_result is not None:
            on_result(result)
    return [results[point.index] for point in points]

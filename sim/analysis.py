"""A run's and a sweep's results as pandas DataFrames, for notebooks.

``from rwasim import load_run, load_sweep`` works without pandas installed; pandas (and pyarrow,
for Parquet) are imported only when one of them is called, and their absence is one line naming
the extra ``rwasim[analysis]``. Nothing here runs a simulation: it reads the files a run
(report.json, events.jsonl) or ``rwasim compare`` (runs.csv, summary.csv) wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: What a missing pandas or pyarrow says, after the name of what needed it.
INSTALL_HINT = "needs the extra rwasim[analysis]: pip install 'rwasim[analysis]'"
#: The leading columns of a run's events frame (the rest are the union of the events' fields).
EVENT_COLUMNS = ("seq", "t", "kind", "source")


class AnalysisUnavailable(ImportError):
    """pandas or pyarrow is not installed; the message is one line naming the extra to install."""


def require_analysis(what: str, parquet: bool = False) -> Any:
    """The pandas module (checking pyarrow too when ``parquet``), or :class:`AnalysisUnavailable`."""
    try:
        import pandas

        if parquet:
            import pyarrow  # noqa: F401
    except ImportError:
        raise AnalysisUnavailable(f"{what} {INSTALL_HINT}") from None
    return pandas


@dataclass
class Run:
    """One run's results: ``metrics`` (one row per phase, Caliper's columns), ``events`` (one row
    per line of events.jsonl, in order), ``invariants`` (name, holds), ``study`` (the flat
    topology_study figures, one row, empty for other scenarios) and the whole ``report``."""

    path: Path
    report: dict[str, Any]
    metrics: pd.DataFrame
    events: pd.DataFrame
    invariants: pd.DataFrame
    study: pd.DataFrame


@dataclass
class Sweep:
    """A sweep's tables: ``runs`` (one row per run, grid order) and ``summary`` (one row per
    topology, parameter point and metric), as ``rwasim compare`` wrote them."""

    path: Path
    runs: pd.DataFrame
    summary: pd.DataFrame

    def to_parquet(self, out_dir: str | Path | None = None) -> dict[str, Path]:
        """Write runs.parquet and summary.parquet (into the sweep's folder by default)."""
        return write_parquet(self.runs, self.summary, Path(out_dir) if out_dir is not None else self.path)


def load_run(path: str | Path) -> Run:
    """The results of the run written to folder ``path`` (by ``rwasim run`` or a sweep's run folder)."""
    pd = require_analysis("load_run")
    folder = Path(path)
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    phases = []
    for phase, figures in report.get("metrics", {}).items():
        phases.append({"phase": phase, **{k: v for k, v in figures.items() if not isinstance(v, dict)}})
    with open(folder / "events.jsonl", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    events = pd.DataFrame.from_records(records)
    events = events[[*(c for c in EVENT_COLUMNS if c in events), *(c for c in events if c not in EVENT_COLUMNS)]]
    invariants = pd.DataFrame(
        {"invariant": list(report.get("invariants", {})), "holds": list(report.get("invariants", {}).values())}
    )
    study_metrics = (report.get("topology_study") or {}).get("metrics")
    study = pd.DataFrame([study_metrics]) if study_metrics else pd.DataFrame()
    return Run(folder, report, pd.DataFrame(phases), events, invariants, study)


def load_sweep(path: str | Path) -> Sweep:
    """The tables of the sweep written to folder ``path`` by ``rwasim compare`` (the CSV files,
    or runs.parquet and summary.parquet where only those are there)."""
    pd = require_analysis("load_sweep")
    folder = Path(path)
    tables = {}
    for name in ("runs", "summary"):
        csv_path, parquet_path = folder / f"{name}.csv", folder / f"{name}.parquet"
        if csv_path.exists():
            tables[name] = pd.read_csv(csv_path, dtype={"rerun": str, "events_sha256": str})
        elif parquet_path.exists():
            require_analysis("load_sweep", parquet=True)
            tables[name] = pd.read_parquet(parquet_path)
        else:
            raise FileNotFoundError(f"{folder} holds neither {name}.csv nor {name}.parquet: not a sweep's folder")
    return Sweep(folder, tables["runs"], tables["summary"])


def write_parquet(runs: pd.DataFrame, summary: pd.DataFrame, out_dir: Path) -> dict[str, Path]:
    """runs.parquet and summary.parquet in ``out_dir``."""
    require_analysis("writing Parquet", parquet=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"runs_parquet": out_dir / "runs.parquet", "summary_parquet": out_dir / "summary.parquet"}
    runs.to_parquet(files["runs_parquet"], index=False)
    summary.to_parquet(files["summary_parquet"], index=False)
    return files

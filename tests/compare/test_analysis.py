"""Intervals inside each metric's domain, unique column names, int64 seeds, and the results as
DataFrames (load_run, load_sweep, Parquet), on a real sweep and on synthetic samples."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from rwasim.compare import SEED_LIMIT, build_grid, run_compare
from rwasim.compare.output import metric_domain, summary_rows
from rwasim.compare.stats import SMALL_N
from rwasim.runner import check_seed, run_scenario
from rwasim.topology_workload import METRIC_DOMAINS
from tests.compare.test_stats_and_grid import assert_inside

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

TOPOLOGIES = ["consortium-only", "bridged"]
SETS = ["investors=8", "trades_per_investor=1.0"]
SEEDS = 5
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("analysis") / "sweep"
    result = run_compare(
        TOPOLOGIES,
        seeds=SEEDS,
        sets=SETS,
        out_dir=out,
        workers=2,
        base_seed=2**64 - 1,
        parquet=True,
        say=lambda _: None,
    )
    assert result.all_ok, [r["error"] for r in result.results]
    return result


def test_every_numeric_workload_metric_has_a_domain(sweep):
    numeric = {
        name
        for r in sweep.results
        for name, value in r["metrics"].items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }
    assert numeric <= set(METRIC_DOMAINS)
    assert metric_domain("reach") == "share" and metric_domain("trade_p95_s") == "nonnegative"
    assert metric_domain("not_a_metric") == "real"


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_real_sweep_intervals_stay_in_their_domain(sweep, n):
    keep = [i for i, p in enumerate(sweep.points) if p.replicate < n]
    header, rows = summary_rows([sweep.points[i] for i in keep], [sweep.results[i] for i in keep])
    assert rows
    for row in map(lambda r: dict(zip(header, r)), rows):
        num = {k: (float(row[k]) if row[k] else None) for k in ("mean", "ci95_low", "ci95_high")}
        assert_inside(row["domain"], num["ci95_low"], num["ci95_high"], num["mean"])
        if row["n"] != "0":
            assert row["small_n"] == ("1" if int(row["n"]) < SMALL_N else "0")


def test_written_summary_flags_and_domains(sweep):
    summary = pd.read_csv(sweep.files["summary"])
    assert {"domain", "small_n", "ci95_low", "ci95_high"} <= set(summary.columns)
    assert (summary["n"] == SEEDS).any() and not summary.loc[summary["n"] >= SMALL_N, "small_n"].any()
    nonneg = summary[summary["domain"] == "nonnegative"]
    assert (nonneg["ci95_low"].dropna() >= 0).all()
    shares = summary[summary["domain"] == "share"]
    assert set(shares["metric"]) == {"reach", "regulator_visibility", "fault_applies", "eth_utilisation"}
    assert (shares["ci95_high"].dropna() <= 1).all() and (shares["ci95_low"].dropna() >= 0).all()


def test_headers_are_unique(sweep):
    for name in ("runs", "summary"):
        path = sweep.files[name]
        header = path.read_text().splitlines()[0].split(",")
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            first = next(reader)
        assert len(first) == len(header) == len(set(header)), name
        assert not [c for c in pd.read_csv(path).columns if c.endswith(".1")], name
    runs_header = sweep.files["runs"].read_text().splitlines()[0].split(",")
    assert "param.investors" in runs_header and "investors" in runs_header
    assert "param.investors" in sweep.files["summary"].read_text().splitlines()[0].split(",")


def test_seeds_fit_int64_and_a_row_rerun_reproduces_it(sweep, tmp_path):
    runs = pd.read_csv(sweep.files["runs"])
    assert runs["seed"].dtype == "int64" and (runs["seed"] >= 0).all()
    assert all(p.seed < SEED_LIMIT for p in sweep.points)
    assert all(p.seed < 2**63 for b in (0, 1, 2**63, 2**64 - 1) for p in build_grid(["hub"], [], 50, b))
    check_seed(2**64 - 1)  # rwasim run still takes any seed below 2**64
    row = runs.iloc[-1]
    words = row["rerun"].split()
    assert words[:5] == ["rwasim", "run", "topology_study", "--seed", str(row["seed"])]
    overrides = dict(w.split("=", 1) for w in words[6::2])
    alone = run_scenario("topology_study", seed=int(words[4]), out_dir=tmp_path, overrides=overrides)
    assert hashlib.sha256(alone.events_path.read_bytes()).hexdigest() == row["events_sha256"]
    assert alone.report["topology_study"]["metrics"]["reach"] == pytest.approx(row["reach"])


def test_load_sweep_and_parquet_round_trip(sweep, tmp_path):
    from rwasim import load_sweep

    loaded = load_sweep(sweep.files["runs"].parent)
    assert len(loaded.runs) == len(TOPOLOGIES) * SEEDS
    assert {"topology", "param.investors", "param.trades_per_investor", "seed", "reach", "rerun"} <= set(
        loaded.runs.columns
    )
    assert list(loaded.summary.columns[:3]) == ["topology", "param.investors", "param.trades_per_investor"]
    assert len(loaded.summary) == len(TOPOLOGIES) * loaded.summary["metric"].nunique()
    # --parquet wrote the same tables; to_parquet elsewhere reads back equal
    pd.testing.assert_frame_equal(pd.read_parquet(sweep.files["runs_parquet"]), loaded.runs)
    files = loaded.to_parquet(tmp_path)
    assert files["runs_parquet"].exists() and files["summary_parquet"].exists()
    only_parquet = load_sweep(tmp_path)  # no CSV there: read from Parquet
    pd.testing.assert_frame_equal(only_parquet.runs, loaded.runs)
    pd.testing.assert_frame_equal(only_parquet.summary, loaded.summary)
    with pytest.raises(FileNotFoundError, match="not a sweep"):
        load_sweep(tmp_path / "nothing")


def test_load_run_frames(sweep):
    from rwasim import load_run

    folder = next(p for p in sorted((sweep.files["runs"].parent / "runs").iterdir()) if "bridged" in p.name)
    run = load_run(folder)
    lines = (folder / "events.jsonl").read_text().splitlines()
    assert len(run.events) == len(lines) and list(run.events.columns[:4]) == ["seq", "t", "kind", "source"]
    assert run.events["seq"].tolist() == sorted(run.events["seq"])
    assert set(run.metrics["phase"]) == set(run.report["metrics"])
    assert {"succ", "fail", "throughput_tps", "latency_p95_s"} <= set(run.metrics.columns)
    assert list(run.invariants.columns) == ["invariant", "holds"]
    assert len(run.invariants) == len(run.report["invariants"]) and run.invariants["holds"].all()
    assert len(run.study) == 1 and run.study.loc[0, "reach"] == run.report["topology_study"]["metrics"]["reach"]


def _python(script: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


def test_import_rwasim_does_not_import_pandas():
    done = _python("import sys, rwasim; from rwasim import load_run, load_sweep; print('pandas' in sys.modules)")
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr


def test_without_the_extra_one_line_names_it(tmp_path):
    done = _python(
        "import sys; sys.modules['pandas'] = None\n"
        "from rwasim import load_sweep\n"
        f"try:\n    load_sweep({str(tmp_path)!r})\nexcept ImportError as exc:\n    print(exc)\n"
        "from rwasim.cli import main\n"
        f"sys.exit(main(['compare', '--topology', 'hub', '--seeds', '1', '--parquet', '--quiet', "
        f"'--out', {str(tmp_path / 'out')!r}]))\n"
    )
    assert done.returncode == 2
    assert "pip install 'rwasim[analysis]'" in done.stdout and done.stdout.count("\n") == 1
    assert done.stderr.strip().splitlines() == [
        "rwasim: --parquet needs the extra rwasim[analysis]: pip install 'rwasim[analysis]'"
    ]
    assert not (tmp_path / "out").exists()


def test_example_plot_runs_a_tiny_sweep_and_saves_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location("topology_plot", ROOT / "examples" / "topology_plot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    png = module.main(["--out", str(tmp_path)])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "sweep" / "summary.csv").exists()

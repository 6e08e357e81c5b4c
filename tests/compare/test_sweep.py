"""One small sweep on both executors: identical per-run results, grid order, reruns that match,
the summary and the page; and the command's mistakes exit 2 with one line."""

from __future__ import annotations

import csv
import hashlib
import re
import socket

import pytest

from rwasim.cli import main
from rwasim.compare import run_compare
from rwasim.compare.executors import run_dir
from rwasim.runner import run_scenario

TOPOLOGIES = ["consortium-only", "bridged", "dual-space"]
SETS = ["investors=8", "trades_per_investor=1.0"]


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    local = run_compare(
        TOPOLOGIES,
        seeds=2,
        sets=SETS,
        out_dir=root / "local",
        executor="local",
        workers=2,
        base_seed=3,
        say=lambda _: None,
    )
    dask = run_compare(
        TOPOLOGIES,
        seeds=2,
        sets=SETS,
        out_dir=root / "dask",
        executor="dask",
        workers=2,
        base_seed=3,
        say=lambda _: None,
    )
    return local, dask


def _rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_local_and_dask_give_identical_results(sweeps):
    local, dask = sweeps
    assert local.all_ok and dask.all_ok, [r["error"] for r in local.results + dask.results]
    assert local.files["runs"].read_bytes() == dask.files["runs"].read_bytes()
    assert local.files["summary"].read_bytes() == dask.files["summary"].read_bytes()
    for point in local.points:  # the event logs themselves are byte-identical
        a = (run_dir(local.files["runs"].parent, point) / "events.jsonl").read_bytes()
        b = (run_dir(dask.files["runs"].parent, point) / "events.jsonl").read_bytes()
        assert a == b


def test_runs_csv_is_the_full_grid_in_grid_order_without_wall_clock(sweeps):
    local, _ = sweeps
    rows = _rows(local.files["runs"])
    assert [int(r["index"]) for r in rows] == list(range(len(TOPOLOGIES) * 2))
    assert [(r["topology"], r["replicate"]) for r in rows] == [(t, str(i)) for t in TOPOLOGIES for i in range(2)]
    assert {r["param.investors"] for r in rows} == {"8"} and {r["param.trades_per_investor"] for r in rows} == {"1.0"}
    assert {r["investors"] for r in rows} == {"8"}  # the metric: investors the run had
    assert not any("wall" in column for column in rows[0])
    for column in (
        "reach",
        "trade_p95_s",
        "finality_p50_s",
        "cost_usd",
        "failed_settlements",
        "value_at_risk",
        "detection_s",
        "msgs_per_validator",
        "kb_per_validator",
        "regulator_visibility",
        "gas",
    ):
        assert column in rows[0]
    assert "wall_s" in local.files["timings"].read_text()
    assert local.grid_line in local.files["grid"].read_text()


def test_a_row_rerun_alone_matches(sweeps, tmp_path):
    local, _ = sweeps
    rows = _rows(local.files["runs"])
    row = rows[3]  # bridged, second seed
    assert row["rerun"].startswith(f"rwasim run topology_study --seed {row['seed']} --set topology=bridged")
    alone = run_scenario(
        "topology_study",
        seed=int(row["seed"]),
        out_dir=tmp_path,
        overrides={"topology": "bridged", "investors": "8", "trades_per_investor": "1.0"},
    )
    assert hashlib.sha256(alone.events_path.read_bytes()).hexdigest() == row["events_sha256"]
    metrics = alone.report["topology_study"]["metrics"]
    for name, value in metrics.items():
        assert row[name] == ("" if value is None else str(value)), name


def test_topologies_differ_where_the_design_says(sweeps):
    local, _ = sweeps
    rows = {(r["topology"], r["replicate"]): r for r in _rows(local.files["runs"])}
    for rep in ("0", "1"):
        cons, bridged, dual = (rows[(t, rep)] for t in TOPOLOGIES)
        assert float(cons["gas"]) == 0 and float(bridged["gas"]) > 0  # no public chain, no gas
        assert cons["cross_ops"] == "0"
        assert float(cons["regulator_visibility"]) == 1.0  # every transfer is on the consortium
        assert float(bridged["reach"]) >= float(cons["reach"])  # same investors (paired seeds), more venues
        assert dual["msgs_per_validator"] == ""  # no consortium validators in a dual-space chain


def test_summary_holds_mean_and_ci_per_topology_and_metric(sweeps):
    local, _ = sweeps
    rows = _rows(local.files["summary"])
    reach = [r for r in rows if r["metric"] == "reach"]
    assert [r["topology"] for r in reach] == TOPOLOGIES
    by_topology = {r["topology"]: r for r in reach}
    values = [float(r["reach"]) for r in _rows(local.files["runs"]) if r["topology"] == "bridged"]
    assert float(by_topology["bridged"]["mean"]) == pytest.approx(sum(values) / 2, abs=1e-6)
    assert all(r["n"] == "2" for r in reach)


def test_the_page_is_self_contained(sweeps):
    local, _ = sweeps
    page = local.files["html"].read_text()
    assert (
        "<svg" in page
        and "<script" not in page.lower()
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    for name in TOPOLOGIES:
        assert name in page
    assert "reach" in page and "rwasim run topology_study --seed" in page


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--topology", "ring"], "unknown topology 'ring'"),
        (["--topology", "hub", "--set", "zz=1"], "unknown parameter"),
        (["--topology", "hub", "--set", "investors=lots"], "bad --set investors=lots"),
        (["--topology", "hub", "--executor", "spark"], "unknown executor"),
        (["--topology", "hub", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:{port}"], "cannot reach the Dask"),
    ],
)
def test_mistakes_exit_2_with_one_line(argv, message, tmp_path, capsys):
    argv = [a.format(port=_closed_port()) for a in argv]
    assert main(["compare", *argv, "--seeds", "1", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_dask_executor_without_the_extra_says_how_to_install_it(tmp_path):
    """Where rwasim[dask] is not installed, one line names the extra; no run starts."""
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None\n"
        "from rwasim.cli import main\n"
        f"sys.exit(main(['compare', '--topology', 'bridged', '--seeds', '1', '--executor', 'dask', '--quiet', "
        f"'--out', {str(tmp_path / 'out')!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == ["rwasim: --executor dask needs the extra rwasim[dask]: pip install 'rwasim[dask]'"]
    assert not (tmp_path / "out").exists()


def test_a_local_dask_cluster_prints_its_dashboard_on_stderr(tmp_path, capsys):
    from rwasim.compare.executors import run_points

    assert run_points([], tmp_path, executor="dask", workers=1) == []
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.fullmatch(r"dask dashboard: http://127\.0\.0\.1:\d+/status\n", captured.err), captured.err


def test_the_dashboard_answers_while_the_cluster_runs(tmp_path):
    import urllib.request

    from rwasim.compare.executors import run_points

    seen = []

    def fetch(line):
        url = line.split(": ", 1)[1]
        with urllib.request.urlopen(url, timeout=30) as reply:
            seen.append((reply.status, "dask" in reply.read().decode("utf-8", "replace").lower()))

    run_points([], tmp_path, executor="dask", workers=1, announce=fetch)
    assert seen == [(200, True)]

"""User mistakes on the command line give one clear line and exit status 2, never a traceback."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rwasim.cli import main

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


OK_SCENARIO = '''"""Counts to N on the clock and checks it."""
PARAMS = {"n": 3, "rate": 0.5, "label": "x", "flag": False}

def run(ctx):
    def proc():
        for i in range(ctx.params["n"]):
            yield ctx.sim.timeout(1)
            ctx.sim.record("demo.tx", "demo", status=True, submitted_at=ctx.sim.now - ctx.params["rate"])
    with ctx.phase("count"):
        ctx.sim.process(proc())
        ctx.sim.run()
    ctx.check("counted", len(ctx.sim.log.of_kind("demo")) == ctx.params["n"])
'''


def test_unknown_scenario(capsys):
    assert main(["run", "no_such_scenario"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rwasim: unknown scenario 'no_such_scenario'") and err.count("\n") == 1


def test_missing_scenario_file(capsys, tmp_path):
    assert main(["run", str(tmp_path / "nope.py")]) == 2
    assert "scenario file not found" in capsys.readouterr().err


def test_scenario_that_raises(capsys, tmp_path):
    path = _write(tmp_path, "boom.py", '"""Raises."""\ndef run(ctx):\n    raise RuntimeError("kaput")\n')
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "scenario boom raised RuntimeError: kaput (boom.py:3)" in err and "Traceback" not in err


def test_scenario_that_fails_to_import(capsys, tmp_path):
    path = _write(tmp_path, "bad.py", "def broken(:\n")
    assert main(["run", str(path)]) == 2
    assert "failed to load: SyntaxError" in capsys.readouterr().err


@pytest.mark.parametrize(
    "setting, message",
    [
        ("n", "expected KEY=VALUE"),
        ("n=abc", "bad --set n=abc"),
        ("zz=1", "unknown parameter"),
        ("flag=maybe", "flag must be true or false"),
    ],
)
def test_bad_set(capsys, tmp_path, setting, message):
    path = _write(tmp_path, "ok.py", OK_SCENARIO)
    assert main(["run", str(path), "--set", setting, "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err


def test_run_writes_report_and_events_and_set_is_typed(tmp_path, capsys):
    path = _write(tmp_path, "ok.py", OK_SCENARIO)
    out = tmp_path / "out"
    assert main(["run", str(path), "--seed", "7", "--out", str(out), "--set", "n=4", "--quiet"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["scenario"] == "ok" and report["seed"] == 7 and report["params"]["n"] == 4
    assert report["invariants"] == {"counted": True}
    assert report["metrics"]["count"]["succ"] == 4
    assert {"topology", "backend", "balances", "supply", "alerts", "metrics"} <= set(report)
    first = (out / "events.jsonl").read_bytes()
    assert main(["run", str(path), "--seed", "7", "--out", str(out), "--set", "n=4", "--quiet"]) == 0
    assert (out / "events.jsonl").read_bytes() == first
    out = capsys.readouterr().out
    assert "invariants: 1 of 1 hold" in out and re.search(r"^  ok +counted$", out, re.M)


def test_failed_invariant_exits_1(tmp_path):
    body = OK_SCENARIO.replace('== ctx.params["n"]', "== -1")
    path = _write(tmp_path, "fails.py", body)
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 1


def test_console_script_is_installed():
    proc = subprocess.run([sys.executable, "-m", "rwasim.cli", "run", "nope"], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr

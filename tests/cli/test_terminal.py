"""What a person reads on the terminal: the summary table, ``rwasim show``, quiet broken pipes,
progress only on a terminal and ``--help`` with examples. None of it changes a run's files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rwasim.cli import EXIT_CLOSED_PIPE, main
from rwasim.params import param_specs
from rwasim.runner import describe_scenario, discover_scenarios
from rwasim.words import counted, duration, or_else, rate

REPO = Path(__file__).resolve().parents[2]
LONG = "settlement of every outstanding trade after the market reopened on a holiday"

MANY = f'''"""Records 1,500 settled transactions under a phase with a long name."""
PARAMS = {{"n": 1500}}

def run(ctx):
    with ctx.phase("warm-up"):
        ctx.sim.record("demo.tx", "demo", status=True, submitted_at=0.0)
    with ctx.phase({LONG!r}):
        for i in range(ctx.params["n"]):
            ctx.sim.record("demo.tx", "demo", status=i % 100 != 0, submitted_at=ctx.sim.now - 0.991236 * (i % 7))
            ctx.sim.run(until=ctx.sim.now + 0.5)
    ctx.check("counted", True)
'''


def _env(**extra: str) -> dict[str, str]:
    keep = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "TERM", "COLUMNS")
    env = {k: v for k, v in os.environ.items() if k not in keep}
    env.update(extra)
    return env


def _rwasim(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rwasim.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(**env),
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def test_figures_in_words():
    assert [duration(s) for s in (None, 0, 0.0042, 0.991236, 4.99, 7464.1, 400_000)] == [
        "-",
        "0 ms",
        "4.20 ms",
        "991 ms",
        "4.99 s",
        "2.07 h",
        "4.63 d",
    ]
    assert [rate(r) for r in (None, 0.788477, 12.34, 1204.4)] == ["-", "0.79 tps", "12.3 tps", "1,204 tps"]
    assert counted({"delivered": 4, "in_flight": 1, "refunded": 0}) == "4 delivered, 1 in flight"
    assert counted({}) == "none" and or_else(None, "not reached") == "not reached"


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    folder = tmp_path_factory.mktemp("many")
    script = folder / "many.py"
    script.write_text(MANY, encoding="utf-8")
    return _rwasim("run", str(script), "--out", str(folder / "out"), "--quiet", COLUMNS="100"), folder


def test_summary_is_a_table_with_units_and_separators(many):
    proc, folder = many
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    header = next(line for line in out.splitlines() if line.startswith("phase"))
    for column in ("succ", "fail", "send rate", "throughput", "min", "avg", "max", "p50", "p95", "p99"):
        assert column in header, column
    assert "events 1,5" in out and "1,485" in out  # thousands separators: 1,500 minus 15 failures
    assert " tps" in out and " ms" in out and re.search(r"\d\.\d\d s\b", out)
    assert not re.search(r"\d\.\d{4,}", out), out  # no raw floats
    assert "\x1b[" not in out  # plain text off a terminal
    assert "invariants: 1 of 1 hold" in out and f"report: {folder / 'out' / 'report.json'}" in out


def test_a_long_phase_name_is_cut_not_wrapped_at_100_columns(many):
    proc, _ = many
    lines = proc.stdout.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    table = lines[lines.index(next(line for line in lines if line.startswith("phase"))) :]
    row = next(line for line in table if line.startswith("settlement of"))
    assert "…" in row and row.rstrip().endswith(" s")  # the name is cut; its figures are on the same line
    assert not any(line.startswith(" ") and "holiday" in line for line in table)  # no continuation line


def test_summary_splits_into_two_tables_when_narrow(many):
    proc, folder = many
    narrow = _rwasim("run", str(folder / "many.py"), "--out", str(folder / "narrow"), "--quiet", COLUMNS="72")
    lines = narrow.stdout.splitlines()
    assert all(len(line) <= 72 for line in lines), max(lines, key=len)
    assert sum(line.startswith("phase") for line in lines) == 2
    assert not any("…" in line and re.search(r"\d…", line) for line in lines)  # figures are never cut
    assert (folder / "narrow" / "events.jsonl").read_bytes() == (folder / "out" / "events.jsonl").read_bytes()


@pytest.mark.parametrize("name", sorted(discover_scenarios()))
def test_show_lists_every_parameter_with_range_and_meaning(name, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one row per parameter, nothing folded
    assert main(["show", name]) == 0
    out = capsys.readouterr().out
    described = describe_scenario(name)
    assert described.doc.splitlines()[0] in out
    table = out.split("parameters (rwasim run", 1)[1].splitlines()
    for param, spec in described.params.items():
        row = next((line for line in table if line.startswith(param + " ")), None)
        assert row is not None, param
        assert spec.describe() in row and (spec.help or "-") in row
    assert param_specs(described.params) == described.params
    for rule in described.rules:
        assert rule.text in out


def test_show_a_scenario_file_and_an_unknown_one(capsys, tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(MANY, encoding="utf-8")
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Records 1,500 settled" in out and re.search(r"^n +1500 +int +an integer", out, re.M)
    assert main(["show", "no_such_scenario"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rwasim: unknown scenario 'no_such_scenario'") and err.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [("list",), ("show", "issuance"), ("run", "issuance", "--quiet", "--out", "{out}"), ("--help",)],
    ids=["list", "show", "run", "help"],
)
def test_a_closed_pipe_ends_quietly(args, tmp_path):
    """``rwasim ... | head``: the reader is gone before we write; no traceback, a closed-pipe status."""
    args = tuple(a.format(out=tmp_path / "out") for a in args)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rwasim.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
        env=_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    status = proc.wait(timeout=300)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert status in (0, EXIT_CLOSED_PIPE) if args == ("--help",) else status == EXIT_CLOSED_PIPE


def test_compare_draws_its_bar_only_on_a_terminal(tmp_path):
    args = ("compare", "--topology", "public-only", "--seeds", "1", "--workers", "1")
    plain = _rwasim(*args, "--out", str(tmp_path / "plain"))
    live = _rwasim(*args, "--out", str(tmp_path / "live"), TTY_COMPATIBLE="1", TTY_INTERACTIVE="1", TERM="xterm")
    assert plain.returncode == live.returncode == 0, plain.stderr + live.stderr
    assert "━" not in plain.stderr and "\x1b[" not in plain.stderr and "1/1" not in plain.stderr
    assert "━" in live.stderr and "1/1" in live.stderr  # the same command on a terminal shows it
    assert (tmp_path / "plain" / "runs.csv").read_bytes() == (tmp_path / "live" / "runs.csv").read_bytes()


@pytest.mark.parametrize(
    "command", [[], ["run"], ["list"], ["show"], ["compare"], ["contracts"], ["contracts", "build"]]
)
def test_help_gives_examples(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "  rwasim " in out.split("examples:")[1]


def test_help_shows_choices_and_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--executor {local,dask}" in out and "(default local)" in out and "(default revm)" in out
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "{revm,eth-tester,anvil,URL}" in out and "(default revm)" in out and "(default 0)" in out

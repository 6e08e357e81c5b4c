"""The example team project (examples/user_project) works with this install, so a broken example fails `make test`.

It is copied to a temporary folder (as `.ci/wheel-smoke` does with the wheel) and used from
there: its own tests under pytest, its scenario by path from an unrelated folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "user_project"


@pytest.fixture
def project(tmp_path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", "runs", ".pytest_cache"))
    return copy


@pytest.mark.slow
def test_the_example_projects_own_tests_pass(project):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 passed" in done.stdout


def test_the_example_scenario_runs_by_path_from_another_folder(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    scenario = project / "scenarios" / "my_first_scenario.py"
    done = subprocess.run(
        [sys.executable, "-m", "rwasim", "run", str(scenario), "--quiet", "--out", "out", "--seed", "3"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((elsewhere / "out" / "report.json").read_text())
    assert report["scenario"] == "my_first_scenario" and report["seed"] == 3
    assert report["invariants"] == {
        "bridge_units_conserved": True,
        "unverified_depositor_refused": True,
        "vault_coupon_is_the_sum_of_its_depositors_within_rounding": True,
        "vault_holds_what_was_deposited": True,
    }
    assert report["vault"]["deposited"] == 75

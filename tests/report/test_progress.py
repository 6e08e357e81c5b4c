"""``rwasim run`` progress on stderr: a live status line on a terminal, plain narration elsewhere.

Whatever is shown, the run's files are the same bytes; ``--quiet`` shows nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARGS = ["cross_chain_transfer", "--seed", "5", "--set", "investors=2"]


def _run(out: Path, *extra: str, terminal: bool = False) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "TERM")
    }
    if terminal:  # what rich sees on a real terminal (stderr stays a pipe so the test can read it)
        env.update(TTY_COMPATIBLE="1", TTY_INTERACTIVE="1", TERM="xterm-256color")
    return subprocess.run(
        [sys.executable, "-m", "rwasim.cli", "run", *ARGS, "--out", str(out), *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_progress_is_shown_on_stderr_and_never_changes_the_run_files(tmp_path):
    quiet = _run(tmp_path / "quiet", "--quiet")
    plain = _run(tmp_path / "plain")
    live = _run(tmp_path / "live", terminal=True)
    for proc in (quiet, plain, live):
        assert proc.returncode == 0, proc.stderr
        assert "html:" in proc.stdout and "report.html" in proc.stdout  # the one-screen summary names the page

    assert quiet.stderr == ""
    # not a terminal (CI): the narration, one line each, and no control sequences
    assert "· bridged to Ethereum:" in plain.stderr and "\x1b[" not in plain.stderr
    assert all(line.startswith("· ") for line in plain.stderr.splitlines())
    # a terminal: the status line (scenario, phase, simulated time, events) drawn and cleared
    assert "cross_chain_transfer" in live.stderr and "sim t=" in live.stderr and "events" in live.stderr
    assert "phase" in live.stderr and "\x1b[" in live.stderr
    assert "bridged to Ethereum:" in live.stderr

    for name in ("events.jsonl", "report.json", "report.html"):
        first = (tmp_path / "quiet" / name).read_bytes()
        assert (tmp_path / "plain" / name).read_bytes() == first, name
        assert (tmp_path / "live" / name).read_bytes() == first, name

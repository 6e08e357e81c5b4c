"""What ``rwasim run`` shows on stderr while a scenario runs: a live status line and the narration.

The status line (spinner, scenario, phase, simulated time, events so far, wall time) is drawn
by rich on stderr only, and only when stderr is a terminal; elsewhere (CI logs, pipes) only
the narration lines are printed. It reads the simulation and never records anything, so a
run's ``report.json`` and ``events.jsonl`` are the same with or without it.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text


class RunProgress:
    """A live status line for one run, with ``say`` lines printed above it.

    Parameters
    ----------
    scenario : str
        Shown at the start of the status line.
    console : rich.console.Console, optional
        Where to draw; default stderr. The live line is drawn only if it is a terminal.
    """

    def __init__(self, scenario: str, console: Console | None = None) -> None:
        self.scenario = scenario
        self.console = console or Console(stderr=True, highlight=False)
        self.phase = "-"
        self._sim: Any = None
        self._live: Live | None = None
        self._spinner = Spinner("dots", style="cyan")
        self._started = 0.0

    def say(self, message: str) -> None:
        """Print a narration line (above the status line when it is shown)."""
        self.console.print(f"[dim]·[/dim] {message}", soft_wrap=True, markup=True)

    def _on_event(self, event: Any) -> None:
        if event.kind == "scenario.phase":
            self.phase = event.data.get("phase", "-") if event.data.get("state") == "start" else "-"

    def _status(self) -> Spinner:
        sim = self._sim
        now = sim.now if sim is not None else 0.0
        count = len(sim.log) if sim is not None else 0
        elapsed = time.monotonic() - self._started  # wall time: shown on stderr only, never recorded
        text = Text.assemble(
            (self.scenario, "bold"),
            "  phase ",
            (str(self.phase), "cyan"),
            f"  sim t={now:,.1f} s  events {count:,}",
            (f"  {elapsed:,.0f} s", "dim"),
        )
        self._spinner.update(text=text)
        return self._spinner

    @property
    def live(self) -> bool:
        """Whether the status line is being drawn (stderr is a terminal and the run is on)."""
        return self._live is not None

    def start(self, sim: Any) -> None:
        """Follow ``sim`` (its clock, its event count and the phase events) until :meth:`stop`."""
        self._sim = sim
        sim.log.subscribe(self._on_event)
        self._started = time.monotonic()
        if self.console.is_interactive:
            self._live = Live(
                get_renderable=self._status,
                console=self.console,
                refresh_per_second=8,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()

    def stop(self) -> None:
        """Remove the status line (the summary printed afterwards takes its place)."""
        if self._live is not None:
            self._live.stop()
            self._live = None

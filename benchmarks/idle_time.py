"""Idle simulated time costs nothing: wall time of notes of different tenors with the same events.

1. ``cross_border_note`` with a 1-year and a 10-year tenor, both with four coupons on the
   weekends-only calendar, on the real calendar (a day is 86,400 simulated seconds): wall
   time, simulated days, SimPy events scheduled, and the 10-year / 1-year ratio of each. Idle
   years should add nothing: the event counts match and the wall times stay within 20 %.
2. ``note_lifecycle`` with ``--investors`` investors per note on the real calendar: wall time
   and simulated days (the goal for 1,000 investors is under 60 s).

Each scenario runs in this process, one after the other, on the default backend (eth-tester).

Run: ``.venv/bin/python benchmarks/idle_time.py [--investors N] [--repeat K]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # this folder's scripts must not hide packages of the same name

from rwasim.runner import run_scenario  # noqa: E402


def timed(scenario: str, overrides: dict[str, str], repeat: int) -> tuple[float, dict]:
    """The best wall time of ``repeat`` runs (seconds) and the last run's report."""
    best, report = float("inf"), {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            t0 = time.perf_counter()
            result = run_scenario(scenario, seed=0, out_dir=Path(folder), overrides=overrides)
            best = min(best, time.perf_counter() - t0)
            if not result.invariants_hold:
                raise SystemExit(f"{scenario} {overrides}: an invariant failed: {result.report['invariants']}")
            report = result.report
    return best, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--investors", type=int, default=1000, help="investors per note in note_lifecycle")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tenor; the best wall time counts")
    parser.add_argument("--note-investors", type=int, default=200, help="investors in the cross_border_note runs")
    args = parser.parse_args()

    print(
        f"cross_border_note, {args.note_investors} investors, four coupons, weekends calendar, "
        "a day = 86,400 simulated seconds",
        flush=True,
    )
    rows = {}
    for years in (1, 10):
        wall, report = timed(
            "cross_border_note",
            {"tenor_years": str(years), "holiday_calendar": "weekends", "investors": str(args.note_investors)},
            args.repeat,
        )
        rows[years] = (wall, report)
        print(
            f"  {years:>2}-year note: {wall:6.2f} s wall, {report['simulated_seconds'] / 86_400:8,.1f} simulated days, "
            f"{report['sim_events_scheduled']:,} SimPy events, {report['event_count']:,} log events",
            flush=True,
        )
    (w1, r1), (w10, r10) = rows[1], rows[10]
    print(
        f"  10-year / 1-year: wall time {w10 / w1:.2f}x, simulated time "
        f"{r10['simulated_seconds'] / r1['simulated_seconds']:.1f}x, "
        f"SimPy events {r10['sim_events_scheduled'] / r1['sim_events_scheduled']:.2f}x"
    )

    print(f"\nnote_lifecycle, {args.investors:,} investors per note, real calendar", flush=True)
    wall, report = timed("note_lifecycle", {"investors": str(args.investors)}, 1)
    print(
        f"  {wall:.1f} s wall for {report['simulated_seconds'] / 86_400:,.1f} simulated days, "
        f"{report['event_count']:,} log events, {report['sim_events_scheduled']:,} SimPy events"
    )


if __name__ == "__main__":
    main()

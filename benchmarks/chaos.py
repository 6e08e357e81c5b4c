"""The chaos campaign as a benchmark: K seeded random fault schedules over both chains and the bridge.

Each schedule is a short scenario (onboard investors of every status on both chains, lock,
send back, trade) with faults of ``ledger.faults`` and ``bridge.faults`` injected at seeded
times, then every fault cleared and the system settled; the invariants of
:mod:`rwasim.bridge.chaos` are checked after every step. Prints the schedules tried, faults
injected by kind, invariant violations by invariant (with the first seed of each, to
reproduce), units lost, messages not final, the slowest time to final (simulated seconds),
wall time and schedules per second. Exits 1 on any violation.

    .venv/bin/python benchmarks/chaos.py --schedules 1000 --workers 2
    .venv/bin/python benchmarks/chaos.py --schedules 1 --seed S   # reproduce one schedule (S from the output)
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from rwasim.bridge.chaos import ScheduleResult, run_schedule, summarise
from rwasim.engine import derive_seed


def schedule_seed(base: int, index: int) -> int:
    """The ``index``-th schedule's seed (schedule 0 of ``--seed S`` is S itself, so a seed printed reruns alone)."""
    return base if index == 0 else derive_seed(base, "chaos", "schedule", index)


def _one(args: tuple[int, int, int, tuple[int, ...], bool]) -> ScheduleResult:
    seed, validators, faults, lanes, breaches = args
    return run_schedule(seed, validators=validators, faults=faults, lanes=lanes, breaches=breaches)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=1000, help="fault schedules to run (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (schedule 0 runs with this seed)")
    parser.add_argument("--validators", type=int, default=4, help="consortium validators (default 4)")
    parser.add_argument("--faults", type=int, default=3, help="fault episodes per schedule (default 3)")
    parser.add_argument(
        "--lanes", type=int, default=1, help="bridge lanes of the note (default 1; 2 shares one escrow)"
    )
    parser.add_argument(
        "--breaches", action="store_true", help="also inject the designed breaches (verifier_bug, zero_root)"
    )
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    args = parser.parse_args(argv)
    print("$ " + shlex.join(["python", "benchmarks/chaos.py", *(sys.argv[1:] if argv is None else argv)]), flush=True)

    seeds = [schedule_seed(args.seed, i) for i in range(args.schedules)]
    jobs = [(s, args.validators, args.faults, tuple(range(1, args.lanes + 1)), args.breaches) for s in seeds]
    started = time.perf_counter()
    results: list[ScheduleResult] = []
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            for result in pool.map(_one, jobs, chunksize=4):
                results.append(result)
                _progress(len(results), args.schedules, result)
    else:
        for job in jobs:
            results.append(_one(job))
            _progress(len(results), args.schedules, results[-1])
    wall = time.perf_counter() - started
    summary = summarise(results)
    _print(summary, wall)
    return 1 if summary["violations"] else 0


def _progress(done: int, total: int, result: ScheduleResult) -> None:
    if result.violations:
        first = result.violations[0]
        print(f"  seed {result.seed}: {first.invariant}: {first.detail}", file=sys.stderr, flush=True)
    if done % 50 == 0 or done == total:
        print(f"  {done}/{total} schedules", file=sys.stderr, flush=True)


def _print(s: dict[str, Any], wall: float) -> None:
    print(f"schedules tried        {s['schedules']}")
    print(f"faults injected        {sum(s['faults'].values())}")
    for kind, n in s["faults"].items():
        print(f"  {kind:<24}{n}")
    print(f"invariant violations   {sum(s['violations'].values())}")
    for name, n in s["violations"].items():
        seed, detail = s["first_seed"][name]
        print(f"  {name:<24}{n}   first: --schedules 1 --seed {seed}: {detail}")
    print(f"units lost             {s['units_lost']}")
    print(f"messages not final     {s['not_final']}")
    print(f"slowest time to final  {s['slowest_final']:.1f} simulated s")
    print(f"wall time              {wall:.1f} s")
    print(f"schedules per second   {s['schedules'] / wall:.2f}")


if __name__ == "__main__":
    sys.exit(main())

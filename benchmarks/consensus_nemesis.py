"""The consensus nemesis as a benchmark: seeded fault schedules for every validator count.

For each n in ``--validators`` (default 1 to 10) runs ``--seeds`` schedules of
:func:`rwasim.consortium.nemesis.run_nemesis` (partitions, crashes, crash-mid-write, delays,
drops, reorder and up to f equivocating validators, then every fault but equivocation
lifted) and prints, per n, the schedules run and the problems the checker found (safety:
one block per height among honest validators with a valid ceil(2n/3) certificate; liveness:
every accepted transaction decided and every honest validator at the same height). Exits 1
on any problem, printing the first of each n with the seed that reproduces it.

    .venv/bin/python benchmarks/consensus_nemesis.py --seeds 30
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from rwasim.consortium.nemesis import run_nemesis


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30, help="schedules per validator count (default 30)")
    parser.add_argument("--validators", type=int, nargs="+", default=list(range(1, 11)), help="validator counts")
    args = parser.parse_args(argv)
    print("$ python benchmarks/consensus_nemesis.py " + shlex.join(sys.argv[1:] if argv is None else argv))
    started = time.perf_counter()
    total = failed = 0
    for n in args.validators:
        began, problems = time.perf_counter(), []
        for seed in range(args.seeds):
            _, _, found = run_nemesis(n, seed)
            problems.extend((seed, p) for p in found)
        total += args.seeds
        failed += len(problems)
        print(
            f"n={n:<3d} schedules {args.seeds:<5d} problems {len(problems):<4d} wall {time.perf_counter() - began:6.1f} s"
        )
        if problems:
            print(f"      first: seed {problems[0][0]}: {problems[0][1]}")
    print(f"schedules {total}  problems {failed}  wall {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``rwasim`` command line: run scenarios, list them, build and check the contracts.

Errors a user can make (a scenario that does not exist or raises, an unknown backend, an
unreachable URL, a bad ``--set``) print one line and exit with status 2; a run whose
invariants fail exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from rwasim import __version__

EXIT_OK = 0
EXIT_INVARIANT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake in how the command was called; printed as one line, exit status 2."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {' '.join(message.split())} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    from rwasim.params import seed_option

    parser = _OneLineParser(
        prog="rwasim",
        description="Multi-chain tokenization simulator: consortium ledger + Ethereum + bridge.",
    )
    parser.add_argument("--version", action="version", version=f"rwasim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one scenario and write its report")
    run.add_argument("scenario", help="scenario name (see `rwasim list`) or path to a scenario file")
    run.add_argument("--seed", type=seed_option, default=0, help="base seed of the run, 0 <= seed < 2**64 (default 0)")
    run.add_argument("--out", type=Path, default=None, help="output folder (default runs/SCENARIO-seedN)")
    run.add_argument(
        "--backend", default="eth-tester", help="Ethereum backend: eth-tester (default), anvil, or a JSON-RPC URL"
    )
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario parameter (repeatable)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress output, only the summary")

    commands.add_parser("list", help="list the scenarios with one line each")

    from rwasim.compare import add_compare_arguments

    add_compare_arguments(
        commands.add_parser(
            "compare", help="run topology_study on several topologies x parameter values x seeds; tables and plots"
        )
    )

    contracts = commands.add_parser("contracts", help="Solidity contracts")
    contracts_commands = contracts.add_subparsers(dest="contracts_command", required=True, metavar="ACTION")
    build = contracts_commands.add_parser(
        "build", help="compile Solidity sources into artifacts (rwasim's own by default)"
    )
    build.add_argument(
        "--src", type=Path, default=None, help="folder of .sol sources (default: rwasim's own contracts folder)"
    )
    build.add_argument("--out", type=Path, default=None, help="artifacts folder (default: SRC/build)")
    build.add_argument("--check", action="store_true", help="fail if a committed artifact does not match its source")
    return parser


def _cmd_contracts_build(args: argparse.Namespace) -> int:
    from rwasim.ethereum.compiler import CONTRACTS_DIR, CompilerError, build_contracts

    src = args.src if args.src is not None else CONTRACTS_DIR
    try:
        result = build_contracts(check=args.check, contracts_dir=src, out_dir=args.out)
    except CompilerError as exc:
        print(f"rwasim: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"rwasim: {result.compiler_origin}", file=sys.stderr)
    print(result.summary())
    return EXIT_OK if result.ok else EXIT_INVARIANT_FAILED


def _cmd_list(_: argparse.Namespace) -> int:
    from rwasim.runner import discover_scenarios

    scenarios = discover_scenarios()
    width = max((len(name) for name in scenarios), default=0)
    for name, info in scenarios.items():
        print(f"{name:<{width}}  {info.summary}")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from rwasim.runner import ScenarioError, parse_overrides, run_scenario

    try:
        overrides = parse_overrides(args.overrides)
        result = run_scenario(
            args.scenario,
            seed=args.seed,
            out_dir=args.out,
            backend=args.backend,
            overrides=overrides,
            progress=not args.quiet,
        )
    except ScenarioError as exc:
        print(f"rwasim: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(result.summary())
    return EXIT_OK if result.invariants_hold else EXIT_INVARIANT_FAILED


def _cmd_compare(args: argparse.Namespace) -> int:
    from rwasim.compare import cli_compare

    return cli_compare(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rwasim`` console script."""
    args = _parser().parse_args(argv)
    handlers = {"run": _cmd_run, "list": _cmd_list, "contracts": _cmd_contracts_build, "compare": _cmd_compare}
    try:
        return handlers[args.command](args)
    except UsageError as exc:
        print(f"rwasim: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rwasim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

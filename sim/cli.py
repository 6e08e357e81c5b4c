"""The ``rwasim`` command line: run scenarios, list them, build and check the contracts.

Errors a user can make (a scenario that does not exist or raises, an unknown backend, an
unreachable URL, a bad ``--set``) print one line and exit with status 2; a run whose
invariants fail exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from rwasim import __version__
from rwasim.defaults import DEFAULT_BACKEND

EXIT_OK = 0
EXIT_INVARIANT_FAILED = 1
EXIT_USAGE = 2
#: What a shell reports for a command whose output pipe closed early (``| head``): 128 + SIGPIPE.
EXIT_CLOSED_PIPE = 128 + int(getattr(signal, "SIGPIPE", 13))

_RUN_EXAMPLES = """examples:
  rwasim run issuance                                  # writes runs/issuance-seed0/
  rwasim run issuance --seed 7 --out runs/x            # another seed, another folder
  rwasim run issuance --set investors=20 --quiet       # a parameter (see: rwasim show issuance)
  rwasim run cross_border_note --backend anvil         # the same script on anvil
  rwasim run path/to/my_scenario.py                    # a scenario file of your own

exit status: 0 every invariant holds, 1 an invariant failed, 2 a mistake in the command."""

_SHOW_EXAMPLES = """examples:
  rwasim show issuance                 # its parameters: default, type, allowed values, meaning
  rwasim show path/to/my_scenario.py   # a scenario file of your own"""

_LIST_EXAMPLES = """examples:
  rwasim list
  rwasim list | grep bridge"""

_CONTRACTS_EXAMPLES = """examples:
  rwasim contracts build                               # compile contracts/ into contracts/build/
  rwasim contracts build --check                       # fail if a committed artifact is stale
  rwasim contracts build --src contracts --out build   # your own contracts"""


class UsageError(Exception):
    """A mistake in how the command was called; printed as one line, exit status 2."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {' '.join(message.split())} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    from rwasim.params import seed_option

    raw = argparse.RawDescriptionHelpFormatter
    parser = _OneLineParser(
        prog="rwasim",
        description="Multi-chain tokenization simulator: consortium ledger + Ethereum + bridge.",
        epilog="examples:\n  rwasim list\n  rwasim show issuance\n  rwasim run issuance --seed 7\n"
        "  rwasim compare --topology bridged --topology hub --seeds 3 --out runs/cmp\n\n"
        "rwasim COMMAND --help shows each command's options and examples.",
        formatter_class=raw,
    )
    parser.add_argument("--version", action="version", version=f"rwasim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run one scenario and write its report", epilog=_RUN_EXAMPLES, formatter_class=raw
    )
    run.add_argument("scenario", help="scenario name (see `rwasim list`) or path to a scenario file")
    run.add_argument(
        "--seed", type=seed_option, default=0, help="base seed of the run, 0 <= seed < 2**64 (default %(default)s)"
    )
    run.add_argument("--out", type=Path, default=None, help="output folder (default runs/SCENARIO-seedN)")
    run.add_argument(
        "--backend",
        default=DEFAULT_BACKEND,
        metavar="{revm,eth-tester,anvil,URL}",
        help="Ethereum backend: revm (exact and fast), eth-tester (py-evm, the same results, slower), "
        "anvil, or an http(s):// JSON-RPC URL (default %(default)s)",
    )
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario parameter (repeatable; `rwasim show SCENARIO` lists them)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress output, only the summary")

    commands.add_parser(
        "list", help="list the scenarios with one line each", epilog=_LIST_EXAMPLES, formatter_class=raw
    )

    show = commands.add_parser(
        "show",
        help="a scenario's description and parameters (default, type, allowed values, meaning)",
        epilog=_SHOW_EXAMPLES,
        formatter_class=raw,
    )
    show.add_argument("scenario", help="scenario name (see `rwasim list`) or path to a scenario file")

    from rwasim.compare import COMPARE_EXAMPLES, add_compare_arguments

    add_compare_arguments(
        commands.add_parser(
            "compare",
            help="run topology_study on several topologies x parameter values x seeds; tables and plots",
            epilog=COMPARE_EXAMPLES,
            formatter_class=raw,
        )
    )

    contracts = commands.add_parser(
        "contracts", help="Solidity contracts", epilog=_CONTRACTS_EXAMPLES, formatter_class=raw
    )
    contracts_commands = contracts.add_subparsers(dest="contracts_command", required=True, metavar="ACTION")
    build = contracts_commands.add_parser(
        "build",
        help="compile Solidity sources into artifacts (rwasim's own by default)",
        epilog=_CONTRACTS_EXAMPLES,
        formatter_class=raw,
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
    from rwasim.summary import summary_console

    console = summary_console()
    console.print(result.summary_renderable(console.width))
    return EXIT_OK if result.invariants_hold else EXIT_INVARIANT_FAILED


def _cmd_compare(args: argparse.Namespace) -> int:
    from rwasim.compare import cli_compare

    return cli_compare(args)


def _cmd_show(args: argparse.Namespace) -> int:
    from rwasim.runner import ScenarioError, describe_scenario
    from rwasim.summary import scenario_renderable, summary_console

    try:
        described = describe_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"rwasim: {exc}", file=sys.stderr)
        return EXIT_USAGE
    console = summary_console()
    console.print(scenario_renderable(described, console.width))
    return EXIT_OK


def _closed_pipe() -> int:
    """The reader of our output went away (``rwasim ... | head``): stop without a traceback.

    Whatever is still buffered for the closed pipe is dropped (stdout and stderr are pointed
    at the null device, so the flush at exit cannot fail again), and the status is the one a
    shell reports for a command ended by a closed pipe.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
            pass
    os.close(devnull)
    return EXIT_CLOSED_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rwasim`` console script."""
    handlers = {
        "run": _cmd_run,
        "list": _cmd_list,
        "show": _cmd_show,
        "contracts": _cmd_contracts_build,
        "compare": _cmd_compare,
    }
    try:
        args = _parser().parse_args(argv)
        status = handlers[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's flush at exit
        return status
    except BrokenPipeError:
        return _closed_pipe()
    except UsageError as exc:
        print(f"rwasim: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rwasim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

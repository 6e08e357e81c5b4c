"""Defaults that several layers share, importable without loading any of them.

The command line, the runner, ``rwasim compare`` and the chain all name the default Ethereum
backend; keeping it here means ``rwasim --help`` needs no EVM import to print it.
"""

from __future__ import annotations

#: The Ethereum backend a chain gets when none is named: revm, exact (the shared backend suite
#: and byte-identical event logs against eth-tester) and an order of magnitude faster.
DEFAULT_BACKEND = "revm"

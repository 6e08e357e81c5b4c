"""rwasim: a multi-chain tokenization simulator.

The public API a scenario imports lives in the sub-packages: ``rwasim.engine`` (simulated
clock, seeded randomness, event log), ``rwasim.ethereum`` (the EVM side), ``rwasim.consortium``
(the permissioned BFT ledger), ``rwasim.products`` and ``rwasim.agents``; ``bridge`` joins the
chains.
"""

__version__ = "0.2.0"

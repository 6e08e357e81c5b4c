"""rwasim: a multi-chain tokenization simulator.

The public API a scenario imports lives in the sub-packages: ``sim.engine`` (simulated
clock, seeded randomness, event log), ``sim.ethereum`` (the EVM side), ``sim.consortium``
(the permissioned BFT ledger), ``sim.products`` and ``sim.agents``; ``bridge`` joins the
chains.
"""

__version__ = "0.1.0"

"""rwasim: a multi-chain tokenization simulator.

The public API a scenario imports lives in the sub-packages: ``rwasim.engine`` (simulated
clock, seeded randomness, event log), ``rwasim.ethereum`` (the EVM side), ``rwasim.consortium``
(the permissioned BFT ledger), ``rwasim.products`` and ``rwasim.agents``; ``bridge`` joins the
chains. ``load_run`` and ``load_sweep`` read results into pandas (the extra ``rwasim[analysis]``).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rwasim.analysis import load_run, load_sweep

__version__ = "0.2.0"

__all__ = ["load_run", "load_sweep"]


def __getattr__(name: str):
    """``from rwasim import load_run, load_sweep`` without importing pandas at ``import rwasim``."""
    if name in ("load_run", "load_sweep"):
        from rwasim import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'rwasim' has no attribute {name!r}")

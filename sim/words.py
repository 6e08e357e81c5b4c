"""Figures in words for the narration a person reads while a scenario runs.

A narration line printed a dict or ``None`` as Python shows it (``moved {'attempted': 0, ...}``,
``knock-in None``), which reads as code and sometimes as a contradiction; these helpers say the
same figures as a sentence does. They change only what is printed: the event log and the report
keep the figures themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def counted(counts: Mapping[str, int], none: str = "none") -> str:
    """``{"delivered": 4, "refunded": 1}`` -> ``4 delivered, 1 refunded``; nothing counted -> ``none``."""
    parts = [f"{n:,} {what.replace('_', ' ')}" for what, n in counts.items() if n]
    return ", ".join(parts) if parts else none


def or_else(value: Any, missing: str) -> str:
    """``value`` as text, or ``missing`` (``not reached``, ``never made``) when it is None."""
    return missing if value is None else str(value)


def yes_no(flag: bool, yes: str = "yes", no: str = "no") -> str:
    """A flag in words (``open``/``closed``) instead of ``True``/``False``."""
    return yes if flag else no


def moved_across(to_consortium: int, to_ethereum: int) -> str:
    """Units moved over the bridge in each direction, or ``none`` when nothing moved."""
    parts = []
    if to_consortium:
        parts.append(f"{to_consortium:,} units to the consortium")
    if to_ethereum:
        parts.append(f"{to_ethereum:,} units to Ethereum")
    return ", ".join(parts) if parts else "none"


def hkd(cents: int) -> str:
    """An amount of cents as ``1,980,000.00 HKD``."""
    return f"{cents / 100:,.2f} HKD"

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


def duration(seconds: float | None) -> str:
    """A span of time at a precision a person reads: ``850 ms``, ``4.99 s``, ``2.07 h``, ``3.50 d``; None -> ``-``.

    Latencies and run lengths range from microseconds to simulated years; six raw decimals
    of seconds hide both ends.
    """
    if seconds is None:
        return "-"
    if seconds == 0:
        return "0 ms"
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 3600:
        return f"{seconds:,.2f} s"
    if seconds < 86_400:
        return f"{seconds / 3600:.2f} h"
    return f"{seconds / 86_400:,.2f} d"


def rate(per_second: float | None) -> str:
    """Transactions per second with the digits that matter: ``0.79 tps``, ``12.5 tps``, ``1,204 tps``."""
    if per_second is None:
        return "-"
    if per_second >= 100:
        return f"{per_second:,.0f} tps"
    if per_second >= 10:
        return f"{per_second:.1f} tps"
    return f"{per_second:.2f} tps"

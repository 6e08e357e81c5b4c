"""How our desk prices the coupon a vault's deposits earn (whole cents, ACT/365 fixed)."""

from __future__ import annotations


def coupon_cents(units: int, denomination_cents: int, rate_bps: int, days: int) -> int:
    """The coupon on ``units`` notes of ``denomination_cents`` at ``rate_bps`` for ``days`` days, rounded down."""
    if min(units, denomination_cents, rate_bps, days) < 0:
        raise ValueError("units, denomination, rate and days must not be negative")
    return units * denomination_cents * rate_bps * days // (10_000 * 365)

"""Day-count conventions: how many years of interest lie between two dates.

Year fractions are returned as exact :class:`fractions.Fraction` values so that a coupon
``N * r * yf`` is rounded to cents once, at the very end, instead of inheriting the
rounding of ``1/365`` at 28 digits (which can turn an exact half-cent tie into a
near-tie and round it the wrong way).

Conventions
-----------
``ACT/365F``
    Actual calendar days divided by 365, in leap years too ("Fixed").
``ACT/360``
    Actual calendar days divided by 360 (money-market basis).
``30/360``
    The US bond basis of ISDA 2006 section 4.16(f) ("30/360", "360/360", "Bond Basis"):
    ``D1 = 31`` becomes 30; ``D2 = 31`` becomes 30 only when ``D1`` is then 30. There is
    no end-of-February adjustment (that is the SIA/"30/360 US" variant, not used here).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

ACT_365F = "ACT/365F"
ACT_360 = "ACT/360"
THIRTY_360 = "30/360"

#: Every convention :func:`year_fraction` understands.
CONVENTIONS: tuple[str, ...] = (ACT_365F, ACT_360, THIRTY_360)


def days_30_360(start: dt.date, end: dt.date) -> int:
    """Days from ``start`` to ``end`` on the 30/360 bond basis (ISDA 2006 4.16(f)).

    Parameters
    ----------
    start, end : datetime.date
        Period start and end; ``end`` may not be before ``start``.

    Returns
    -------
    int
        ``360*(Y2-Y1) + 30*(M2-M1) + (D2-D1)`` after the bond-basis day adjustments, so
        every month counts as 30 days whatever its length.
    """
    _check_order(start, end)
    d1 = min(start.day, 30)
    d2 = end.day
    if d2 == 31 and d1 == 30:
        d2 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def year_fraction(start: dt.date, end: dt.date, convention: str) -> Fraction:
    """The exact year fraction from ``start`` to ``end`` under ``convention``.

    Parameters
    ----------
    start, end : datetime.date
        Period start (exclusive for interest) and end (inclusive); ``end >= start``.
    convention : str
        One of :data:`CONVENTIONS`.

    Returns
    -------
    fractions.Fraction
        The fraction of a year, exact, so callers round money only once.

    Raises
    ------
    ValueError
        If the convention is unknown or ``end`` is before ``start``.
    """
    if convention == ACT_365F:
        _check_order(start, end)
        return Fraction((end - start).days, 365)
    if convention == ACT_360:
        _check_order(start, end)
        return Fraction((end - start).days, 360)
    if convention == THIRTY_360:
        return Fraction(days_30_360(start, end), 360)
    raise ValueError(f"unknown day-count convention {convention!r}; expected one of {', '.join(CONVENTIONS)}")


def _check_order(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValueError(f"period end {end.isoformat()} is before its start {start.isoformat()}")

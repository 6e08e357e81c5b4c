"""Price paths with a story: through chosen anchor closes, with seeded noise in between.

A scenario that must show a knock-out on the second observation date, or a knock-in in
June, cannot rely on a random walk to oblige. :func:`shaped_path` interpolates the anchors
linearly in log price and adds small seeded noise that vanishes at every anchor, so the
path passes exactly through each anchor close and the product's outcome is the one told.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from rwasim.products.calendar import HolidayCalendar
from rwasim.products.prices import PricePath, business_days, given_path


def shaped_path(
    anchors: Mapping[dt.date, Decimal | int | str],
    *,
    seed: int,
    noise: float = 0.004,
    calendar: HolidayCalendar | None = None,
) -> PricePath:
    """Closes on every business day from the first to the last anchor, passing through each anchor.

    Parameters
    ----------
    anchors : mapping of date to price
        At least two, on business days.
    seed : int
        Seeds the noise (``random.Random(seed)``), so one seed is one path.
    noise : float
        Standard deviation of the log-price noise at mid-segment (a bridge, zero at anchors).
    calendar : HolidayCalendar, optional
        The market's business days (a term sheet's ``calendar``, so the path has a close on every
        adjusted observation date and none on a holiday); weekdays if omitted.
    """
    points = sorted((day, Decimal(str(price))) for day, price in anchors.items())
    if len(points) < 2:
        raise ValueError("a shaped path needs at least two anchors")
    if calendar is not None:
        closed = [day.isoformat() for day, _ in points if not calendar.is_business_day(day)]
        if closed:
            raise ValueError(f"anchors {closed} are not business days in the {calendar.name} calendar")
    rng = random.Random(seed)
    closes: dict[dt.date, Decimal] = {}
    for (start, p0), (end, p1) in zip(points, points[1:]):
        days = calendar.business_days(start, end) if calendar is not None else business_days(start, end)
        span = len(days) - 1
        for i, day in enumerate(days):
            w = i / span if span else 0.0
            log_price = (1 - w) * math.log(float(p0)) + w * math.log(float(p1))
            wiggle = rng.gauss(0.0, noise) * math.sqrt(w * (1 - w)) * 2
            price = Decimal(math.exp(log_price + wiggle)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
            closes[day] = p0 if i == 0 else (p1 if i == span else price)
    return given_path(closes)

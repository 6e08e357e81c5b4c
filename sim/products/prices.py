"""Underlying price paths: one close per trading day, simulated or given.

The payoff engine only ever asks a path for the close on a date and for the closes in a
window, so a simulated path (:func:`gbm_path`) and a recorded or hand-written one
(:func:`given_path`) are interchangeable. Closes are :class:`decimal.Decimal` so barrier
comparisons are exact: a close written as ``20600`` against a 103% barrier on ``20000``
is a hit, with no binary rounding in the way.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

#: Prices are kept to four decimal places.
PRICE_QUANTUM = Decimal("0.0001")

#: Trading days per year, the time unit of ``mu`` and ``sigma`` in :func:`gbm_path`.
TRADING_DAYS_PER_YEAR = 252


class MissingPriceError(LookupError):
    """The path has no close on a date the product needs to observe."""


class PricePath:
    """Daily closes of one underlying, in date order.

    Parameters
    ----------
    closes : Mapping[datetime.date, Decimal]
        Close per trading day; every price must be a positive Decimal.
    """

    __slots__ = ("_dates", "_closes")

    def __init__(self, closes: Mapping[dt.date, Decimal]) -> None:
        for day, price in closes.items():
            if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
                raise TypeError(f"path dates must be datetime.date, not {type(day).__name__}")
            if not isinstance(price, Decimal):
                raise TypeError(f"close on {day.isoformat()} must be a Decimal, not {type(price).__name__}")
            if not price.is_finite() or price <= 0:
                raise ValueError(f"close on {day.isoformat()} must be a positive number, not {price}")
        self._dates: tuple[dt.date, ...] = tuple(sorted(closes))
        self._closes: dict[dt.date, Decimal] = {day: closes[day] for day in self._dates}

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """The trading days of the path, ascending."""
        return self._dates

    def at(self, day: dt.date) -> Decimal:
        """The close on ``day``.

        Raises
        ------
        MissingPriceError
            If ``day`` is not a trading day of the path: a scheduled observation with no
            close is an error in the schedule or the data, never something to paper over.
        """
        try:
            return self._closes[day]
        except KeyError:
            raise MissingPriceError(f"the price path has no close on {day.isoformat()}") from None

    def closes_between(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, Decimal]]:
        """``(date, close)`` pairs with ``start <= date <= end`` (both ends inclusive), ascending."""
        return [(day, self._closes[day]) for day in self._dates if start <= day <= end]

    def __len__(self) -> int:
        return len(self._dates)

    def __iter__(self) -> Iterator[tuple[dt.date, Decimal]]:
        return ((day, self._closes[day]) for day in self._dates)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PricePath):
            return NotImplemented
        return self._closes == other._closes

    def __hash__(self) -> int:
        return hash(tuple(self._closes.items()))

    def __repr__(self) -> str:
        if not self._dates:
            return "PricePath([])"
        return f"PricePath({len(self)} closes, {self._dates[0].isoformat()}..{self._dates[-1].isoformat()})"


def is_weekday(day: dt.date) -> bool:
    """Monday to Friday: the simulator's trading calendar (it models no holidays)."""
    return day.weekday() < 5


def business_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every weekday from ``start`` to ``end`` inclusive, the natural input of :func:`gbm_path`."""
    days = []
    day = start
    while day <= end:
        if is_weekday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _weekdays_after(start: dt.date, end: dt.date) -> int:
    """Weekdays in the half-open interval ``(start, end]``."""
    return sum(1 for offset in range(1, (end - start).days + 1) if is_weekday(start + dt.timedelta(days=offset)))


def _to_price(value: float) -> Decimal:
    return Decimal(value).quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)


def gbm_path(
    s0: Decimal | float,
    mu: Decimal | float,
    sigma: Decimal | float,
    dates: list[dt.date],
    seed: int,
) -> PricePath:
    """Simulate closes by geometric Brownian motion on the weekdays among ``dates``.

    ``S_i = S_{i-1} * exp((mu - sigma**2/2) * dt + sigma * sqrt(dt) * Z_i)`` with
    ``Z_i ~ N(0, 1)`` drawn from ``random.Random(seed)`` alone, so one seed always gives
    the same path. Weekend dates are dropped (the market is closed); the first remaining
    date closes at ``s0``. ``dt`` is the number of weekdays since the previous close over
    252, which is one trading day for consecutive weekdays and stays correct when
    ``dates`` has gaps. The walk runs at full float precision; only the stored closes are
    rounded (half-even, 4 dp), so rounding never compounds.

    Parameters
    ----------
    s0 : Decimal or float
        Close on the first weekday in ``dates``; must be positive.
    mu, sigma : Decimal or float
        Annual drift and volatility (per 252 trading days); ``sigma >= 0``.
    dates : list of datetime.date
        Strictly increasing dates, e.g. ``business_days(strike, maturity)``.
    seed : int
        Seed of the path's private random stream.

    Returns
    -------
    PricePath
    """
    start = float(s0)
    drift, vol = float(mu), float(sigma)
    if not math.isfinite(start) or start <= 0:
        raise ValueError(f"s0 must be a positive number, not {s0}")
    if not math.isfinite(drift) or not math.isfinite(vol) or vol < 0:
        raise ValueError(f"mu must be finite and sigma finite and non-negative (got mu={mu}, sigma={sigma})")
    for earlier, later in zip(dates, dates[1:]):
        if later <= earlier:
            raise ValueError(f"dates must be strictly increasing ({later.isoformat()} follows {earlier.isoformat()})")
    trading = [day for day in dates if is_weekday(day)]
    rng = random.Random(seed)
    closes: dict[dt.date, Decimal] = {}
    level = start
    previous: dt.date | None = None
    for day in trading:
        if previous is None:
            first = s0 if isinstance(s0, Decimal) else Decimal(start)
            closes[day] = max(first.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN), PRICE_QUANTUM)
        else:
            step = _weekdays_after(previous, day) / TRADING_DAYS_PER_YEAR
            shock = rng.gauss(0.0, 1.0)
            level *= math.exp((drift - vol * vol / 2.0) * step + vol * math.sqrt(step) * shock)
            closes[day] = max(_to_price(level), PRICE_QUANTUM)
        previous = day
    return PricePath(closes)


def given_path(mapping: Mapping[dt.date, Decimal | int | str | float]) -> PricePath:
    """A path from explicit closes, for tests and for replaying recorded prices.

    Prices may be Decimals, integers or decimal strings. A float is read through its
    shortest repr (``20600.5`` becomes ``Decimal('20600.5')``), which is the number the
    author typed, not its binary approximation.
    """
    closes: dict[dt.date, Decimal] = {}
    for day, price in mapping.items():
        if isinstance(price, bool):
            raise TypeError(f"close on {day} must be a number, not a boolean")
        if isinstance(price, Decimal):
            closes[day] = price
        elif isinstance(price, int):
            closes[day] = Decimal(price)
        elif isinstance(price, float):
            closes[day] = Decimal(repr(price))
        elif isinstance(price, str):
            try:
                closes[day] = Decimal(price.strip())
            except InvalidOperation:
                raise ValueError(f"close on {day} is not a number: {price!r}") from None
        else:
            raise TypeError(f"close on {day} must be a number, not {type(price).__name__}")
    return PricePath(closes)

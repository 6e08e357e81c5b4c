"""Business days and the business-day conventions a term sheet states.

A scheduled date (an observation, a coupon, the maturity) that falls on a Saturday, a Sunday or
a public holiday has no close and no settlement, so a term sheet names its holiday calendar and
its business-day convention, and the dates are adjusted when the sheet is loaded; the payoff
engine, the price paths and the lifecycle then all see the same adjusted dates.

Holiday calendars:

- ``"HK"``: the general holidays of Hong Kong (General Holidays Ordinance, Cap. 149), as
  published by the HKSAR Government in its annual Gazette notice of general holidays
  (reproduced on www.gov.hk, "General holidays"), for 2024 to 2027, checked against the
  ``HongKong`` calendar (public and optional categories) of the ``holidays`` package 0.109. A
  date outside those years cannot be adjusted and is refused rather than guessed.
- ``"weekends"``: Saturdays and Sundays only, for any year (a market with no holidays).

Conventions (ISDA 2006 definitions, section 4.12): ``following`` (the next business day),
``modified_following`` (the next business day unless it is in the next month, then the previous
one), ``preceding`` (the previous business day) and ``none`` (no adjustment: a non-business date
is an error in the term sheet).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

BUSINESS_DAY_CONVENTIONS: tuple[str, ...] = ("modified_following", "following", "preceding", "none")

_D = dt.date
#: Hong Kong general holidays, 2024-2027 (see the module docstring for the source).
HONG_KONG_GENERAL_HOLIDAYS: dict[dt.date, str] = {
    # 2024
    _D(2024, 1, 1): "The first day of January",
    _D(2024, 2, 10): "Lunar New Year's Day",
    _D(2024, 2, 12): "The third day of Lunar New Year",
    _D(2024, 2, 13): "The fourth day of Lunar New Year",
    _D(2024, 3, 29): "Good Friday",
    _D(2024, 3, 30): "The day following Good Friday",
    _D(2024, 4, 1): "Easter Monday",
    _D(2024, 4, 4): "Ching Ming Festival",
    _D(2024, 5, 1): "Labour Day",
    _D(2024, 5, 15): "The Birthday of the Buddha",
    _D(2024, 6, 10): "Tuen Ng Festival",
    _D(2024, 7, 1): "Hong Kong Special Administrative Region Establishment Day",
    _D(2024, 9, 18): "The day following the Chinese Mid-Autumn Festival",
    _D(2024, 10, 1): "National Day",
    _D(2024, 10, 11): "Chung Yeung Festival",
    _D(2024, 12, 25): "Christmas Day",
    _D(2024, 12, 26): "The first weekday after Christmas Day",
    # 2025
    _D(2025, 1, 1): "The first day of January",
    _D(2025, 1, 29): "Lunar New Year's Day",
    _D(2025, 1, 30): "The second day of Lunar New Year",
    _D(2025, 1, 31): "The third day of Lunar New Year",
    _D(2025, 4, 4): "Ching Ming Festival",
    _D(2025, 4, 18): "Good Friday",
    _D(2025, 4, 19): "The day following Good Friday",
    _D(2025, 4, 21): "Easter Monday",
    _D(2025, 5, 1): "Labour Day",
    _D(2025, 5, 5): "The Birthday of the Buddha",
    _D(2025, 5, 31): "Tuen Ng Festival",
    _D(2025, 7, 1): "Hong Kong Special Administrative Region Establishment Day",
    _D(2025, 10, 1): "National Day",
    _D(2025, 10, 7): "The day following the Chinese Mid-Autumn Festival",
    _D(2025, 10, 29): "Chung Yeung Festival",
    _D(2025, 12, 25): "Christmas Day",
    _D(2025, 12, 26): "The first weekday after Christmas Day",
    # 2026
    _D(2026, 1, 1): "The first day of January",
    _D(2026, 2, 17): "Lunar New Year's Day",
    _D(2026, 2, 18): "The second day of Lunar New Year",
    _D(2026, 2, 19): "The third day of Lunar New Year",
    _D(2026, 4, 3): "Good Friday",
    _D(2026, 4, 4): "The day following Good Friday",
    _D(2026, 4, 6): "The day following Ching Ming Festival",
    _D(2026, 4, 7): "The day following Easter Monday",
    _D(2026, 5, 1): "Labour Day",
    _D(2026, 5, 25): "The day following the Birthday of the Buddha",
    _D(2026, 6, 19): "Tuen Ng Festival",
    _D(2026, 7, 1): "Hong Kong Special Administrative Region Establishment Day",
    _D(2026, 9, 26): "The day following the Chinese Mid-Autumn Festival",
    _D(2026, 10, 1): "National Day",
    _D(2026, 10, 19): "The day following Chung Yeung Festival",
    _D(2026, 12, 25): "Christmas Day",
    _D(2026, 12, 26): "The first weekday after Christmas Day",
    # 2027
    _D(2027, 1, 1): "The first day of January",
    _D(2027, 2, 6): "Lunar New Year's Day",
    _D(2027, 2, 8): "The third day of Lunar New Year",
    _D(2027, 2, 9): "The fourth day of Lunar New Year",
    _D(2027, 3, 26): "Good Friday",
    _D(2027, 3, 27): "The day following Good Friday",
    _D(2027, 3, 29): "Easter Monday",
    _D(2027, 4, 5): "Ching Ming Festival",
    _D(2027, 5, 1): "Labour Day",
    _D(2027, 5, 13): "The Birthday of the Buddha",
    _D(2027, 6, 9): "Tuen Ng Festival",
    _D(2027, 7, 1): "Hong Kong Special Administrative Region Establishment Day",
    _D(2027, 9, 16): "The day following the Chinese Mid-Autumn Festival",
    _D(2027, 10, 1): "National Day",
    _D(2027, 10, 8): "Chung Yeung Festival",
    _D(2027, 12, 25): "Christmas Day",
    _D(2027, 12, 27): "The first weekday after Christmas Day",
}


class CalendarError(ValueError):
    """A date the calendar cannot decide (outside its years) or a convention that refuses it."""


@dataclass(frozen=True)
class HolidayCalendar:
    """Weekends plus named holidays, valid for the years ``first_year..last_year`` (None: any year)."""

    name: str
    holidays: dict[dt.date, str] = field(default_factory=dict)
    first_year: int | None = None
    last_year: int | None = None

    def why_closed(self, day: dt.date) -> str | None:
        """Why ``day`` is not a business day (``"a Saturday"``, a holiday's name), or None if it is one."""
        first = self.first_year if self.first_year is not None else day.year
        last = self.last_year if self.last_year is not None else day.year
        if not first <= day.year <= last:
            raise CalendarError(
                f"{day.isoformat()} is outside the {self.name} holiday calendar ({self.first_year}-{self.last_year})"
            )
        if day.weekday() >= 5:
            return "a Saturday" if day.weekday() == 5 else "a Sunday"
        return self.holidays.get(day)

    def is_business_day(self, day: dt.date) -> bool:
        return self.why_closed(day) is None

    def business_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Every business day from ``start`` to ``end`` inclusive."""
        days, day = [], start
        while day <= end:
            if self.is_business_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def adjust(self, day: dt.date, convention: str) -> dt.date:
        """``day`` moved to a business day by ``convention``; ``"none"`` refuses a non-business day."""
        if convention not in BUSINESS_DAY_CONVENTIONS:
            raise CalendarError(f"unknown business-day convention {convention!r}")
        closed = self.why_closed(day)
        if closed is None:
            return day
        if convention == "none":
            raise CalendarError(f"{day.isoformat()} is not a business day in the {self.name} calendar ({closed})")
        step = -1 if convention == "preceding" else 1
        moved = self._roll(day, step)
        if convention == "modified_following" and moved.month != day.month:
            moved = self._roll(day, -1)
        return moved

    def add_business_days(self, day: dt.date, n: int) -> dt.date:
        """T+n: ``n`` business days after ``day`` (``day`` itself, rolled forward, when n is 0)."""
        if n < 0:
            raise CalendarError("a settlement lag counts forward: n must be >= 0")
        if n == 0:
            return day if self.is_business_day(day) else self._roll(day, 1)
        for _ in range(n):
            day = self._roll(day, 1)
        return day

    def _roll(self, day: dt.date, step: int) -> dt.date:
        day += dt.timedelta(days=step)
        while not self.is_business_day(day):
            day += dt.timedelta(days=step)
        return day


CALENDARS: dict[str, HolidayCalendar] = {
    "HK": HolidayCalendar("HK", HONG_KONG_GENERAL_HOLIDAYS, 2024, 2027),
    "weekends": HolidayCalendar("weekends"),
}


def holiday_calendar(name: str) -> HolidayCalendar:
    """The calendar called ``name`` (one of :data:`CALENDARS`)."""
    try:
        return CALENDARS[name]
    except KeyError:
        raise CalendarError(f"unknown holiday calendar {name!r} (known: {', '.join(CALENDARS)})") from None

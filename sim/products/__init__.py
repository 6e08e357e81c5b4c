"""Structured products: term sheets, day counts, underlying price paths and payoffs.

A product's life here is: :func:`load_term_sheet` validates its terms, a
:class:`PricePath` (simulated by :func:`gbm_path` or given by :func:`given_path`) supplies
the underlying's closes, and :func:`cash_flows` turns both into the payments the issuer
owes per unit, each explaining itself (knock-in, knock-out, accrual period).
"""

from rwasim.products.calendar import (
    BUSINESS_DAY_CONVENTIONS,
    CALENDARS,
    CalendarError,
    HolidayCalendar,
    holiday_calendar,
)
from rwasim.products.day_count import CONVENTIONS, days_30_360, year_fraction
from rwasim.products.payoff import CASH_FLOW_KINDS, CashFlow, cash_flows, redemption_value, to_cents
from rwasim.products.prices import MissingPriceError, PricePath, business_days, gbm_path, given_path, is_weekday
from rwasim.products.term_sheet import (
    INVESTOR_CLASSES,
    KINDS,
    Autocallable,
    FixedCoupon,
    FixedIncomeRedeemable,
    PrincipalProtected,
    TermSheet,
    TermSheetError,
    load_term_sheet,
    term_sheet_to_dict,
)

__all__ = [
    "BUSINESS_DAY_CONVENTIONS",
    "CALENDARS",
    "CalendarError",
    "HolidayCalendar",
    "holiday_calendar",
    "CASH_FLOW_KINDS",
    "CONVENTIONS",
    "INVESTOR_CLASSES",
    "KINDS",
    "Autocallable",
    "CashFlow",
    "FixedCoupon",
    "FixedIncomeRedeemable",
    "MissingPriceError",
    "PricePath",
    "PrincipalProtected",
    "TermSheet",
    "TermSheetError",
    "business_days",
    "cash_flows",
    "days_30_360",
    "gbm_path",
    "given_path",
    "is_weekday",
    "load_term_sheet",
    "redemption_value",
    "term_sheet_to_dict",
    "to_cents",
    "year_fraction",
]

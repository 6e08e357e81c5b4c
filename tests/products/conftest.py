"""Shared term sheets and path builders for the structured-product tests.

The reference notes are written as the plain dicts a JSON or TOML term sheet would parse
to, so the loader is exercised by every payoff test too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from rwasim.products import PricePath, business_days, given_path

D = dt.date
HASH = "0x" + "ab" * 32


def _common(**overrides: object) -> dict:
    # 100 units of HKD 10,000 on the Hang Seng index, initial fixing 20,000.
    # 2026-01-05 is a Monday; maturity 2027-01-05 is exactly 365 days later.
    terms = {
        "id": "SN-2026-001",
        "issuer": "Example Securities Ltd",
        "currency": "HKD",
        "denomination": "10000.00",
        "notional": "1000000.00",
        "issue_date": "2026-01-05",
        "strike_date": "2026-01-05",
        "maturity_date": "2027-01-05",
        "settlement_lag_days": 2,
        "underlying": "HSI",
        "initial_fixing": "20000",
        "day_count": "ACT/365F",
        "eligible_investor_classes": ["professional", "accredited"],
        "eligible_countries": [344, 702],
        "document_hash": HASH,
    }
    terms.update(overrides)
    return terms


@pytest.fixture
def autocallable_terms() -> Callable[..., dict]:
    """Snowball: 10% p.a., KO 103% on quarterly Mondays (and maturity), KI 75%, strike 100%."""

    def make(**overrides: object) -> dict:
        terms = _common(
            kind="autocallable",
            coupon_rate="0.10",
            knock_out_barrier="1.03",  # KO level 20,600
            knock_in_barrier="0.75",  # KI level 15,000
            strike="1.00",  # strike level 20,000
            knock_out_dates=["2026-04-08", "2026-07-06", "2026-10-05", "2027-01-05"],  # HK business days
        )
        terms.update(overrides)
        return terms

    return make


@pytest.fixture
def principal_protected_terms() -> Callable[..., dict]:
    """100% protection, 80% participation, return capped at 20%."""

    def make(**overrides: object) -> dict:
        terms = _common(kind="principal_protected", protection="1.00", participation="0.80", cap="0.20")
        terms.update(overrides)
        return terms

    return make


@pytest.fixture
def fixed_coupon_terms() -> Callable[..., dict]:
    """5% semi-annual coupon, no underlying."""

    def make(**overrides: object) -> dict:
        terms = _common(
            kind="fixed_coupon",
            underlying="",
            coupon_rate="0.05",
            coupon_dates=["2026-07-06", "2027-01-05"],
            settlement_lag_days=1,
        )
        del terms["initial_fixing"]
        terms.update(overrides)
        return terms

    return make


@pytest.fixture
def fixed_income_terms() -> Callable[..., dict]:
    """4% p.a. on-demand note: 10,000 units of HKD 100, issued 2026-01-01, T+0."""

    def make(**overrides: object) -> dict:
        terms = _common(
            kind="fixed_income_redeemable",
            underlying="",
            denomination="100.00",
            notional="1000000.00",
            issue_date="2026-01-01",
            strike_date="2026-01-01",
            maturity_date="2026-12-31",
            settlement_lag_days=0,
            annual_rate="0.04",
        )
        del terms["initial_fixing"]
        terms.update(overrides)
        return terms

    return make


@pytest.fixture
def flat_path() -> Callable[..., PricePath]:
    """Every weekday from 2026-01-05 to 2027-01-05 at 20,000, with chosen closes overridden."""

    def make(overrides: dict[dt.date, str] | None = None, *, level: str = "20000") -> PricePath:
        days = business_days(D(2026, 1, 5), D(2027, 1, 5))
        closes: dict[dt.date, Decimal | str] = {day: Decimal(level) for day in days}
        closes.update(overrides or {})
        return given_path(closes)

    return make

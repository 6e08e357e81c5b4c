"""Day-count year fractions, exact, for the three supported conventions."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rwasim.products import CONVENTIONS, days_30_360, year_fraction

D = dt.date


def test_act_365f_ignores_leap_years():
    # 2028 is a leap year: 366 actual days, still over 365.
    assert year_fraction(D(2028, 1, 1), D(2029, 1, 1), "ACT/365F") == Fraction(366, 365)
    assert year_fraction(D(2026, 1, 5), D(2026, 7, 6), "ACT/365F") == Fraction(182, 365)


def test_act_360():
    # 2026-01-01 -> 2026-12-31 = 364 days
    assert year_fraction(D(2026, 1, 1), D(2026, 12, 31), "ACT/360") == Fraction(364, 360)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (D(2026, 1, 31), D(2026, 2, 28), 28),  # D1 31 -> 30; 30 + (28 - 30) = 28
        (D(2026, 1, 30), D(2026, 3, 31), 60),  # D1 30, so D2 31 -> 30; 60 + 0
        (D(2026, 1, 31), D(2026, 3, 31), 60),  # both 31 -> 30
        (D(2026, 1, 15), D(2026, 3, 31), 76),  # D1 15, D2 stays 31; 60 + 16
        (D(2026, 2, 28), D(2026, 3, 31), 33),  # no end-of-February rule; 30 + 3
        (D(2025, 8, 31), D(2026, 2, 28), 178),  # 360 - 180 - 2
        (D(2026, 1, 5), D(2027, 1, 5), 360),
        (D(2026, 3, 3), D(2026, 3, 3), 0),
    ],
)
def test_30_360_bond_basis(start, end, days):
    assert days_30_360(start, end) == days
    assert year_fraction(start, end, "30/360") == Fraction(days, 360)


def test_errors():
    with pytest.raises(ValueError, match="unknown day-count convention"):
        year_fraction(D(2026, 1, 1), D(2026, 2, 1), "ACT/ACT")
    for convention in CONVENTIONS:
        with pytest.raises(ValueError, match="before its start"):
            year_fraction(D(2026, 2, 1), D(2026, 1, 1), convention)


dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2060, 12, 31))


@given(dates, dates, dates, st.sampled_from(CONVENTIONS))
def test_year_fractions_add_up_over_adjacent_periods(a, b, c, convention):
    a, b, c = sorted((a, b, c))
    total = year_fraction(a, c, convention)
    split = year_fraction(a, b, convention) + year_fraction(b, c, convention)
    if convention == "30/360":
        # The bond basis is not additive across a 31st (31 -> 30 on one side only), but it
        # never moves by more than a day per split.
        assert abs(total - split) <= Fraction(1, 360)
    else:
        assert total == split

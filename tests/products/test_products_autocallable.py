"""Snowball autocallable payoffs, computed by hand from the reference note in conftest.

Reference: N = 10,000 HKD per unit, 100 units, S_0 = 20,000, coupon 10% p.a. ACT/365F
from the strike date 2026-01-05, KO level 1.03 * 20,000 = 20,600, KI level
0.75 * 20,000 = 15,000, strike level 1.00 * 20,000 = 20,000, settlement T+2.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from rwasim.products import MissingPriceError, cash_flows, given_path, load_term_sheet

D = dt.date


def test_knocked_out_on_second_date_exactly_at_the_barrier(autocallable_terms, flat_path):
    sheet = load_term_sheet(autocallable_terms())
    # 1st KO date 2026-04-08 closes one cent below 20,600: no knock-out.
    # 2nd KO date 2026-07-06 closes exactly at 20,600: a touch counts as a knock-out.
    path = flat_path({D(2026, 4, 8): "20599.99", D(2026, 7, 6): "20600"})
    [flow] = cash_flows(sheet, path)
    # t = days 2026-01-05 -> 2026-07-06 = 26+28+31+30+31+30+6 = 182 -> 182/365
    # amount = 10,000 * (1 + 0.10 * 182/365) = 10,000 + 498.630136... = 10,498.63
    assert flow.year_fraction == Fraction(182, 365)
    assert flow.amount == Decimal("10498.63")
    assert flow.kind == "early_redemption"
    assert flow.knock_out_date == D(2026, 7, 6)
    assert flow.event_date == D(2026, 7, 6)
    assert flow.date == D(2026, 7, 8)  # T+2 calendar days
    assert flow.knocked_in is False and flow.knock_in_date is None
    assert flow.underlying_close == Decimal("20600")
    # Whole issue: 100 units * 10,498.63 = 1,049,863.00
    assert flow.units == 100 and flow.total == Decimal("1049863.00")


def test_knock_out_pays_the_coupon_even_after_a_knock_in(autocallable_terms, flat_path):
    sheet = load_term_sheet(autocallable_terms())
    path = flat_path({D(2026, 2, 2): "14000", D(2026, 7, 6): "21000"})
    [flow] = cash_flows(sheet, path, units=3)
    # Same KO date as above: 10,498.63 per unit; 3 units = 31,495.89
    assert flow.amount == Decimal("10498.63")
    assert flow.total == Decimal("31495.89")
    assert flow.knocked_in is True and flow.knock_in_date == D(2026, 2, 2)


def test_knocked_in_exactly_at_the_barrier_and_ending_below_strike(autocallable_terms, flat_path):
    sheet = load_term_sheet(autocallable_terms())
    # 2026-03-02 closes exactly at 15,000 = KI level: a touch counts as a knock-in.
    # No KO date reaches 20,600; final close 16,000.
    path = flat_path({D(2026, 3, 2): "15000.00", D(2027, 1, 5): "16000"})
    [flow] = cash_flows(sheet, path)
    # amount = 10,000 * min(1, 16,000 / (1.00 * 20,000)) = 10,000 * 0.8 = 8,000.00
    assert flow.amount == Decimal("8000.00")
    assert flow.kind == "redemption"
    assert flow.knocked_in is True and flow.knock_in_date == D(2026, 3, 2)
    assert flow.knock_out_date is None
    assert flow.date == D(2027, 1, 7)
    assert flow.underlying_close == Decimal("16000")


def test_knocked_in_with_a_strike_below_initial(autocallable_terms, flat_path):
    sheet = load_term_sheet(autocallable_terms(strike="0.90"))
    path = flat_path({D(2026, 3, 2): "15000", D(2027, 1, 5): "16000"})
    # strike level 0.90 * 20,000 = 18,000; 10,000 * 16,000/18,000 = 8,888.888... -> 8,888.89
    assert cash_flows(sheet, path)[0].amount == Decimal("8888.89")


def test_knocked_in_but_ending_above_strike_returns_par_without_coupon(autocallable_terms, flat_path):
    sheet = load_term_sheet(autocallable_terms())
    path = flat_path({D(2026, 3, 2): "15000", D(2027, 1, 5): "20500"})
    [flow] = cash_flows(sheet, path)
    # 20,500 < 20,600: no KO at maturity. 10,000 * min(1, 20,500/20,000) = 10,000.00
    assert flow.amount == Decimal("10000.00")
    assert flow.knocked_in is True


def test_never_knocked_in_pays_the_full_coupon_at_maturity(autocallable_terms, flat_path):
    sheet = load_term_sheet(autocallable_terms())
    # One cent above the KI level is not a knock-in; one cent below KO is not a knock-out.
    path = flat_path({D(2026, 5, 4): "15000.01", D(2026, 10, 5): "20599.99", D(2027, 1, 5): "18000"})
    [flow] = cash_flows(sheet, path)
    # T = 2026-01-05 -> 2027-01-05 = 365 days -> 365/365 = 1
    # amount = 10,000 * (1 + 0.10 * 1) = 11,000.00
    assert flow.year_fraction == 1
    assert flow.amount == Decimal("11000.00")
    assert flow.kind == "redemption"
    assert flow.knocked_in is False and flow.knock_in_date is None and flow.knock_out_date is None
    assert flow.date == D(2027, 1, 7)


def test_knock_out_on_the_maturity_date_wins_over_a_knock_in(autocallable_terms, flat_path):
    sheet = load_term_sheet(autocallable_terms())
    path = flat_path({D(2026, 3, 2): "12000", D(2027, 1, 5): "20600"})
    [flow] = cash_flows(sheet, path)
    # Maturity is also a KO date and closes at the KO level: par + full coupon = 11,000.00
    assert flow.amount == Decimal("11000.00")
    assert flow.kind == "redemption"
    assert flow.knock_out_date == D(2027, 1, 5)
    assert flow.knocked_in is True


def test_knock_in_on_the_strike_date_is_not_observed(autocallable_terms):
    sheet = load_term_sheet(autocallable_terms())
    # Observation starts the day after the strike date; a low close on the strike date
    # itself (whatever the data says) is not a knock-in.
    path = given_path(
        {
            D(2026, 1, 5): "100",
            D(2026, 4, 8): "20000",
            D(2026, 7, 6): "20000",
            D(2026, 10, 5): "20000",
            D(2027, 1, 5): "20000",
        }
    )
    assert cash_flows(sheet, path)[0].knocked_in is False


def test_missing_close_on_a_knock_out_date_is_an_error(autocallable_terms, flat_path):
    sheet = load_term_sheet(autocallable_terms())
    path = given_path({day: close for day, close in flat_path() if day != D(2026, 7, 6)})
    with pytest.raises(MissingPriceError, match="2026-07-06"):
        cash_flows(sheet, path)


def test_a_path_is_required(autocallable_terms):
    with pytest.raises(ValueError, match="price path"):
        cash_flows(load_term_sheet(autocallable_terms()))


@pytest.mark.parametrize("units", [0, 101, -1])
def test_units_must_be_within_the_issue(autocallable_terms, flat_path, units):
    with pytest.raises(ValueError, match="units"):
        cash_flows(load_term_sheet(autocallable_terms()), flat_path(), units)

"""Properties of the payoff engine that must hold for any market path."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rwasim.products import business_days, cash_flows, gbm_path, given_path, load_term_sheet, to_cents

D = dt.date
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
prices = st.decimals(min_value=Decimal("1"), max_value=Decimal("60000"), places=2)


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6))
def test_to_cents_is_decimal_round_half_even(value):
    assert to_cents(value) == value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


@SETTINGS
@given(final=prices)
def test_principal_protected_stays_between_floor_and_capped_ceiling(principal_protected_terms, final):
    sheet = load_term_sheet(principal_protected_terms())
    [flow] = cash_flows(sheet, given_path({D(2027, 1, 5): final}))
    # Floor 10,000 * 1.00; ceiling 10,000 * (1 + 0.80 * 0.20) = 11,600.
    assert Decimal("10000.00") <= flow.amount <= Decimal("11600.00")


@SETTINGS
@given(seed=st.integers(min_value=0, max_value=2**32), sigma=st.sampled_from([0.1, 0.3, 0.6]))
def test_autocallable_on_simulated_paths(autocallable_terms, seed, sigma):
    sheet = load_term_sheet(autocallable_terms())
    path = gbm_path(sheet.initial_fixing, 0.02, sigma, business_days(sheet.strike_date, sheet.maturity_date), seed)
    [flow] = cash_flows(sheet, path)
    # Never more than par plus the full-term coupon, 11,000; always something back.
    assert Decimal("0") < flow.amount <= Decimal("11000.00")
    closes = [close for day, close in path if day > sheet.strike_date]
    touched_ki = min(closes) <= Decimal("15000")
    if flow.knock_out_date is not None:
        assert path.at(flow.knock_out_date) >= Decimal("20600")
        assert all(path.at(day) < Decimal("20600") for day in sheet.knock_out_dates if day < flow.knock_out_date)
        assert flow.amount > Decimal("10000.00")
    else:
        assert all(path.at(day) < Decimal("20600") for day in sheet.knock_out_dates)
        assert flow.knocked_in is touched_ki
        if touched_ki:
            assert flow.amount <= Decimal("10000.00")
        else:
            assert flow.amount == Decimal("11000.00")

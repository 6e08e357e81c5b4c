"""Principal-protected, fixed-coupon and redeemable fixed-income payoffs, by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from rwasim.products import cash_flows, given_path, load_term_sheet, redemption_value

D = dt.date


# --- principal protected: N = 10,000, S_0 = 20,000, protection 1.00, participation 0.80, cap 0.20


@pytest.mark.parametrize(
    ("final", "expected", "why"),
    [
        # 26,000/20,000 - 1 = 0.30 > cap 0.20 -> 10,000 * (1 + 0.80 * 0.20) = 11,600.00
        ("26000", "11600.00", "above the cap"),
        # exactly at the cap: 24,000 -> 0.20 -> 11,600.00
        ("24000", "11600.00", "participation"),
        # 15,000/20,000 - 1 = -0.25 -> floored at 0 -> 10,000 * 1.00 = 10,000.00
        ("15000", "10000.00", "protected amount only"),
        # unchanged: return 0 -> 10,000.00
        ("20000", "10000.00", "protected amount only"),
        # 22,500 -> 0.125 -> 10,000 * (1 + 0.80 * 0.125) = 11,000.00
        ("22500", "11000.00", "participation"),
        # 21,234.57 -> 1,234.57/20,000 = 0.0617285 -> * 0.80 = 0.0493828
        #   -> 10,000 * 1.0493828 = 10,493.828 -> 10,493.83
        ("21234.57", "10493.83", "participation"),
    ],
)
def test_principal_protected(principal_protected_terms, final, expected, why):
    sheet = load_term_sheet(principal_protected_terms())
    path_closes = {D(2026, 1, 5): "20000", D(2027, 1, 5): final}
    [flow] = cash_flows(sheet, given_path(path_closes))
    assert flow.amount == Decimal(expected)
    assert flow.kind == "redemption"
    assert flow.event_date == D(2027, 1, 5) and flow.date == D(2027, 1, 7)
    assert flow.underlying_close == Decimal(final)
    assert why in flow.note


def test_partial_protection(principal_protected_terms):
    sheet = load_term_sheet(principal_protected_terms(protection="0.95"))
    # Below initial: 10,000 * 0.95 = 9,500.00; 7 units = 66,500.00
    [flow] = cash_flows(sheet, given_path({D(2027, 1, 5): "10000"}), units=7)
    assert flow.amount == Decimal("9500.00") and flow.total == Decimal("66500.00")


# --- fixed coupon: N = 10,000, 5% p.a., T+1


def test_fixed_coupon_30_360_bond_basis(fixed_coupon_terms):
    sheet = load_term_sheet(
        fixed_coupon_terms(
            day_count="30/360",
            issue_date="2025-08-31",
            strike_date="2025-08-31",
            maturity_date="2026-08-31",
            coupon_dates=["2026-02-28", "2026-08-31"],
        )
    )
    flows = cash_flows(sheet, units=2)
    # 2026-02-28 is a Saturday: Modified Following would give Mon 2 March, the next month, so the
    # coupon date is Fri 27 February (HK calendar); 2026-08-31 is a Monday and stays.
    # Period 1, 2025-08-31 -> 2026-02-27: D1 31 -> 30, D2 27 stays.
    #   days = 360*1 + 30*(2-8) + (27-30) = 177 -> 10,000 * 0.05 * 177/360 = 245.8333... -> 245.83
    # Period 2, 2026-02-27 -> 2026-08-31: D1 27, D2 31 stays (D1 is not 30).
    #   days = 30*6 + (31-27) = 184 -> 500 * 184/360 = 255.5555... -> 255.56
    assert [(f.kind, f.event_date, f.date, f.amount) for f in flows] == [
        ("coupon", D(2026, 2, 27), D(2026, 2, 28), Decimal("245.83")),
        ("coupon", D(2026, 8, 31), D(2026, 9, 1), Decimal("255.56")),
        ("redemption", D(2026, 8, 31), D(2026, 9, 1), Decimal("10000.00")),
    ]
    assert [f.year_fraction for f in flows[:2]] == [Fraction(177, 360), Fraction(184, 360)]
    assert (flows[0].accrual_start, flows[0].accrual_end) == (D(2025, 8, 31), D(2026, 2, 27))
    assert (flows[1].accrual_start, flows[1].accrual_end) == (D(2026, 2, 27), D(2026, 8, 31))
    # 2 units: 491.66, 511.12, 20,000.00
    assert [f.total for f in flows] == [Decimal("491.66"), Decimal("511.12"), Decimal("20000.00")]


def test_fixed_coupon_act_365f(fixed_coupon_terms):
    flows = cash_flows(load_term_sheet(fixed_coupon_terms()))
    # 2026-01-05 -> 2026-07-06 = 182 days: 500 * 182/365 = 249.3150... -> 249.32
    # 2026-07-06 -> 2027-01-05 = 183 days: 500 * 183/365 = 250.6849... -> 250.68
    assert [(f.kind, f.date, f.amount) for f in flows] == [
        ("coupon", D(2026, 7, 7), Decimal("249.32")),
        ("coupon", D(2027, 1, 6), Decimal("250.68")),
        ("redemption", D(2027, 1, 6), Decimal("10000.00")),
    ]
    assert flows[0].units == 100  # whole issue by default


def test_fixed_coupon_act_360(fixed_coupon_terms):
    flows = cash_flows(load_term_sheet(fixed_coupon_terms(day_count="ACT/360")))
    # 500 * 182/360 = 252.777... -> 252.78; 500 * 183/360 = 254.1666... -> 254.17
    assert [f.amount for f in flows] == [Decimal("252.78"), Decimal("254.17"), Decimal("10000.00")]


# --- fixed income redeemable: N = 100, 4% p.a. ACT/365F from 2026-01-01, T+0


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (D(2026, 1, 1), "100.00"),  # no day accrued
        (D(2026, 2, 10), "100.44"),  # 40 days: 100 * 0.04 * 40/365 = 0.43835... -> 0.44
        (D(2026, 3, 1), "100.65"),  # 31 + 28 = 59 days: 4 * 59/365 = 0.64657... -> 0.65
        (D(2026, 12, 31), "103.99"),  # 364 days: 4 * 364/365 = 3.98904... -> 3.99
    ],
)
def test_fixed_income_redemption_value(fixed_income_terms, on, expected):
    assert redemption_value(load_term_sheet(fixed_income_terms()), on) == Decimal(expected)


def test_fixed_income_act_360(fixed_income_terms):
    # 59 days: 4 * 59/360 = 0.65555... -> 0.66
    sheet = load_term_sheet(fixed_income_terms(day_count="ACT/360"))
    assert redemption_value(sheet, D(2026, 3, 1)) == Decimal("100.66")


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, "100.00"),  # 100 * 0.01825 * 1/365 = 0.005 exactly: half-even rounds to 0.00
        (3, "100.02"),  # 0.015 -> 0.02 (up to even)
        (5, "100.02"),  # 0.025 -> 0.02 (down to even)
        (7, "100.04"),  # 0.035 -> 0.04
    ],
)
def test_accrual_ties_round_half_even(fixed_income_terms, days, expected):
    sheet = load_term_sheet(fixed_income_terms(annual_rate="0.01825"))
    assert redemption_value(sheet, D(2026, 1, 1) + dt.timedelta(days=days)) == Decimal(expected)


def test_fixed_income_cash_flow_on_demand_and_at_maturity(fixed_income_terms):
    sheet = load_term_sheet(fixed_income_terms())
    [flow] = cash_flows(sheet, units=250, redeem_on=D(2026, 3, 1))
    # T+0; 250 units * 100.65 = 25,162.50
    assert (flow.kind, flow.event_date, flow.date) == ("accrual_redemption", D(2026, 3, 1), D(2026, 3, 1))
    assert flow.amount == Decimal("100.65") and flow.total == Decimal("25162.50")
    assert flow.year_fraction == Fraction(59, 365)
    assert "on demand" in flow.note
    [held] = cash_flows(sheet)
    assert held.date == D(2026, 12, 31) and held.amount == Decimal("103.99") and held.units == 10_000
    assert "at maturity" in held.note


@pytest.mark.parametrize("on", [D(2025, 12, 31), D(2027, 1, 1)])
def test_fixed_income_cannot_be_redeemed_outside_its_life(fixed_income_terms, on):
    with pytest.raises(ValueError, match="can be redeemed from 2026-01-01 to 2026-12-31"):
        redemption_value(load_term_sheet(fixed_income_terms()), on)


def test_redeem_on_is_only_for_fixed_income(fixed_coupon_terms):
    with pytest.raises(ValueError, match="redeem_on"):
        cash_flows(load_term_sheet(fixed_coupon_terms()), redeem_on=D(2026, 3, 1))


def test_redemption_value_rejects_other_kinds(fixed_coupon_terms):
    with pytest.raises(TypeError):
        redemption_value(load_term_sheet(fixed_coupon_terms()), D(2026, 3, 1))  # type: ignore[arg-type]


def test_cash_flow_to_dict_is_plain_data(fixed_income_terms):
    [flow] = cash_flows(load_term_sheet(fixed_income_terms()), units=2, redeem_on=D(2026, 3, 1))
    data = flow.to_dict()
    assert data["amount"] == "100.65" and data["total"] == "201.30"
    assert data["date"] == "2026-03-01" and data["year_fraction"] == "59/365"
    assert data["knocked_in"] is None

"""Term-sheet dates on business days (issue 13, defect 9): the holiday calendar and the
business-day convention the sheet states, applied at load, with hand-computed adjusted dates;
and a knock-in barrier at or above the initial fixing refused at load."""

from __future__ import annotations

import datetime as dt

import pytest

from rwasim.products import TermSheetError, cash_flows, gbm_path, load_term_sheet

D = dt.date
# Hong Kong, April 2026: Fri 3 Good Friday, Sat 4 the day following Good Friday, Sun 5 Ching Ming,
# Mon 6 the day following Ching Ming, Tue 7 the day following Easter Monday; Wed 8 is a business day.


def test_knock_in_at_or_above_the_initial_fixing_is_refused_naming_the_field(autocallable_terms):
    for barrier in ("1", "1.00", "1.02"):
        with pytest.raises(TermSheetError) as caught:
            load_term_sheet(autocallable_terms(knock_in_barrier=barrier))
        assert caught.value.field == "knock_in_barrier"
        assert "below 1 (100% of the initial fixing)" in caught.value.message
    assert load_term_sheet(autocallable_terms(knock_in_barrier="0.99")).knock_in_barrier < 1


def test_observation_dates_on_hong_kong_holidays_move_by_modified_following(autocallable_terms):
    sheet = load_term_sheet(
        autocallable_terms(knock_out_dates=["2026-04-03", "2026-05-25", "2026-10-31", "2026-12-26"])
    )
    assert (sheet.business_day_convention, sheet.holiday_calendar) == ("modified_following", "HK")
    # Good Friday -> Wed 8 Apr; Buddha's Birthday (observed) -> Tue 26 May; Sat 31 Oct -> Mon 2 Nov is
    # next month, so back to Fri 30 Oct; Sat 26 Dec (a holiday) -> Mon 28 Dec.
    assert sheet.knock_out_dates == (D(2026, 4, 8), D(2026, 5, 26), D(2026, 10, 30), D(2026, 12, 28))


@pytest.mark.parametrize(
    "convention, expected",
    [("following", D(2026, 11, 2)), ("modified_following", D(2026, 10, 30)), ("preceding", D(2026, 10, 30))],
)
def test_each_convention_on_a_month_end_saturday(fixed_coupon_terms, convention, expected):
    sheet = load_term_sheet(
        fixed_coupon_terms(
            business_day_convention=convention,
            coupon_dates=["2026-04-06", "2026-10-31"],
            maturity_date="2026-10-31",
        )
    )
    first = {"following": D(2026, 4, 8), "modified_following": D(2026, 4, 8), "preceding": D(2026, 4, 2)}
    assert sheet.coupon_dates == (first[convention], expected)
    assert sheet.maturity_date == expected


def test_convention_none_refuses_a_holiday_naming_the_field(autocallable_terms):
    with pytest.raises(TermSheetError) as caught:
        load_term_sheet(autocallable_terms(business_day_convention="none", knock_out_dates=["2026-04-06"]))
    assert caught.value.field == "knock_out_dates"
    assert caught.value.message == (
        "item 0 2026-04-06 is not a business day in the HK calendar (The day following Ching Ming Festival)"
    )
    with pytest.raises(TermSheetError) as caught:
        load_term_sheet(autocallable_terms(business_day_convention="none", maturity_date="2027-01-09"))
    assert (caught.value.field, caught.value.message) == (
        "maturity_date",
        "2027-01-09 is not a business day in the HK calendar (a Saturday)",
    )


def test_unknown_calendar_convention_or_year_is_refused_naming_the_field(autocallable_terms):
    cases = [
        ({"holiday_calendar": "XX"}, "holiday_calendar"),
        ({"business_day_convention": "nearest"}, "business_day_convention"),
        ({"maturity_date": "2028-01-05"}, "maturity_date"),  # beyond the published HK holidays
    ]
    for overrides, field in cases:
        with pytest.raises(TermSheetError) as caught:
            load_term_sheet(autocallable_terms(**overrides))
        assert caught.value.field == field


def test_weekends_calendar_adjusts_only_weekends(autocallable_terms):
    sheet = load_term_sheet(
        autocallable_terms(holiday_calendar="weekends", knock_out_dates=["2026-04-06", "2026-04-11"])
    )
    assert sheet.knock_out_dates == (D(2026, 4, 6), D(2026, 4, 13))


def test_a_path_on_the_sheets_business_days_has_every_adjusted_observation(autocallable_terms):
    # Before: a knock-out date on a holiday stayed unadjusted and a path of the market's trading days
    # had no close on it, so the payoff failed with MissingPriceError at that observation.
    sheet = load_term_sheet(autocallable_terms())  # first KO date written 2026-04-06, a holiday
    days = sheet.business_days()
    assert D(2026, 4, 6) not in days and D(2026, 4, 8) in days and D(2026, 12, 25) not in days
    path = gbm_path(sheet.initial_fixing, 0.0, 0.2, days, seed=11)
    [flow] = cash_flows(sheet, path, units=1)
    assert flow.event_date in sheet.knock_out_dates or flow.event_date == sheet.maturity_date

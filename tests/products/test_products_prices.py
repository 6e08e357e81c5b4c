"""Price paths: GBM is reproducible per seed and trades on weekdays only; given paths are exact."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from rwasim.products import MissingPriceError, PricePath, business_days, gbm_path, given_path

D = dt.date
START, END = D(2026, 1, 1), D(2026, 6, 30)


def calendar_days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def test_same_seed_same_path_different_seed_different_path():
    days = business_days(START, END)
    a = gbm_path(Decimal("20000"), 0.05, 0.25, days, seed=7)
    b = gbm_path(Decimal("20000"), 0.05, 0.25, days, seed=7)
    c = gbm_path(Decimal("20000"), 0.05, 0.25, days, seed=8)
    assert a == b and list(a) == list(b)
    assert a != c
    assert sum(1 for day in days if a.at(day) != c.at(day)) > len(days) // 2


def test_gbm_has_only_weekdays_and_four_decimal_prices():
    path = gbm_path(20000.0, 0.0, 0.3, calendar_days(START, END), seed=1)
    assert path.dates == tuple(business_days(START, END))
    assert all(day.weekday() < 5 for day in path.dates)
    assert path.dates[0] == D(2026, 1, 1)  # a Thursday
    assert path.at(path.dates[0]) == Decimal("20000.0000")
    for _, close in path:
        assert isinstance(close, Decimal) and close > 0
        assert close.as_tuple().exponent == -4


def test_gbm_step_is_one_trading_day_and_gaps_count_weekdays():
    # With sigma = 0 the path is pure drift: S = S0 * exp(mu * weekdays / 252).
    mon, tue, next_mon = D(2026, 1, 5), D(2026, 1, 6), D(2026, 1, 12)
    path = gbm_path(100, 0.252, 0, [mon, tue, next_mon], seed=3)
    assert path.at(tue) == Decimal(100 * math.exp(0.001)).quantize(Decimal("0.0001"))
    # Tuesday -> next Monday: Wed, Thu, Fri, Mon = 4 weekdays; 5 since the start.
    assert path.at(next_mon) == Decimal(100 * math.exp(0.005)).quantize(Decimal("0.0001"))


def test_gbm_rejects_bad_inputs():
    days = business_days(START, D(2026, 1, 31))
    with pytest.raises(ValueError, match="strictly increasing"):
        gbm_path(100, 0.0, 0.2, list(reversed(days)), seed=1)
    with pytest.raises(ValueError, match="s0"):
        gbm_path(0, 0.0, 0.2, days, seed=1)
    with pytest.raises(ValueError, match="sigma"):
        gbm_path(100, 0.0, -0.2, days, seed=1)
    assert len(gbm_path(100, 0.0, 0.2, [], seed=1)) == 0


def test_given_path_lookup_and_windows():
    path = given_path({D(2026, 1, 7): "101.5", D(2026, 1, 5): 100, D(2026, 1, 6): 99.9, D(2026, 1, 8): Decimal("102")})
    assert path.dates == (D(2026, 1, 5), D(2026, 1, 6), D(2026, 1, 7), D(2026, 1, 8))
    assert path.at(D(2026, 1, 6)) == Decimal("99.9")  # float read through its repr, not its binary value
    assert path.closes_between(D(2026, 1, 6), D(2026, 1, 7)) == [
        (D(2026, 1, 6), Decimal("99.9")),
        (D(2026, 1, 7), Decimal("101.5")),
    ]
    assert path.closes_between(D(2026, 1, 9), D(2026, 1, 31)) == []
    with pytest.raises(MissingPriceError, match="2026-01-09"):
        path.at(D(2026, 1, 9))


@pytest.mark.parametrize(
    ("closes", "error"),
    [
        ({D(2026, 1, 5): "0"}, ValueError),
        ({D(2026, 1, 5): "-1"}, ValueError),
        ({D(2026, 1, 5): "abc"}, ValueError),
        ({D(2026, 1, 5): True}, TypeError),
        ({dt.datetime(2026, 1, 5, 16): "100"}, TypeError),
    ],
)
def test_given_path_rejects_bad_closes(closes, error):
    with pytest.raises(error):
        given_path(closes)


def test_price_path_requires_decimals():
    with pytest.raises(TypeError):
        PricePath({D(2026, 1, 5): 100})  # type: ignore[dict-item]

"""Pro-rata allocation of an oversubscribed book: exact totals, fair remainders, book-order ties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rwasim.agents.offer import allocate_pro_rata


def test_an_undersubscribed_book_gets_everything_it_asked_for():
    assert allocate_pro_rata([("a", 10), ("b", 5)], 100) == {"a": 10, "b": 5}


def test_an_oversubscribed_book_is_cut_pro_rata_with_remainders_by_size_then_book_order():
    # 300 asked for 100: shares 33.33.. each; the one unit left goes to the earliest subscriber
    assert allocate_pro_rata([("a", 100), ("b", 100), ("c", 100)], 100) == {"a": 34, "b": 33, "c": 33}
    # 7 units over 3 + 5 asks (8): 2.625 and 4.375 -> floors 2 and 4, the larger remainder (0.625) wins
    assert allocate_pro_rata([("small", 3), ("large", 5)], 7) == {"small": 3, "large": 4}


def test_bad_requests_are_refused():
    with pytest.raises(ValueError):
        allocate_pro_rata([("a", 0)], 10)
    with pytest.raises(ValueError):
        allocate_pro_rata([("a", 1)], -1)


@given(
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=60),
    st.integers(min_value=0, max_value=200_000),
)
def test_allocations_add_up_and_never_exceed_a_request(asks, available):
    requests = [(f"s{i}", units) for i, units in enumerate(asks)]
    shares = allocate_pro_rata(requests, available)
    assert sum(shares.values()) == min(available, sum(asks))
    for name, units in requests:
        assert 0 <= shares[name] <= units
        exact = units * min(available, sum(asks)) / sum(asks)
        assert abs(shares[name] - exact) < 1  # within one unit of the exact pro-rata share

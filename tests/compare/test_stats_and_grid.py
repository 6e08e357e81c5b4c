"""The confidence-interval arithmetic against hand-computed values, and the grid's cross product."""

from __future__ import annotations

import math
import random

import pytest

from rwasim.compare import SEED_LIMIT, CompareError, build_grid, mean_ci, split_values, t_quantile
from rwasim.compare.grid import describe_grid, parse_sets
from rwasim.compare.stats import SMALL_N
from rwasim.engine import derive_seed
from rwasim.topology_workload import WORKLOAD_DEFAULTS

# Student t 0.975 quantiles from printed tables
T_975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 9: 2.2622, 19: 2.0930, 29: 2.0452, 120: 1.9799}


@pytest.mark.parametrize("df, expected", sorted(T_975.items()))
def test_t_quantile_matches_the_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)
    assert t_quantile(0.025, df) == pytest.approx(-expected, abs=1e-4)


def test_t_quantile_tends_to_the_normal():
    assert t_quantile(0.975, 100_000) == pytest.approx(1.959964, abs=1e-4)
    assert t_quantile(0.5, 7) == pytest.approx(0.0, abs=1e-9)


def test_mean_ci_by_hand():
    # 2, 4, 4, 5, 7: mean 4.4, sample variance (5.76+0.16+0.16+0.36+6.76)/4 = 3.3,
    # half width t(0.975, 4) * sqrt(3.3) / sqrt(5) = 2.776445 * 0.812404 = 2.255594
    ci = mean_ci([2, 4, 4, 5, 7])
    assert ci.n == 5 and ci.mean == pytest.approx(4.4)
    assert ci.sd == pytest.approx(math.sqrt(3.3))
    assert ci.low == pytest.approx(4.4 - 2.255594, abs=1e-5) and ci.high == pytest.approx(4.4 + 2.255594, abs=1e-5)


def test_mean_ci_edge_cases():
    one = mean_ci([3.0])
    assert one.mean == 3.0 and one.low is None and one.high is None
    assert mean_ci([]).mean is None
    flat = mean_ci([1.0, 1.0, 1.0])
    assert flat.low == flat.high == 1.0


def test_grid_is_the_full_cross_product_in_a_fixed_order():
    sets = [("investors", ["8", "16"]), ("fault", ["none", "bridge_pause"])]
    points = build_grid(["bridged", "hub", "public-only"], sets, seeds=3, base_seed=5)
    assert len(points) == 3 * 2 * 2 * 3
    assert [p.index for p in points] == list(range(len(points)))
    combos = {(p.topology, p.params, p.replicate) for p in points}
    assert len(combos) == len(points)
    assert [p.topology for p in points[:12]] == ["bridged"] * 12
    assert points[0].params == (("investors", "8"), ("fault", "none"))
    assert points[3].params == (("investors", "8"), ("fault", "bridge_pause"))
    for p in points:  # the r-th seed is shared by every topology and parameter point (paired design)
        assert p.seed == derive_seed(5, "compare", "replicate", p.replicate) % 2**63
        assert 0 <= p.seed < SEED_LIMIT == 2**63
    assert len({p.seed for p in points}) == 3
    line = describe_grid(["bridged", "hub", "public-only"], sets, 3, 5, len(points))
    assert line.endswith("= 36 runs") and "2 investors values" in line


def test_rerun_command_names_seed_topology_and_parameters():
    point = build_grid(["dual-space"], [("countries", ["[344,702]"])], seeds=1)[0]
    assert point.rerun_command() == (
        f"rwasim run topology_study --seed {point.seed} --set topology=dual-space --set 'countries=[344,702]'"
    )


def test_value_lists_split_outside_brackets():
    assert split_values("8,16") == ["8", "16"]
    assert split_values("[344,702],[344]") == ["[344,702]", "[344]"]
    with pytest.raises(CompareError):
        split_values("1,,2")


@pytest.mark.parametrize(
    "pairs, message",
    [
        (["zz=1"], "unknown parameter"),
        (["investors=many"], "bad --set investors=many"),
        (["topology=hub"], "--topology"),
        (["investors"], "expected KEY=V1"),
        (["investors=1", "investors=2"], "given twice"),
    ],
)
def test_bad_sets_are_refused_before_anything_runs(pairs, message):
    with pytest.raises(CompareError, match=message):
        parse_sets(pairs, dict(WORKLOAD_DEFAULTS))


def test_unknown_topology_and_bad_counts():
    with pytest.raises(CompareError, match="unknown topology 'mesh'"):
        build_grid(["mesh"], [], seeds=1)
    with pytest.raises(CompareError, match="--seeds"):
        build_grid(["hub"], [], seeds=0)


def assert_inside(domain: str, low: float | None, high: float | None, mean: float | None) -> None:
    if low is None:
        return
    assert low <= mean <= high
    if domain in ("nonnegative", "share"):
        assert low >= 0.0
    if domain == "share":
        assert high <= 1.0


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_synthetic_intervals_stay_in_their_domain(n):
    rng = random.Random(n)
    for _ in range(300):
        latencies = [rng.choice([0.0, rng.expovariate(1 / 50), rng.uniform(0, 1e4)]) for _ in range(n)]
        shares = [rng.choice([0.0, 1.0, rng.random(), rng.uniform(0.97, 1.0)]) for _ in range(n)]
        for values, domain in ((latencies, "nonnegative"), (shares, "share")):
            ci = mean_ci(values, domain=domain)
            assert_inside(domain, ci.low, ci.high, ci.mean)
    # the cases of the issue: two seeds, a t factor of 12.7
    assert mean_ci([10.0, 800.0], domain="real").low < 0 <= mean_ci([10.0, 800.0], domain="nonnegative").low
    assert mean_ci([0.95, 1.0], domain="real").high > 1 >= mean_ci([0.95, 1.0], domain="share").high


def test_interval_edge_cases_and_refusals():
    zeros = mean_ci([0.0, 0.0, 0.0], domain="nonnegative")
    assert (zeros.low, zeros.high) == (0.0, 0.0)
    ones = mean_ci([1.0, 1.0], domain="share")
    assert (ones.low, ones.high) == (1.0, 1.0) and ones.small_n and not mean_ci([1.0] * SMALL_N).small_n
    with pytest.raises(ValueError, match="negative"):
        mean_ci([-1.0, 2.0], domain="nonnegative")
    with pytest.raises(ValueError, match="outside"):
        mean_ci([0.5, 1.5], domain="share")

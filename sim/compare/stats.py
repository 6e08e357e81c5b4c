"""Means and 95% confidence intervals that stay inside each metric's domain.

A plain Student-t interval ``mean +- t * se`` ignores what a metric can be: with two seeds the
t factor is 12.7, so a latency gets a negative lower bound and a share an upper bound above 1.
Each metric therefore has a domain, and the interval is built on a scale where the domain is
the whole real line, then mapped back (the delta method, t quantile from SciPy):

- ``real``: the plain t interval;
- ``nonnegative`` (latencies, counts, costs): on the log scale of the mean,
  ``mean * exp(+-t * se / mean)``, which is never below 0 (all-zero samples give [0, 0]);
- ``share`` (a fraction in [0, 1]): on the logit scale of the mean,
  ``expit(logit(mean) +- t * se / (mean * (1 - mean)))``, which stays inside [0, 1].

These intervals are deterministic (no resampling), so summary.csv is byte-identical for a seed.
With fewer than :data:`SMALL_N` values an interval is very wide and is flagged in summary.csv.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Domain = Literal["real", "nonnegative", "share"]
DOMAINS: tuple[Domain, ...] = ("real", "nonnegative", "share")
#: Below this many values an interval rests on too few seeds to be read as more than a hint.
SMALL_N = 3


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (e.g. 0.975, 9 -> 2.2622)."""
    if not 0.0 < p < 1.0 or df < 1:
        raise ValueError("p must be in (0, 1) and df >= 1")
    from scipy.stats import t  # imported here: SciPy takes a moment to load and only sweeps need it

    return float(t.ppf(p, df))


@dataclass(frozen=True)
class Interval:
    """Mean and its two-sided confidence interval (None where it cannot be given)."""

    n: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None
    domain: Domain = "real"

    @property
    def small_n(self) -> bool:
        """True when the interval rests on fewer than :data:`SMALL_N` values."""
        return self.n < SMALL_N


def _check_domain(values: list[float], domain: Domain) -> None:
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r} (one of {', '.join(DOMAINS)})")
    if domain == "nonnegative" and any(v < 0 for v in values):
        raise ValueError("a nonnegative metric has a negative value")
    if domain == "share" and any(not 0.0 <= v <= 1.0 for v in values):
        raise ValueError("a share has a value outside [0, 1]")


def mean_ci(values: list[float], level: float = 0.95, domain: Domain = "real") -> Interval:
    """Sample mean, sample standard deviation (n-1) and the ``level`` interval for the mean on
    the scale of ``domain`` (see the module docstring); with one value there is no interval."""
    _check_domain(values, domain)
    n = len(values)
    if n == 0:
        return Interval(0, None, None, None, None, domain)
    mean = math.fsum(values) / n
    if n == 1:
        return Interval(1, mean, None, None, None, domain)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    if sd == 0.0:  # every value the same: the interval is that value, on any scale
        return Interval(n, mean, sd, mean, mean, domain)
    t_se = t_quantile((1.0 + level) / 2.0, n - 1) * sd / math.sqrt(n)
    if domain == "nonnegative":  # mean > 0 here: sd > 0 needs a positive value
        spread = math.exp(min(t_se / mean, 700.0))
        return Interval(n, mean, sd, mean / spread, mean * spread, domain)
    if domain == "share":  # 0 < mean < 1 here: sd > 0 needs two different values in [0, 1]
        centre, step = math.log(mean / (1.0 - mean)), t_se / (mean * (1.0 - mean))
        return Interval(n, mean, sd, _expit(centre - step), _expit(centre + step), domain)
    return Interval(n, mean, sd, mean - t_se, mean + t_se, domain)


def _expit(x: float) -> float:
    """1 / (1 + e^-x) without overflow for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)

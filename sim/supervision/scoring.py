"""Scoring the regulator's cases against ground truth, per typology and overall.

A case *matches* a planted scheme when it has the scheme's typology, names at least one of
its accounts and was opened after the scheme began. From the matches:

- recall: planted schemes matched by a case / planted schemes that ran;
- precision: cases that match some scheme / cases opened;
- time to detect: first matching case minus the scheme's first leg (p50, p95);
- caught before exit: the share of bad units whose scheme was matched no later than
  ``exit_delay`` seconds after its last leg settled (after that the units are taken to have
  left the note's venues through an off-ramp, which the workload does not model);
- alerts per 1,000 investors per day: cases / (investors / 1000) / (simulated days watched).
"""

from __future__ import annotations

from typing import Any

from rwasim.metrics import percentile
from rwasim.supervision.detectors import TYPOLOGIES
from rwasim.supervision.engine import Case
from rwasim.supervision.typologies import Truth

#: Figures :func:`score` gives overall; ``*_by_typology`` ones are repeated per typology.
OVERALL = (
    "planted",
    "cases",
    "recall",
    "precision",
    "detect_p50_s",
    "detect_p95_s",
    "caught_before_exit",
    "alerts_per_1k_investor_day",
    "data_requests",
)
BY_TYPOLOGY = ("recall", "precision", "detect_p50_s")
SHARES = ("recall", "precision", "caught_before_exit")


def matches(c: Case, t: Truth) -> bool:
    """``c`` is a case about scheme ``t``."""
    return (
        c.typology == t.typology
        and t.start is not None
        and c.time >= t.start
        and bool(set(c.subjects) & set(t.subjects))
    )


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _block(truths: list[Truth], cases: list[Case], exit_delay: float) -> dict[str, Any]:
    ran = [t for t in truths if t.start is not None]
    first: list[float] = []
    caught = 0
    for t in ran:
        times = [c.time for c in cases if matches(c, t)]
        if times:
            first.append(min(times) - float(t.start or 0.0))
            if t.end is not None and min(times) <= t.end + exit_delay:
                caught += t.volume
    good = [c for c in cases if any(matches(c, t) for t in ran)]
    lat = sorted(first)
    volume = sum(t.volume for t in ran)
    return {
        "planted": len(ran),
        "cases": len(cases),
        "recall": _r(len(first) / len(ran)) if ran else None,
        "precision": _r(len(good) / len(cases)) if cases else None,
        "detect_p50_s": _r(percentile(lat, 50)) if lat else None,
        "detect_p95_s": _r(percentile(lat, 95)) if lat else None,
        "caught_before_exit": _r(caught / volume) if volume else None,
    }


def score(
    truths: list[Truth],
    cases: list[Case],
    *,
    investors: int,
    seconds: float,
    data_requests: int = 0,
    exit_delay: float = 0.0,
) -> dict[str, Any]:
    """Scores overall and per typology: ``{"overall": {...}, "by_typology": {typology: {...}}}``."""
    overall = _block(truths, cases, exit_delay)
    days = seconds / 86_400.0
    overall["alerts_per_1k_investor_day"] = (
        _r(len(cases) / (investors / 1000.0) / days, 3) if investors and days > 0 else None
    )
    overall["data_requests"] = data_requests
    by = {
        typ: _block([t for t in truths if t.typology == typ], [c for c in cases if c.typology == typ], exit_delay)
        for typ in TYPOLOGIES
    }
    return {"overall": overall, "by_typology": by}


def metric_names() -> list[str]:
    """The ``sup_*`` columns a topology study adds (see :func:`flatten`)."""
    return [f"sup_{k}" for k in OVERALL] + [f"sup_{k}_{typ}" for typ in TYPOLOGIES for k in BY_TYPOLOGY]


def flatten(scores: dict[str, Any] | None) -> dict[str, Any]:
    """The scores as flat ``sup_*`` metrics (all None when supervision did not run)."""
    if scores is None:
        return dict.fromkeys(metric_names())
    out = {f"sup_{k}": scores["overall"][k] for k in OVERALL}
    for typ in TYPOLOGIES:
        for k in BY_TYPOLOGY:
            out[f"sup_{k}_{typ}"] = scores["by_typology"][typ][k]
    return out


def metric_domains() -> dict[str, str]:
    """``share`` or ``nonnegative`` for each ``sup_*`` metric."""
    return {
        name: "share" if any(name.startswith(f"sup_{s}") for s in SHARES) else "nonnegative" for name in metric_names()
    }

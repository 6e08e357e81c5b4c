"""compare.html's pieces: human titles with units for every metric, formatted figures, axes with
real ticks, whiskers cut rather than stretching an axis, and one colour per topology."""

from __future__ import annotations

import re

import pytest

from rwasim.compare.output import (
    SECTIONS,
    TOPOLOGY_COLOURS,
    MetricInfo,
    axis_range,
    bar_chart,
    fmt_value,
    metric_info,
    topology_colours,
)
from rwasim.compare.stats import Interval
from rwasim.topology import TOPOLOGIES
from rwasim.topology_workload import METRIC_DOMAINS


@pytest.mark.parametrize("metric", sorted(METRIC_DOMAINS))
def test_every_workload_metric_has_a_title_a_unit_and_a_section(metric):
    info = metric_info(metric)
    assert "_" not in info.title and info.title[0].isupper(), info
    assert info.section in SECTIONS and info.section != "Other", info
    assert info.unit, info
    assert (info.unit == "share") == (METRIC_DOMAINS[metric] == "share")
    if metric.endswith("_s"):
        assert info.heading.endswith("(s)")


def test_headings_read_as_sentences():
    assert metric_info("trade_p95_s").heading == "Trading: latency, p95 (s)"
    assert metric_info("reach").heading == "Reach: investors who can hold the note (%)"
    assert metric_info("cost_per_settlement_usd").heading == "Cost per settlement (USD)"
    assert metric_info("onboard_ops").heading == "Onboarding: operations"  # a count needs no unit
    assert metric_info("something_new") == MetricInfo("something_new", "Something new", "", "Other")


def test_figures_are_formatted_for_reading():
    cases = [
        (None, "", "–"),
        (0.0, "", "0"),
        (2_386_973.0, "gas", "2,386,973"),
        (1149.49, "count", "1,149"),
        (78.0123456, "s", "78.01"),
        (4.0, "s", "4"),
        (0.0606123, "tx/s", "0.0606"),
        (0.000362049, "s", "0.000362"),
        (7.6e-07, "s", "7.60e-07"),
        (0.875, "share", "87.5%"),
        (1.0, "share", "100%"),
    ]
    assert [fmt_value(v, unit) for v, unit, _ in cases] == [text for *_, text in cases]


def test_axis_keeps_the_means_and_cuts_runaway_whiskers():
    wild = Interval(2, 2.5, 0.7, 0.000007, 824_326.0, "nonnegative")
    tame = Interval(2, 10.0, 0.01, 9.99, 10.01, "nonnegative")
    lo, hi = axis_range([wild, tame])
    assert lo == 0 and 10.01 <= hi <= 20  # the 824,326 end is cut, not drawn to scale
    svg = bar_chart(MetricInfo("x_s", "Latency", "s", "Run"), [("a", "#000", wild), ("b", "#111", tame)])
    assert 'class="cut"' in svg  # an arrow where the whisker leaves the axis
    assert "824,326" in svg  # the true end is still in the tooltip
    assert len(re.findall(r'data-axis="x"', svg)) >= 3


@pytest.mark.parametrize(
    "means", [[0.0, 0.0], [0.001, 0.002], [3.0, 7.0], [1e6, 2.5e6], [-2.0, 5.0]], ids=lambda m: str(m)
)
def test_every_bar_chart_has_at_least_three_labelled_ticks(means):
    rows = [(f"g{i}", "#000", Interval(3, m, 0.1, m - 0.1, m + 0.1)) for i, m in enumerate(means)]
    svg = bar_chart(MetricInfo("m", "M", "count", "Run"), rows)
    ticks = re.findall(r'data-axis="x"[^>]*>([^<]+)<', svg)
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks), ticks
    assert "viewBox" in svg and ' width="' not in svg.split(">")[0]  # scales with its card


def test_small_groups_are_flagged_in_the_chart():
    rows = [
        ("bridged", "#E69F00", Interval(2, 5.0, 1.0, 1.0, 20.0)),
        ("hub", "#CC79A7", Interval(5, 4.0, 1.0, 3.0, 5.0)),
    ]
    svg = bar_chart(MetricInfo("m", "M", "count", "Run"), rows)
    assert re.search(r'class="tick small-n"[^>]*>bridged ⚠', svg)
    assert re.search(r'data-axis="y"[^>]*>hub<', svg)
    assert svg.count('stroke-dasharray="3 2"') == 1  # the small group's whisker only


def test_each_topology_keeps_its_colour_whatever_else_is_compared():
    assert set(TOPOLOGY_COLOURS) == set(TOPOLOGIES) and len(set(TOPOLOGY_COLOURS.values())) == len(TOPOLOGIES)
    one = topology_colours(["hub", "bridged"])
    two = topology_colours(["bridged", "consortium-only", "hub", "hub"])
    assert one["bridged"] == two["bridged"] and one["hub"] == two["hub"]
    assert list(two) == ["bridged", "consortium-only", "hub"]
    drawn = topology_colours(["mine", "bridged", "yours"])
    assert drawn["mine"] != drawn["yours"] and drawn["bridged"] == TOPOLOGY_COLOURS["bridged"]

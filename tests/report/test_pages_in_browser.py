"""report.html and compare.html as a reader sees them, in headless Chromium.

The flagship run (``rwasim run cross_border_note``) and a small sweep (three topologies, two
seeds each, so every group has n < 3) are drawn and loaded; the tests check that the pages
raise no console errors, that every plot is drawn with at least three labelled ticks on each
axis, that the message timeline's markers do not overlap, and what compare.html promises
(cards in a grid, human titles, formatted cells, one colour per topology, n < 3 flagged).
Screenshots of both pages are saved in the artifact folder (the ``artifacts`` fixture) for review.
"""

from __future__ import annotations

import re

import pytest

from rwasim.compare import run_compare
from rwasim.compare.output import metric_info, numeric_metrics

MIN_TICKS = 3

#: Measures every chart of a page: labelled ticks per axis (visible, non-empty) and whether the
#: labels of one axis overlap each other.
MEASURE_CHARTS = """(() => {
    const box = el => el.getBoundingClientRect();
    const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
                       && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    return [...document.querySelectorAll('svg.chart')].map(svg => {
        const axes = {};
        svg.querySelectorAll('text.tick[data-axis]').forEach(t => {
            const b = box(t);
            if (t.textContent.trim() && b.width > 0 && b.height > 0) {
                (axes[t.dataset.axis] = axes[t.dataset.axis] || []).push(b);
            }
        });
        const overlapping = {};
        for (const [axis, boxes] of Object.entries(axes)) {
            overlapping[axis] = boxes.some((a, i) => boxes.slice(i + 1).some(b => hit(a, b)));
        }
        const counts = Object.fromEntries(Object.entries(axes).map(([k, v]) => [k, v.length]));
        const size = box(svg);
        return {id: svg.id, counts, overlapping, size: [size.width, size.height],
                drawn: svg.querySelectorAll('path, circle, rect, line').length};
    });
})()"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A small comparison: three topologies, two seeds each (every group has n = 2 < 3)."""
    return run_compare(
        ["consortium-only", "bridged", "dual-space"],
        seeds=2,
        sets=["investors=8", "trades_per_investor=1.0"],
        out_dir=tmp_path_factory.mktemp("compare"),
        workers=2,
        say=lambda _: None,
    )


def _check_ticks(charts: list[dict], skip: tuple[str, ...] = ()) -> None:
    for chart in charts:
        if chart["id"] in skip:
            continue
        width, height = chart["size"]
        assert width > 200 and height > 60 and chart["drawn"] > 0, chart
        for axis in ("x", "y"):
            assert chart["counts"].get(axis, 0) >= MIN_TICKS, (chart["id"], axis, chart["counts"])
        for axis, count in chart["counts"].items():  # a second axis, where there is one, too
            assert count >= MIN_TICKS, (chart["id"], axis, count)
        assert not any(chart["overlapping"].values()), (chart["id"], chart["overlapping"])


def test_report_page_draws_every_plot_with_ticks_and_a_timeline_without_overlaps(flagship, browser, artifacts):
    page = browser.load(flagship.html_path)
    assert page.screenshot(artifacts / "report.png").stat().st_size > 10_000
    assert page.problems == [], page.problems
    assert page.requests == [page.url], "the page loads nothing else"

    charts = page.evaluate(MEASURE_CHARTS)
    ids = {c["id"] for c in charts}
    assert {
        "plot-latency-cdf",
        "plot-latency-ops",
        "plot-supply-0",
        "plot-risk-units",
        "plot-risk-backing",
        "plot-timeline",
        "plot-timeline-events",
        "plot-topology",
    } <= ids
    _check_ticks(charts, skip=("plot-topology",))  # a graph drawing, with no axes
    assert next(c for c in charts if c["id"] == "plot-risk-units")["counts"].get("y2", 0) >= MIN_TICKS

    timeline = page.evaluate("""(() => {
        const boxes = [...document.querySelectorAll('#plot-timeline .tl-mark, #plot-timeline-events .tl-mark')]
            .map(m => { const b = m.getBoundingClientRect();
                        return {svg: m.closest('svg').id, l: b.left, r: b.right, t: b.top, b: b.bottom}; });
        const pairs = [];
        boxes.forEach((a, i) => boxes.slice(i + 1).forEach(c => {
            if (a.svg === c.svg && a.l < c.r - 0.5 && c.l < a.r - 0.5 && a.t < c.b - 0.5 && c.t < a.b - 0.5)
                pairs.push([a, c]);
        }));
        return {marks: boxes.filter(b => b.svg === 'plot-timeline').length, overlaps: pairs.length,
                rows: document.querySelectorAll('#plot-timeline .msg').length};
    })()""")
    messages = sum(flagship.report["bridge"]["lane-1"]["messages"].values())
    assert timeline["rows"] == messages  # one swim lane per message
    assert timeline["marks"] >= 2 * messages  # sent and final state, at least
    assert timeline["overlaps"] == 0


def test_compare_page_is_a_grid_of_readable_cards(sweep, browser, artifacts):
    page = browser.load(sweep.files["html"])
    assert page.screenshot(artifacts / "compare.png").stat().st_size > 10_000
    assert page.problems == [], page.problems
    assert page.requests == [page.url]

    charts = page.evaluate(MEASURE_CHARTS)
    metrics = numeric_metrics(sweep.results)
    assert len(charts) == len(metrics)
    _check_ticks(charts)

    found = page.evaluate("""(() => {
        const cards = [...document.querySelectorAll('figure.card')];
        const legend = Object.fromEntries([...document.querySelectorAll('.legend .topology')].map(
            s => [s.dataset.topology, getComputedStyle(s.querySelector('.swatch')).backgroundColor]));
        const bars = [...document.querySelectorAll('rect.bar')].map(
            r => [r.dataset.group.split(' ')[0], getComputedStyle(r).fill]);
        const swatches = [...document.querySelectorAll('table .swatch')].map(
            s => [s.parentElement.textContent.trim().split(' ')[0], getComputedStyle(s).backgroundColor]);
        return {
            columns: new Set(cards.map(c => Math.round(c.getBoundingClientRect().left))).size,
            headings: cards.map(c => c.querySelector('h4').textContent),
            badges: cards.filter(c => c.querySelector('.badge')).length,
            banner: (document.querySelector('.banner') || {}).textContent || '',
            legend, bars, swatches,
            cells: [...document.querySelectorAll('table td')].map(td => td.innerText),
        };
    })()""")
    assert found["columns"] >= 2, "cards sit side by side in a grid at 1280 px"
    assert found["headings"] == [metric_info(m).heading for m in _in_page_order(metrics)]
    assert not any(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h) for h in found["headings"]), "no snake_case titles"
    assert "Reach: investors who can hold the note (%)" in found["headings"]
    assert found["badges"] == len(charts) and "Fewer than 3 runs" in found["banner"]  # n = 2 everywhere

    assert set(found["legend"]) == {"consortium-only", "bridged", "dual-space"}
    assert len(set(found["legend"].values())) == 3
    for topology, colour in found["bars"] + found["swatches"]:
        assert colour == found["legend"][topology], (topology, colour)

    numbers = [c for c in found["cells"] if re.search(r"\d\.\d", c)]
    assert numbers and not [c for c in numbers if _significant(c) > 4], "no cell shows more than 4 significant digits"


def _significant(cell: str) -> int:
    """The most significant digits of any number with a decimal point in a cell (``0.000123`` has 3)."""
    digits = [
        len(mantissa.replace(".", "").lstrip("0")) for mantissa in re.findall(r"\d[\d,]*\.\d+", cell.replace(",", ""))
    ]
    return max(digits, default=0)


def _in_page_order(metrics: list[str]) -> list[str]:
    from rwasim.compare.output import SECTIONS

    return sorted(metrics, key=lambda m: SECTIONS.index(metric_info(m).section))

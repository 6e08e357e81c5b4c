"""report.html: a page a person can read, drawn from the run's files, the same for the same run.

The browser tests load the page of a real run (the bridge incidents scenario: a relayer
crash, rate limits, the consortium below quorum, a reorg and a key theft, on a real EVM and
a real consortium ledger) in headless Chromium and check what a reader would see; the other
tests check the page's pure functions on that run's data and on small hand-made logs.
"""

from __future__ import annotations

import json

import pytest

from rwasim.report import (
    fault_events,
    fmt_number,
    load_run,
    message_tracks,
    nice_ticks,
    render_html,
    supply_series,
    tick_label,
    value_at_risk_series,
    write_html,
)
from rwasim.runner import run_scenario

THEFT = 20_000
PLOTS = {  # figure id -> svg id: every plot the incidents run must show
    "fig-latency-cdf": "plot-latency-cdf",
    "fig-latency-ops": "plot-latency-ops",
    "fig-supply": "plot-supply-0",
    "fig-risk-units": "plot-risk-units",
    "fig-risk-backing": "plot-risk-backing",
    "fig-risk-pending": "plot-risk-pending",
    "fig-timeline": "plot-timeline",
    "fig-topology": "plot-topology",
}
SECTIONS = ("summary", "metrics", "latency", "supply", "risk", "timeline", "topology", "events")


@pytest.fixture(scope="module")
def incidents(tmp_path_factory):
    """One run of the bridge incidents scenario (faults, alerts, a forged mint of THEFT units)."""
    out = tmp_path_factory.mktemp("incidents")
    return run_scenario("bridge_incidents", seed=3, out_dir=out, overrides={"theft": str(THEFT)})


# ---- in the browser ------------------------------------------------------------------------
def test_page_loads_without_errors_and_shows_every_plot(incidents, browser):
    assert incidents.html_path == incidents.out_dir / "report.html" and incidents.html_path.is_file()
    page = browser.load(incidents.html_path)
    assert page.problems == [], page.problems
    assert page.requests == [page.url], f"the page must load nothing else: {page.requests}"

    found = page.evaluate("""(() => {
        const box = el => { const b = el.getBoundingClientRect(); return [b.width, b.height]; };
        const out = {sections: [...document.querySelectorAll('main > section')].map(s => s.id), plots: {}};
        document.querySelectorAll('figure.plot').forEach(fig => {
            out.plots[fig.id] = [...fig.querySelectorAll('svg.chart')].map(svg => ({
                id: svg.id, size: box(svg),
                drawn: svg.querySelectorAll('path, circle, line, rect').length,
                series: [...svg.querySelectorAll('.series, .msg, .node, .op')].filter(el => {
                    const [w, h] = box(el); return w > 0 || h > 0; }).length}));
        });
        out.nodata = [...document.querySelectorAll('.nodata')].map(p => p.id);
        out.title = document.title;
        return out;
    })()""")
    assert tuple(found["sections"]) == SECTIONS
    assert "bridge_incidents" in found["title"]
    for figure, svg_id in PLOTS.items():
        assert figure in found["plots"], f"{figure} missing; figures: {sorted(found['plots'])}"
        svgs = {s["id"]: s for s in found["plots"][figure]}
        assert svg_id in svgs
        width, height = svgs[svg_id]["size"]
        assert width > 100 and height > 100, (svg_id, width, height)
        assert svgs[svg_id]["series"] > 0, f"{svg_id} draws no visible series, messages or nodes"
    assert found["nodata"] == [], "every plot has data in this run"


def test_legend_hides_and_shows_a_series(incidents, browser):
    page = browser.load(incidents.html_path)
    state = page.evaluate("""(() => {
        const key = document.querySelector('#fig-risk-units .legend .key');
        const series = document.querySelector('[data-series="' + key.dataset.toggle + '"]');
        key.click(); const hidden = series.getBoundingClientRect().width === 0 && key.classList.contains('off');
        key.click(); const shown = series.getBoundingClientRect().width > 0 && !key.classList.contains('off');
        return [hidden, shown];
    })()""")
    assert state == [True, True]
    assert page.problems == []


def test_the_harness_sees_errors_in_a_broken_page(tmp_path, browser):
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<!DOCTYPE html><html><body><svg width='10' height='10'></svg><script>"
        "console.error('drawn wrong'); undefinedFunction();</script></body></html>"
    )
    page = browser.load(broken)
    assert page.console_errors == ["drawn wrong"]
    assert len(page.exceptions) == 1 and "undefinedFunction" in page.exceptions[0]


# ---- the run's data -------------------------------------------------------------------------
def test_html_is_a_pure_function_of_the_run_files(incidents):
    report, events = load_run(incidents.out_dir)
    first = render_html(report, events)
    assert render_html(report, events) == first
    assert incidents.html_path.read_text(encoding="utf-8") == first
    again = write_html(incidents.out_dir)
    assert again.read_text(encoding="utf-8") == first


def test_same_seed_gives_the_same_page(tmp_path):
    pages = []
    for name in ("a", "b"):
        result = run_scenario("cross_chain_transfer", seed=11, out_dir=tmp_path / name, overrides={"investors": "2"})
        pages.append(result.html_path.read_bytes())
    assert pages[0] == pages[1]
    assert b"cross_chain_transfer" in pages[0]


def test_report_json_keeps_its_keys_and_gains_the_topology_graph(incidents):
    report = json.loads(incidents.report_path.read_text())
    assert {
        "scenario",
        "seed",
        "topology",
        "backend",
        "metrics",
        "invariants",
        "balances",
        "supply",
        "alerts",
        "consortium",
        "bridge",
        "topology_graph",
    } <= set(report)
    graph = report["topology_graph"]
    kinds: dict[str, list[dict]] = {}
    for node in graph["nodes"]:
        kinds.setdefault(node["kind"], []).append(node)
    assert [n["label"] for n in kinds["validator"]] == ["v0", "v1", "v2", "v3"]
    assert all(n.get("org") for n in kinds["validator"])
    links = [e for e in graph["edges"] if e["kind"] == "link"]
    assert len(links) == 6 and all(e["latency"] > 0 for e in links)  # the default mesh of four
    assert [n["label"] for n in kinds["ethereum"]] == ["Ethereum"] and kinds["ethereum"][0]["backend"] == "revm"
    assert [n["verifier"] for n in kinds["bridge_lane"]] == ["committee"]
    assert [n["label"] for n in kinds["token"]] == ["wHKSNB"]
    assert [n["label"] for n in kinds["relayer"]] == ["relayer-0"]
    assert {(e["source"], e["target"]) for e in graph["edges"] if e["kind"] == "bridge"} == {
        ("consortium", "bridge/lane-1"),
        ("bridge/lane-1", "ethereum"),
    }


def test_supply_over_time_ends_where_the_chains_ended(incidents):
    report, events = load_run(incidents.out_dir)
    panels = {panel.title: panel.series for panel in supply_series(report, events)}
    balances = report["bridge"]["lane-1"]["balances"]  # read from the chains at the end of the run
    consortium = panels["consortium · HKSN-2027-B"]
    assert consortium[0].label == "total supply" and consortium[0].final == 1_000_000
    assert consortium[1].label == "locked in bridge escrow" and consortium[1].final == balances["escrow"]
    wrapped = panels["ethereum · wHKSNB"]
    # the reorg erased a burn of 10 units: the supply drawn must have given them back
    assert wrapped[0].final == balances["wrapped_supply"] == balances["escrow"] + THEFT
    assert wrapped[1].label.startswith("backing") and wrapped[1].final == balances["escrow"]


def test_value_at_risk_shows_the_theft_and_the_time_in_flight(incidents):
    report, events = load_run(incidents.out_dir)
    risk = value_at_risk_series(events, report)
    by_label = {s.label: s for s in risk.units + risk.backing + risk.unbacked}
    unbacked = by_label["unbacked wrapped units"]
    assert unbacked.final == THEFT == report["bridge"]["lane-1"]["max_value_at_risk"]
    assert unbacked.peak == THEFT and min(v for _, v in unbacked.points) >= 0
    theft_time = next(e["t"] for e in events if e["kind"] == "bridge.attack_succeeded")
    assert unbacked.points[-1] == (theft_time, THEFT)
    balances = report["bridge"]["lane-1"]["balances"]
    assert by_label["wrapped supply on Ethereum"].final == balances["wrapped_supply"]
    assert by_label["backing: escrow on the consortium"].final == balances["escrow"]
    assert by_label["in flight to Ethereum"].peak > 0 and by_label["in flight to Ethereum"].final == 0
    assert by_label["in flight to the consortium"].peak > 0 and by_label["in flight to the consortium"].final == 0
    assert [s.label for s in risk.pending] == ["consortium: transactions pending", "eth: transactions pending"]
    assert risk.value is None  # this run sells nothing: no price, so its figures stay in units
    faults = fault_events(events)
    assert [e["fault"] for e in faults if e["kind"] == "bridge.fault"][:2] == ["relayer_crash", "relayer_restart"]
    assert any(e["kind"] == "consortium.fault" for e in faults)


def test_message_tracks_follow_the_book(incidents):
    report, events = load_run(incidents.out_dir)
    listing = {m["id"]: m for m in report["bridge"]["lane-1"]["listing"]}
    tracks = message_tracks(events)
    assert [t.id for t in tracks] == list(listing)
    for track in tracks:
        assert track.steps[-1][1] == listing[track.id]["state"]
        source = "consortium" if track.direction == "to_ethereum" else "ethereum"
        assert track.steps[0][2] == source
    reorged = [t for t in tracks if t.steps[-1][1] == "reorged_out"]
    assert len(reorged) == 1 and reorged[0].steps[-1][2] == "ethereum"


# ---- hand-made logs ---------------------------------------------------------------------------
def _report(**extra):
    report = {
        "scenario": "tiny",
        "seed": 1,
        "topology": "consortium-only",
        "backend": "eth-tester",
        "params": {},
        "simulated_seconds": 10.0,
        "event_count": 0,
        "metrics": {},
        "invariants": {},
        "balances": {},
        "supply": {},
        "alerts": [],
    }
    report.update(extra)
    return report


def _ev(seq, t, kind, source="scenario", **data):
    return {"seq": seq, "t": t, "kind": kind, "source": source, **data}


def test_plots_without_data_say_so_in_one_line():
    page = render_html(_report(), [])
    for section in ("latency", "supply", "risk", "timeline", "topology", "invariants", "alerts", "metrics"):
        assert f'id="nodata-{section}"' in page, section
    assert "<svg" not in page


def test_a_fault_without_a_bridge_draws_pending_transactions_only():
    events = [
        _ev(0, 0.0, "scenario.phase", phase="p", state="start"),
        _ev(
            1,
            1.0,
            "consortium.tx",
            "consortium",
            status="ok",
            submitted_at=0.0,
            tx_kind="token.mint",
            supply_delta={"NOTE": 100},
        ),
        _ev(2, 2.0, "consortium.fault", "consortium", fault="crash", node="v1"),
        _ev(
            3,
            5.0,
            "consortium.tx",
            "consortium",
            status="ok",
            submitted_at=2.5,
            tx_kind="token.burn",
            supply_delta={"NOTE": -40},
        ),
        _ev(4, 6.0, "scenario.phase", phase="p", state="end"),
    ]
    page = render_html(_report(), events)
    assert 'id="fig-risk-pending"' in page and 'id="fig-risk-units"' not in page
    assert 'id="nodata-timeline"' in page and 'id="fig-supply"' in page and 'id="fig-latency-cdf"' in page
    assert "consortium: crash (node=v1)" in page
    (panel,) = supply_series(_report(), events)
    assert panel.title == "consortium · NOTE" and panel.series[0].points == [(1.0, 100), (5.0, 60)]
    assert panel.unit == "units" and panel.value is None


def test_no_fault_means_no_pending_plot_and_a_note():
    events = [
        _ev(
            0,
            1.0,
            "bridge.message",
            "bridge",
            id="0x01",
            direction="to_ethereum",
            lane=1,
            nonce=1,
            amount=5,
            state="in_flight",
        ),
        _ev(
            1,
            3.0,
            "bridge.message",
            "bridge",
            id="0x01",
            direction="to_ethereum",
            lane=1,
            nonce=1,
            amount=5,
            state="delivered",
            reason=None,
        ),
    ]
    page = render_html(_report(), events)
    assert 'id="fig-risk-units"' in page and 'id="fig-risk-pending"' not in page
    assert 'id="nodata-faults"' in page and 'id="fig-timeline"' in page
    risk = value_at_risk_series(events)
    assert risk.units[0].points == [(1.0, 5), (3.0, 0)]


def test_names_are_escaped():
    evil = '<script>alert("x")</script>&'
    report = _report(
        scenario=evil,
        invariants={evil: False},
        params={evil: evil},
        alerts=[{"name": evil, "time": 1.0, "value_at_risk": 3, "note": evil}],
        metrics={evil: {"succ": 1, "fail": 0, "by_chain": {evil: {"succ": 1, "fail": 0}}}},
        topology_graph={
            "nodes": [
                {"id": "c", "kind": "consortium", "label": evil},
                {"id": "c/v", "kind": "validator", "label": evil, "chain": "c"},
            ],
            "edges": [],
        },
    )
    events = [
        _ev(0, 0.5, "consortium.tx", "consortium", status="ok", submitted_at=0.0, tx_kind=evil),
        _ev(1, 1.0, "bridge.fault", "bridge", fault=evil),
    ]
    page = render_html(report, events)
    assert "<script>alert" not in page and 'alert("x")' not in page
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;") >= 6
    assert page.count("<script>") == 1  # the page's own toggling script, nothing else


def test_nice_ticks_cover_the_range_with_round_steps():
    assert nice_ticks(0, 627.07, 8) == (0, 700, [0, 100, 200, 300, 400, 500, 600, 700])
    assert nice_ticks(0, 1_000_000) == (0, 1_000_000, [0, 200_000, 400_000, 600_000, 800_000, 1_000_000])
    assert nice_ticks(0, 0) == (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(-3, 7) == (-4, 8, [-4, -2, 0, 2, 4, 6, 8])


def test_numbers_read_as_a_person_writes_them():
    assert [tick_label(v) for v in (1e10, 1.5e6, 20_000, 0.25, 0)] == ["10B", "1.5M", "20k", "0.25", "0"]
    assert [fmt_number(v) for v in (1_000_000, 0.989094, 2.0, None, -0.0)] == ["1,000,000", "0.989", "2", "–", "0"]

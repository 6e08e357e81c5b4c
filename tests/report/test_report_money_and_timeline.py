"""report.html in money and in time: cash in its currency, the note's units valued at its issue
price, backing as its own line, and a message timeline that stays legible when messages cluster.

Checked on the flagship run (``cross_border_note``: HKD cash on both chains, a bridged note sold
at HKD 10,000 a unit, a batch of seven messages sent at one instant) and on small hand-made logs.
"""

from __future__ import annotations

import re

from rwasim.report import (
    CLUSTER_PX,
    DURATION_TICKS,
    MARK_R,
    ElapsedAxis,
    Valuation,
    fmt_duration,
    fmt_money,
    incidents_chart,
    load_run,
    message_tracks,
    note_valuations,
    render_html,
    supply_series,
    timeline_chart,
    value_at_risk_series,
)

NOTE = "VSHK-FCN-2027"


def _at(points: list[tuple[float, float]], t: float) -> float:
    """A step series' value at time t."""
    value = 0.0
    for when, v in points:
        if when > t:
            break
        value = v
    return value


def _ev(seq, t, kind, source="bridge", **data):
    return {"seq": seq, "t": t, "kind": kind, "source": source, **data}


def _message(seq, t, state, ident="0x01", direction="to_ethereum", amount=5, nonce=1):
    return _ev(seq, t, "bridge.message", id=ident, direction=direction, lane=1, nonce=nonce, amount=amount, state=state)


# ---- money ------------------------------------------------------------------------------------
def test_cash_is_drawn_in_its_currency_not_in_cents(flagship):
    report, events = load_run(flagship.out_dir)
    panels = {p.title: p for p in supply_series(report, events)}
    deposit = panels["consortium · HKD-DEPOSIT (tokenized HKD deposit)"]
    token = panels["ethereum · HKD (HKD deposit token)"]
    assert deposit.unit == token.unit == "HKD"
    assert deposit.series[0].final == report["supply"]["consortium"]["HKD-DEPOSIT"] / 100
    assert token.series[0].final == report["supply"]["ethereum"]["HKD"] / 100
    page = flagship.html_path.read_text(encoding="utf-8")
    supply_table = page[page.index('id="supply-final"') :].split("</table>")[0]
    assert fmt_money(report["supply"]["consortium"]["HKD-DEPOSIT"] / 100, "HKD") in supply_table
    assert f"{report['supply']['consortium']['HKD-DEPOSIT']:,}" not in supply_table  # no cents left


def test_value_at_risk_is_in_the_notes_currency_as_well_as_units(flagship):
    report, events = load_run(flagship.out_dir)
    assert note_valuations(report, events) == {NOTE: Valuation("HKD", 10_000.0)}
    risk = value_at_risk_series(events, report)
    assert risk.value == Valuation("HKD", 10_000.0)
    panels = {p.title: p for p in supply_series(report, events)}
    assert panels[f"consortium · {NOTE}"].value == risk.value and panels[f"consortium · {NOTE}"].unit == "units"
    page = flagship.html_path.read_text(encoding="utf-8")
    risk_plot = page[page.index('id="plot-risk-units"') :].split("</svg>")[0]
    assert "HKD at the issue price" in risk_plot
    assert len(re.findall(r'data-axis="y2"', risk_plot)) >= 3
    assert "99 units (HKD 990,000)" in page  # the redemption's message, on the timeline


def test_backing_is_its_own_line_and_nothing_goes_negative(flagship):
    report, events = load_run(flagship.out_dir)
    risk = value_at_risk_series(events, report)
    wrapped, escrow = risk.backing
    assert (wrapped.label, escrow.label) == ("wrapped supply on Ethereum", "backing: escrow on the consortium")
    assert escrow.peak >= wrapped.peak > 0 and wrapped.final == escrow.final == 0
    for series in risk.units + risk.backing + risk.unbacked:
        assert min((v for _, v in series.points), default=0) >= 0, series.label
    # the redemption burns on Ethereum before the consortium releases: escrow leads, never trails
    times = sorted({t for s in risk.backing for t, _ in s.points})
    assert all(_at(escrow.points, t) >= _at(wrapped.points, t) for t in times)
    assert risk.unbacked[0].peak == 0
    page = flagship.html_path.read_text(encoding="utf-8")
    assert "unbacked wrapped units (none)" in page and "backing: escrow on the consortium" in page


# ---- the timeline ----------------------------------------------------------------------------
def test_timeline_has_a_row_per_message_in_send_order_under_its_phase(flagship):
    _, events = load_run(flagship.out_dir)
    tracks = message_tracks(events)
    svg = timeline_chart(tracks)
    assert svg.count('class="msg"') == len(tracks) == 13
    phases = re.findall(r'class="lane-label"[^>]*>([^<]+)<', svg)
    assert phases == ["issuance", "trading", "coupons and redemption"]
    sent = [float(v.replace(",", "")) for v in re.findall(r'class="tick sent"[^>]*>([\d,.]+) s<', svg)]
    assert sent == sorted(sent) and len(sent) == 13
    assert [t.phase for t in sorted(tracks, key=lambda t: t.sent)][:7] == ["issuance"] * 7


def test_markers_of_one_message_never_overlap_even_at_one_instant():
    events = [
        _message(0, 10.0, "in_flight"),
        _message(1, 10.001, "rejected"),
        _message(2, 10.002, "refunded"),
        _message(3, 10.0, "in_flight", ident="0x02", nonce=2),
        _message(4, 3 * 86400.0, "delivered", ident="0x02", nonce=2),
    ]
    svg = timeline_chart(message_tracks(events))
    rows = svg.split('class="msg"')[1:]
    xs = [float(x) for x in re.findall(r'class="tl-mark" cx="([\d.]+)"', rows[0])]
    assert len(xs) == 3 and all(b - a >= 2 * MARK_R for a, b in zip(xs, xs[1:]))
    ticks = re.findall(r'data-axis="x"[^>]*>([^<]+)<', svg)
    assert len(ticks) >= 3 and ticks[0] == "0" and "1 d" in ticks  # three days fit on the log axis
    assert "delivered in 3.0 days" in rows[1]


def test_the_elapsed_axis_is_logarithmic_with_round_spaced_ticks():
    axis = ElapsedAxis(0, 600, 10)
    assert axis.ticks() == [0, 1, 2, 5, 10] and axis.x(10) == 600 and axis.x(0) == 0
    assert axis.x(1) - axis.x(0) > axis.x(10) - axis.x(5)  # equal ratios, equal steps
    wide = ElapsedAxis(0, 600, 31536000)
    ticks = wide.ticks()
    assert len(ticks) >= 3 and all(wide.x(b) - wide.x(a) >= 44 for a, b in zip(ticks, ticks[1:]))
    assert set(ticks) <= set(DURATION_TICKS)
    assert [fmt_duration(v) for v in (0, 5, 120, 7200, 172800)] == ["0", "5 s", "2 min", "2 h", "2 d"]


def test_incidents_that_fall_together_are_one_counted_marker():
    events = [
        _ev(0, 100.0, "bridge.relayed", messages=1),
        _ev(1, 100.5, "bridge.relayed", messages=1),
        _ev(2, 101.0, "bridge.relayed", messages=1),
        _ev(3, 900.0, "bridge.relayed", messages=1),
        _ev(4, 500.0, "bridge.fault", fault="relayer_crash"),
    ]
    svg = incidents_chart(events, 1000.0)
    assert svg.count('class="tl-mark"') == 3  # the three at t=100..101, the one at 900, the fault
    assert re.search(r'class="count"[^>]*>3<', svg)
    assert "1. t=500.0 s bridge: relayer_crash" in svg
    xs = sorted(float(x) for x in re.findall(r'class="tl-mark"[^>]*?(?:cx="|d="M)([\d.]+)', svg))
    assert all(b - a >= CLUSTER_PX for a, b in zip(xs, xs[1:])) or len(set(xs)) == len(xs)
    labels = re.findall(r'data-axis="y"[^>]*>([^<]+)<', svg)
    assert labels == ["injected faults", "bridge and relayers", "consortium nodes", "monitor alerts"]


def test_a_run_without_an_offer_stays_in_units():
    events = [_message(0, 1.0, "in_flight"), _message(1, 3.0, "delivered")]
    page = render_html({"scenario": "tiny", "seed": 1, "alerts": [], "invariants": {}}, events)
    assert "issue price" not in page and 'data-axis="y2"' not in page
    assert value_at_risk_series(events, {}).value is None

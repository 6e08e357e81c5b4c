"""Time as it really passes, checked on whole scenarios: every Ethereum block on the slot grid,
real inclusion latency, the note on the real calendar, Casper finality on the bridge, and idle
simulated time that costs no work."""

from __future__ import annotations

import json

import pytest

from rwasim.runner import discover_scenarios, run_scenario

BRIDGED_OR_ETHEREUM = sorted(
    name for name in discover_scenarios() if name not in ("consortium_faults",)
)  # every scenario with an Ethereum chain


def _events(result) -> list[dict]:
    return [json.loads(line) for line in result.events_path.read_text().splitlines()]


@pytest.mark.parametrize("name", BRIDGED_OR_ETHEREUM)
def test_every_block_lies_on_the_slot_grid_and_no_two_share_a_slot(name, tmp_path):
    result = run_scenario(name, seed=3, out_dir=tmp_path)
    events = _events(result)
    blocks = [e for e in events if e["kind"] == "eth.block"]
    if not blocks:
        pytest.fail(f"{name} made no Ethereum block: it should not be in this list")
    by_chain: dict[str, list[dict]] = {}
    for block in blocks:
        by_chain.setdefault(block["source"], []).append(block)
    for chain_blocks in by_chain.values():
        slots = [b["slot"] for b in chain_blocks]
        assert len(slots) == len(set(slots)), "two blocks in one slot"
        assert slots == sorted(slots) and min(slots) >= 1
        genesis = chain_blocks[0]["timestamp"] - 12 * chain_blocks[0]["slot"]
        for block in chain_blocks:
            assert block["timestamp"] - genesis == 12 * block["slot"], block
            assert (block["t"] - chain_blocks[0]["t"]) == pytest.approx(12 * (block["slot"] - chain_blocks[0]["slot"]))
    txs = [e for e in events if e["kind"] == "eth.tx"]
    assert all(tx["t"] >= tx["submitted_at"] for tx in txs), "included at or after submission"


def test_the_flagship_reports_real_ethereum_inclusion_latency(tmp_path):
    result = run_scenario("cross_border_note", seed=0, out_dir=tmp_path)
    txs = [e for e in _events(result) if e["kind"] == "eth.tx"]
    waits = sorted(tx["t"] - tx["submitted_at"] for tx in txs)
    p50 = waits[len(waits) // 2]
    assert 0 < p50 <= 12, p50
    assert sum(1 for w in waits if w == 0) < len(waits) / 4, "most transactions wait for their slot"


def test_note_lifecycle_runs_on_the_real_calendar_by_default(tmp_path):
    result = run_scenario("note_lifecycle", seed=1, out_dir=tmp_path)
    assert result.report["params"]["day_seconds"] == 86_400
    assert result.report["simulated_seconds"] >= 365 * 86_400
    calendar = [e for e in _events(result) if e["kind"] == "lifecycle.calendar"]
    assert calendar and all(not e["compressed"] for e in calendar)
    quick = run_scenario("note_lifecycle", seed=1, out_dir=tmp_path / "quick", overrides={"day_seconds": "20"})
    assert [e["compressed"] for e in _events(quick) if e["kind"] == "lifecycle.calendar"] == [True, True]
    # the report says which calendar the run used, and warns when it was compressed
    real_html = (tmp_path / "report.html").read_text()
    quick_html = (tmp_path / "quick" / "report.html").read_text()
    assert 'id="compressed-calendar"' in quick_html and "a quick look only" in quick_html
    assert 'id="compressed-calendar"' not in real_html and "real: a day is 86,400 simulated seconds" in real_html


def test_idle_years_cost_no_work(tmp_path):
    """A 10-year note and a 1-year note with the same four coupons do the same work: the nine
    extra years of simulated time schedule no SimPy event (no slot, poll or timer runs idle)."""
    runs = {
        years: run_scenario(
            "cross_border_note",
            seed=2,
            out_dir=tmp_path / str(years),
            overrides={"tenor_years": str(years), "holiday_calendar": "weekends"},
        )
        for years in (1, 10)
    }
    short, long = runs[1].report, runs[10].report
    assert runs[1].invariants_hold and runs[10].invariants_hold
    assert long["simulated_seconds"] >= 3650 * 86_400 > 10 * short["simulated_seconds"] * 0.9
    assert abs(long["sim_events_scheduled"] - short["sim_events_scheduled"]) <= 0.05 * short["sim_events_scheduled"]
    assert long["event_count"] == short["event_count"]


def test_a_bridged_topology_waits_for_casper_finality_from_ethereum_and_faster_policies_are_faster(tmp_path):
    figures = {}
    for policy in ("finalized", "safe", "confirmations=2"):
        result = run_scenario(
            "topology_study",
            seed=0,
            out_dir=tmp_path / policy,
            overrides={"topology": "bridged", "finality": policy, "cross_share": "0.5"},
        )
        figures[policy] = result.report["topology_study"]["metrics"]
    finalized = figures["finalized"]["to_consortium_p50_s"]
    assert 12.8 * 60 <= finalized <= 25 * 60, finalized
    assert 6.4 * 60 <= figures["safe"]["to_consortium_p50_s"] < finalized
    assert figures["confirmations=2"]["to_consortium_p50_s"] < 90
    # towards Ethereum the consortium is final at commit: the policy does not change it
    assert len({f["to_ethereum_p50_s"] for f in figures.values()}) == 1


def test_a_finality_delay_in_a_topology_study_holds_burns_for_its_epochs(tmp_path):
    """The May 2023 incident in a study: Casper stalls for 1,200 s (four epochs), burns wait it out."""
    base = {"topology": "bridged", "cross_share": "0.5"}
    normal = run_scenario("topology_study", seed=0, out_dir=tmp_path / "normal", overrides=base)
    stalled = run_scenario(
        "topology_study",
        seed=0,
        out_dir=tmp_path / "stalled",
        overrides={**base, "fault": "finality_delay", "fault_duration": "1200"},
    )
    before = normal.report["topology_study"]["metrics"]
    after = stalled.report["topology_study"]["metrics"]
    assert stalled.invariants_hold and after["fault_applies"] == 1
    assert after["to_consortium_p50_s"] >= before["to_consortium_p50_s"] + 4 * 384 - 384  # at least 3 epochs more
    assert after["to_ethereum_p50_s"] == before["to_ethereum_p50_s"]  # QBFT is final at commit: untouched
    assert [e for e in stalled.events_path.read_text().splitlines() if '"eth.finality_delay"' in e]

"""Supervision: each typology's detector catches a planted case on the real ledger and EVM, an
honest population raises none, what the regulator sees depends on the topology, and a user's
own detector plugs into the engine."""

from __future__ import annotations

import json

import pytest

from rwasim.agents import Licences, LicensedIssuer
from rwasim.consortium import ConsortiumLedger
from rwasim.engine import Simulation
from rwasim.runner import run_scenario
from rwasim.supervision import TYPOLOGIES, Case, Detector, FeedItem, KycRecord, RegulatorView, SurveillanceEngine, case

SMALL = {"investors": 16, "trades_per_investor": 0.5, "report_threshold": 70}


def _events(result) -> dict[int, dict]:
    return {e["seq"]: e for e in map(json.loads, result.events_path.read_text().splitlines())}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Bridged, regulator with an indexer, two schemes of every typology (one wash trade crosses the bridge)."""
    out = tmp_path_factory.mktemp("planted")
    overrides = {**SMALL, "bad_actors": 12, "regulator_indexer": True}
    return run_scenario("supervision", seed=5, out_dir=out, overrides=overrides)


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """The same market with no bad actor; half the holders hold as a custodian's clients."""
    out = tmp_path_factory.mktemp("honest")
    overrides = {**SMALL, "bad_actors": 0, "regulator_indexer": True, "custodian_share": 0.5}
    return run_scenario("supervision", seed=5, out_dir=out, overrides=overrides)


@pytest.mark.parametrize("typology", TYPOLOGIES)
def test_the_detector_of_each_typology_catches_its_planted_cases(planted, typology):
    assert planted.invariants_hold, planted.report["invariants"]
    report = planted.report["supervision"]
    truths = [t for t in report["ground_truth"] if t["typology"] == typology]
    cases = [c for c in report["cases"] if c["typology"] == typology]
    assert len(truths) == 2 and all(t["start"] is not None for t in truths)
    for t in truths:
        hits = [c for c in cases if set(c["subjects"]) & set(t["subjects"]) and c["time"] >= t["start"]]
        assert hits, f"no {typology} case names {t['subjects']}"
    scores = report["scores"]["by_typology"][typology]
    assert scores["recall"] == 1.0 and scores["precision"] == 1.0
    assert scores["detect_p50_s"] is not None and scores["detect_p50_s"] >= 0
    events = _events(planted)  # evidence points at the run's own events, never at the ground truth
    for c in cases:
        kinds = {events[seq]["kind"] for seq in c["evidence"]}
        assert kinds <= {"consortium.tx", "eth.tx", "supervision.data_request"}, kinds


def test_wash_trades_are_caught_on_one_chain_and_across_the_bridge(planted):
    truths = [t for t in planted.report["supervision"]["ground_truth"] if t["typology"] == "wash_trade"]
    assert sorted(t["variant"] for t in truths) == ["cross_chain", "same_chain"]


@pytest.mark.parametrize("typology", TYPOLOGIES)
def test_an_honest_population_raises_no_case_of_any_typology(honest, typology):
    assert honest.invariants_hold, honest.report["invariants"]
    report = honest.report["supervision"]
    assert report["ground_truth"] == []
    assert [c for c in report["cases"] if c["typology"] == typology] == []


def test_the_honest_run_still_watched_asked_and_heard_the_announcement(honest):
    report = honest.report["supervision"]
    assert report["feeds"] == ["consortium", "ethereum", "filings", "kyc"]
    assert report["scores"]["overall"]["data_requests"] >= 1  # custodian clients were looked through
    assert report["scores"]["overall"]["recall"] is None and report["scores"]["overall"]["cases"] == 0
    kinds = [e["kind"] for e in _events(honest).values()]
    assert "supervision.data_request" in kinds and "supervision.case" not in kinds


def test_without_an_indexer_the_regulator_misses_what_happens_only_on_ethereum(tmp_path):
    """Public-only: with no indexer the regulator has no transfer feed, so only the nominee check
    (a custodian's answer needs a first sight of the account) and nothing else could fire."""
    result = run_scenario(
        "supervision",
        seed=5,
        out_dir=tmp_path,
        overrides={**SMALL, "topology": "public-only", "bad_actors": 6, "regulator_indexer": False},
    )
    report = result.report["supervision"]
    assert report["feeds"] == ["filings", "kyc"]
    assert report["cases"] == [] and report["scores"]["overall"]["recall"] == 0.0
    metrics = result.report["topology_study"]["metrics"]
    assert metrics["sup_recall"] == 0.0 and metrics["sup_planted"] == 5  # layering needs a second venue


class BigTransfer(Detector):
    """A user's own rule: any transfer of more than ``limit`` units."""

    typology = "big_transfer"

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def observe(self, item: FeedItem, view: RegulatorView) -> list[Case]:
        if item.kind == "transfer" and item.get("amount") > self.limit:
            return [case(self.typology, [item.get("src"), item.get("dst")], [item.seq])]
        return []


def test_a_users_detector_plugs_into_the_engine_on_a_real_ledger():
    sim = Simulation(seed=3)
    ledger = ConsortiumLedger(sim, log_transactions=True)
    issuer = LicensedIssuer(sim, "issuer", Licences.hong_kong_broker(), ledger=ledger)
    admin = issuer.on_consortium("test")[1]
    ledger.settle(
        admin.submit("identity.register", {"holder": admin.holder, "country": 344, "investor_class": "professional"}),
        admin.submit("asset.register", {"asset_id": "N", "term_sheet_hash": "0x" + "ab" * 32, "rules": {}}),
    )
    from rwasim.agents.investors import InvestorProfile

    a, b = issuer.onboard(
        [
            InvestorProfile("a", "professional", 344, 0, "consortium"),
            InvestorProfile("b", "professional", 344, 0, "consortium"),
        ]
    )
    engine = SurveillanceEngine(sim, [BigTransfer(100)])
    view = RegulatorView(sim, engine.push)
    engine.attach(view)
    view.member_of(ledger)
    view.file_kyc(KycRecord(a.client.holder, "a", "professional", 344))
    ledger.settle(admin.submit("token.mint", {"asset_id": "N", "to": a.client.holder, "amount": 500}))
    ledger.settle(a.client.submit("token.transfer", {"asset_id": "N", "to": b.client.holder, "amount": 50}))
    ledger.settle(a.client.submit("token.transfer", {"asset_id": "N", "to": b.client.holder, "amount": 150}))
    assert [(c.typology, c.subjects) for c in engine.cases] == [
        ("big_transfer", tuple(sorted([a.client.holder, b.client.holder])))
    ]
    opened = sim.log.of_kind("supervision.case")
    (evidence,) = engine.cases[0].evidence
    assert opened and sim.log.of_kind("consortium.tx")[-1].seq == evidence


def test_freezing_on_a_case_stops_the_rest_of_the_scheme(tmp_path):
    result = run_scenario(
        "supervision",
        seed=11,
        out_dir=tmp_path,
        overrides={**SMALL, "bad_actors": 6, "supervision_action": "freeze"},
    )
    assert result.invariants_hold, result.report["invariants"]  # failures are the regulator's own doing
    events = list(_events(result).values())
    orders = [e for e in events if e["kind"] == "supervision.action"]
    assert orders and all(e["action"] == "freeze" for e in orders)
    frozen = {e["account"] for e in orders}
    froze_on_chain = [
        e for e in events if e["kind"] == "eth.tx" and e["function"] == "setAddressFrozen" and e["status"]
    ] + [e for e in events if e["kind"] == "consortium.tx" and e["tx_kind"] == "token.freeze" and e["status"] == "ok"]
    assert froze_on_chain and len(frozen) >= 2
    truth = result.report["supervision"]["ground_truth"]
    assert any(t["legs_failed"] for t in truth), "some scheme was cut short by the freeze"


def test_honest_insiders_trading_before_an_announcement_are_false_alarms(tmp_path):
    result = run_scenario(
        "supervision",
        seed=5,
        out_dir=tmp_path,
        overrides={**SMALL, "bad_actors": 0, "honest_insiders": 16, "trades_per_investor": 2.0},
    )
    report = result.report["supervision"]
    assert report["ground_truth"] == [] and report["cases"]
    assert {c["typology"] for c in report["cases"]} == {"insider"}
    assert report["scores"]["by_typology"]["insider"]["precision"] == 0.0
    assert result.report["topology_study"]["metrics"]["sup_precision"] == 0.0

"""Per-phase metrics in Caliper's columns, computed from transaction events."""

from rwasim.engine import Simulation
from rwasim.metrics import MetricsCollector, percentile


def test_percentile_interpolates():
    assert percentile([], 50) == 0.0
    assert percentile([1.0], 99) == 1.0
    assert percentile([0.0, 10.0], 50) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == 4.8


def test_phase_metrics_count_success_failure_and_latency():
    sim = Simulation()
    collector = MetricsCollector()
    sim.log.subscribe(collector.on_event)

    def proc():
        collector.open_phase("issuance", sim.now)
        yield sim.timeout(12)
        sim.record("eth.tx", "ethereum", status=True, submitted_at=0.0)
        sim.record("eth.tx", "ethereum", status=False, submitted_at=6.0)
        yield sim.timeout(1)
        sim.record("consortium.tx", "consortium", status="ok", submitted_at=12.0)
        sim.record("eth.block", "ethereum", number=1)  # not a transaction
        collector.close_phase(sim.now)

    sim.process(proc())
    sim.run()
    m = collector.to_json()["issuance"]
    assert (m["succ"], m["fail"]) == (2, 1)
    assert m["latency_min_s"] == 1.0 and m["latency_max_s"] == 12.0
    assert m["latency_avg_s"] == round((12 + 6 + 1) / 3, 6)
    assert m["throughput_tps"] == round(2 / 13, 6)
    assert m["send_rate_tps"] == round(3 / 12, 6)
    assert m["by_chain"] == {"consortium": {"succ": 1, "fail": 0}, "eth": {"succ": 1, "fail": 1}}

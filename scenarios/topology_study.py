"""Topology study: one issuance-and-trading workload on any topology preset (--set topology=NAME).

A seeded investor population is onboarded on the venues the topology offers, the licensed
issuer issues a note to the eligible investors, then seeded secondary trades run (a share of
them across venues where a bridge lane or a cross-space call joins them) while an optional
fault strikes. The report's ``topology_study.metrics`` holds, for this topology: latency
percentiles and throughput per operation kind, time to finality, gas and cost at the stated
gas price, failed settlements, reach, value at risk and time to detection under the fault,
messages and bytes per node, and the regulator's real-time visibility.
Topologies: consortium-only, public-only, bridged, dual-space, hub. Faults: none,
relayer_crash, validator_crash, bridge_pause. The machinery is in sim/topology_workload.py.
"""

from rwasim.topology_workload import WORKLOAD_PARAMS, run_workload

PARAMS = dict(WORKLOAD_PARAMS)


def run(ctx):
    run_workload(ctx)
